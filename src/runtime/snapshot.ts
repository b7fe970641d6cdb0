// Startup snapshot (`snapshot`, README "Start-up"): the entry shim of a snapshot build calls
// startSnapshot() instead of start(). Run by `node --build-snapshot` semantics at build time (the
// SEA generator with useSnapshot), it evaluates the user's module (its top-level code: schemas,
// SDK clients, routes) into the V8 heap that becomes the snapshot, and makes binship's start()
// the deserialize-main function: at each start the heap is restored and the service served.
//
// The guard: what the user's init reads from the process environment, the clock or a random
// source would be frozen into every start as the build machine's values, and a timer it starts
// would be dropped. While the module
// evaluates, those sources are watched; each read is recorded with its stack, and a build with
// any is refused by binship (executable/snapshot-guard.ts maps the stacks to source modules).
// Built-ins whose bindings do not serialize (http, https, http2, tls) are deferred by the bundle
// (bundle/lazy-builtins.ts, snapshotLazyHelper); a use of one during init is recorded the same way.
//
// This module only runs where a snapshot is built; outside one (`node app.cjs` of the same
// bundle) it is start() as usual.

import { startupSnapshot } from "node:v8";
import { format } from "node:util";
import { start, type StartOptions } from "./index.js";
import { installAwslambdaGlobal } from "./lambda/global.js";

/** One read the snapshot would freeze; `stack` is V8's text, positions in the bundle. */
export interface SnapshotFinding {
  kind: "env" | "clock" | "random" | "timer" | "builtin";
  what: string; // the variable, the function, or the built-in and its use
  stack: string;
}

/** The line binship's build reads from the generator's stderr (executable/snapshot-guard.ts). */
export const reportPrefix = "binship-snapshot-report:";
const findingsKey = Symbol.for("binship.snapshot.findings"); // shared with the bundle's banner helper

type Restore = () => void;

function patch<T extends object, K extends keyof T>(obj: T, key: K, value: T[K], restores: Restore[]): void {
  const before = Object.getOwnPropertyDescriptor(obj, key);
  if (before && !before.configurable && !before.writable) return; // node:crypto's getRandomValues: the webcrypto one it calls is watched
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable: before?.enumerable ?? false });
  restores.push(() => (before ? Object.defineProperty(obj, key, before) : delete obj[key]));
}

interface Watch {
  findings: SnapshotFinding[];
  output: [1 | 2, string][]; // console output of the init, replayed at each start
  stop: () => void;
}

/** Watches env, clock and random sources and captures console output until stop(). */
function watchInit(): Watch {
  const findings: SnapshotFinding[] = ((globalThis as Record<symbol, unknown>)[findingsKey] ??= []) as SnapshotFinding[];
  const output: [1 | 2, string][] = [];
  let on = true;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const record = (kind: SnapshotFinding["kind"], what: string) => {
    if (on) findings.push({ kind, what, stack: new Error().stack ?? "" });
  };
  const restores: Restore[] = [];

  // process.env: a reference taken now keeps working later (the proxy forwards to the real object).
  const env = process.env;
  const envProxy = new Proxy(env, {
    get: (t, k) => (typeof k === "string" && record("env", k), Reflect.get(t, k)),
    has: (t, k) => (typeof k === "string" && record("env", k), Reflect.has(t, k)),
    ownKeys: (t) => (record("env", "(the whole environment, listed)"), Reflect.ownKeys(t)),
    getOwnPropertyDescriptor: (t, k) => (typeof k === "string" && record("env", k), Reflect.getOwnPropertyDescriptor(t, k)),
    // A write (dotenv at top level) would set the build's environment, not the started process's.
    set: (t, k, v) => (typeof k === "string" && record("env", `${k} (written)`), Reflect.set(t, k, v)),
    deleteProperty: (t, k) => (typeof k === "string" && record("env", `${k} (deleted)`), Reflect.deleteProperty(t, k)),
  });
  patch(process, "env", envProxy, restores);

  const wrap = <F extends (...a: never[]) => unknown>(kind: SnapshotFinding["kind"], what: string, fn: F): F =>
    function (this: unknown, ...args: Parameters<F>) {
      record(kind, what);
      return fn.apply(this, args);
    } as F;

  // The clock.
  const RealDate = Date;
  const DateProxy: DateConstructor = new Proxy(RealDate, {
    construct: (t, args, nt): object => (args.length === 0 && record("clock", "new Date()"), Reflect.construct(t, args, nt === DateProxy ? t : nt)),
    apply: (t, self, args) => (record("clock", "Date()"), Reflect.apply(t, self, args)),
  });
  patch(globalThis, "Date", DateProxy, restores);
  patch(RealDate, "now", wrap("clock", "Date.now()", RealDate.now), restores);
  patch(performance, "now", wrap("clock", "performance.now()", performance.now.bind(performance)), restores);
  const hrtime = process.hrtime;
  const hr = wrap("clock", "process.hrtime()", hrtime) as typeof process.hrtime;
  hr.bigint = wrap("clock", "process.hrtime.bigint()", hrtime.bigint);
  patch(process, "hrtime", hr, restores);

  // Random values.
  patch(Math, "random", wrap("random", "Math.random()", Math.random), restores);
  const web = globalThis.crypto;
  patch(web, "getRandomValues", wrap("random", "crypto.getRandomValues()", web.getRandomValues.bind(web)) as typeof web.getRandomValues, restores);
  patch(web, "randomUUID", wrap("random", "crypto.randomUUID()", web.randomUUID.bind(web)) as typeof web.randomUUID, restores);
  const nc = process.getBuiltinModule("node:crypto") as unknown as Record<string, unknown>; // the module object itself, which packages share
  for (const name of ["randomBytes", "randomUUID", "randomInt", "randomFillSync", "randomFill", "getRandomValues", "pseudoRandomBytes"]) {
    const fn = nc[name];
    if (typeof fn === "function") patch(nc, name, wrap("random", `crypto.${name}()`, fn as (...a: never[]) => unknown), restores);
  }

  // Timers: Node runs the build's event loop until idle before the snapshot is taken, so a timer
  // started at init fires at build time, and an unref'd interval never runs after the start
  // (checked): a finding too.
  const timers = process.getBuiltinModule("node:timers") as unknown as Record<string, unknown>;
  for (const name of ["setTimeout", "setInterval", "setImmediate"] as const) {
    const fn = globalThis[name] as unknown as (...a: never[]) => unknown;
    const watched = wrap("timer", `${name}()`, fn);
    patch(globalThis as unknown as Record<string, unknown>, name, watched, restores);
    if (timers[name] === fn) patch(timers, name, watched, restores);
  }

  // Console output: written at each start, in order, instead of once into the build log.
  // A method a package bound at init (console.log.bind(console)) is this wrapper: after the
  // init it prints as the real one does.
  for (const [method, fd] of [["log", 1], ["info", 1], ["debug", 1], ["warn", 2], ["error", 2]] as const) {
    const real = console[method];
    patch(console, method, (...args: unknown[]) => (on ? void output.push([fd, `${format(...args)}\n`]) : real.apply(console, args)), restores);
  }

  return {
    findings,
    output,
    stop: () => {
      on = false;
      Error.stackTraceLimit = limit;
      for (const undo of restores.reverse()) undo();
    },
  };
}

export function startSnapshot(load: () => unknown, startOptions: StartOptions = {}): void {
  if (!startupSnapshot.isBuildingSnapshot()) {
    start(load, startOptions);
    return;
  }
  delete process.env.BINSHIP_SNAPSHOT_SHAPES; // the build's own variable (lazy-builtins.ts), read by then
  // Handlers written for the managed runtime call awslambda.streamifyResponse() at load time.
  installAwslambdaGlobal();
  const watch = watchInit();
  let mod: unknown;
  let failure: unknown;
  try {
    mod = load();
  } catch (err) {
    failure = err;
  } finally {
    watch.stop();
  }
  if (watch.findings.length > 0 || failure !== undefined) {
    const error = failure === undefined ? undefined : failure instanceof Error ? (failure.stack ?? String(failure)) : String(failure);
    process.stderr.write(`${reportPrefix}${JSON.stringify({ findings: watch.findings, error })}\n`);
    process.exit(1);
  }
  // The heap would otherwise hold the generator's path (binship's cache directory; its argv[0]
  // is fixed by the build); Node sets it again from the started process on deserialization.
  startupSnapshot.addSerializeCallback(() => {
    process.execPath = "/proc/self/exe";
    process.argv[0] = "/proc/self/exe";
  });
  startupSnapshot.setDeserializeMainFunction(() => {
    for (const [fd, text] of watch.output) (fd === 1 ? process.stdout : process.stderr).write(text);
    start(() => mod, startOptions);
  });
}
