// Startup snapshot (`snapshot`, README "Start-up"): the entry shim of a snapshot build calls
// startSnapshot() instead of start(). Run by `node --build-snapshot` semantics at build time (the
// SEA generator with useSnapshot), it evaluates the service's modules (their top-level code:
// schemas, SDK clients, routes) into the V8 heap that becomes the snapshot, and makes binship's
// start() the deserialize-main function: at each start the heap is restored and the service served.
//
// The guard: what a module's init reads from the process environment, the clock or a random
// source would be frozen into every start as the build machine's values, and a timer it starts
// would be dropped. So the generator runs twice (executable/sea-blob.ts). The probe evaluates the
// whole graph with those sources watched, module by module (bundle/module-tracking.ts gives each
// module's initialiser by its path), and reports the order, the imports, and what each module
// read, threw or changed in the globals; binship plans from that which modules are safe at build
// time (executable/snapshot-plan.ts). The second run evaluates only those, in their order, into
// the snapshot; the rest run at each start, as without a snapshot.
// Built-ins whose bindings do not serialize (http, https, http2, tls) are deferred by the bundle
// (bundle/lazy-builtins.ts, snapshotLazyHelper); a use of one during init is recorded the same way.
//
// This module only runs where a snapshot is built; outside one (`node app.cjs` of the same
// bundle) it is start() as usual.

import { readFileSync, writeFileSync } from "node:fs";
import { startupSnapshot } from "node:v8";
import { format } from "node:util";
import { start, type StartOptions } from "./index.js";
import { installAwslambdaGlobal } from "./lambda/global.js";

/** One read the snapshot would freeze; `stack` is V8's text, positions in the bundle. */
export interface SnapshotFinding {
  kind: "env" | "clock" | "random" | "timer" | "builtin" | "host";
  what: string; // the variable, the function, or the built-in and its use
  stack: string;
  module?: string; // the module whose own init made it (its esbuild path), when one was running
}

/** What the probe run learns about the graph (executable/snapshot-plan.ts reads it). */
export interface ProbeReport {
  order: string[]; // the modules, in the order their inits completed
  imports: Record<string, string[]>; // module -> the modules its init asked for
  threw: string[]; // modules whose init threw (caught by an importer, or the service's failure)
  globals: Record<string, string[]>; // module -> the globals and built-in prototypes' keys its own init changed
  findings: SnapshotFinding[];
  error?: string; // the service's init threw
}

interface Registry {
  inits: Map<string, () => unknown>;
  hook?: (name: string, init: () => unknown) => unknown;
}
const registryKey = Symbol.for("binship.snapshot.modules"); // bundle/module-tracking.ts

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
function watchInit(current: () => string | undefined = () => undefined): Watch {
  const findings: SnapshotFinding[] = ((globalThis as Record<symbol, unknown>)[findingsKey] ??= []) as SnapshotFinding[];
  // The bundle's deferred built-ins push theirs too (bundle/lazy-builtins.ts): each with its module.
  Object.defineProperty(findings, "push", {
    configurable: true,
    value: (...items: SnapshotFinding[]) => Array.prototype.push.apply(findings, items.map((f) => (f.module !== undefined ? f : { ...f, module: current() }))),
  });
  const output: [1 | 2, string][] = [];
  let on = true;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const record = (kind: SnapshotFinding["kind"], what: string) => {
    if (!on) return;
    findings.push({ kind, what, stack: new Error().stack ?? "" });
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

  // The machine and the process: a logger's pid and hostname, a pool sized by the CPU count,
  // taken at init, would be the build's (pid 1, its hostname, its cores) in every start.
  const os = process.getBuiltinModule("node:os") as unknown as Record<string, unknown>;
  for (const name of ["hostname", "cpus", "availableParallelism", "networkInterfaces", "uptime", "freemem", "totalmem", "loadavg", "userInfo"]) {
    const fn = os[name];
    if (typeof fn === "function") patch(os, name, wrap("host", `os.${name}()`, fn as (...a: never[]) => unknown), restores);
  }
  for (const name of ["pid", "ppid"] as const) {
    const value = process[name];
    const before = Object.getOwnPropertyDescriptor(process, name);
    Object.defineProperty(process, name, { get: () => (record("host", `process.${name}`), value), configurable: true, enumerable: before?.enumerable ?? true });
    restores.push(() => (before ? Object.defineProperty(process, name, before) : delete (process as unknown as Record<string, unknown>)[name]));
  }
  patch(process, "uptime", wrap("host", "process.uptime()", process.uptime), restores);
  patch(process, "cwd", wrap("host", "process.cwd()", process.cwd), restores);

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

  // Built-ins Node does not support in a snapshot: it warns at the first require of each (in
  // the generator's log only); the bundle's require hook (bundle/lazy-builtins.ts) sees the others.
  const unsupported = new Set<string>();
  const bare = (id: string) => id.replace(/^node:/, "");
  const used = (id: string) => record("builtin", `node:${id}, which Node does not support in a snapshot`);
  const onWarning = (w: Error) => {
    const m = /built-in module "([^"]+)" works in user snapshot/.exec(w.message);
    if (!m) return;
    unsupported.add(bare(m[1]!));
    used(bare(m[1]!));
  };
  process.on("warning", onWarning);
  const requireKey = Symbol.for("binship.snapshot.require");
  (globalThis as Record<symbol, unknown>)[requireKey] = (id: string, req: (id: string) => unknown) => {
    if (unsupported.has(bare(id))) used(bare(id));
    return req(id);
  };
  restores.push(() => {
    process.off("warning", onWarning);
    delete (globalThis as Record<symbol, unknown>)[requireKey];
  });

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

// Objects whose own properties a module's init may change for modules that load after it (a
// polyfill, a patched prototype): a module that must run at the start and changed one keeps
// every module after it at the start too (executable/snapshot-plan.ts). Of the global object
// only the keys: reading a descriptor of one of Node's lazy globals loads it (fetch: undici),
// which would change what the init does.
const shared: [string, object][] = [
  ["process", process],
  ...(
    [Object, Array, Function, String, Number, Boolean, Symbol, Promise, RegExp, Date, Map, Set, WeakMap, Error, Uint8Array, ArrayBuffer] as { name: string; prototype: object }[]
  ).flatMap((c): [string, object][] => [[c.name, c], [`${c.name}.prototype`, c.prototype]]),
  ["JSON", JSON],
  ["Math", Math],
  ["Reflect", Reflect],
];

/** Each shared object's own keys with what they hold (value or accessors), to compare. */
function sharedState(): Map<string, unknown[]> {
  const state = new Map<string, unknown[]>();
  for (const key of Reflect.ownKeys(globalThis)) state.set(`globalThis.${String(key)}`, []);
  for (const [name, obj] of shared) {
    for (const key of Reflect.ownKeys(obj)) {
      const d = Reflect.getOwnPropertyDescriptor(obj, key)!;
      state.set(`${name}.${String(key)}`, [d.value, d.get, d.set]);
    }
  }
  return state;
}

function changedKeys(before: Map<string, unknown[]>, after: Map<string, unknown[]>): string[] {
  const changed: string[] = [];
  for (const [key, now] of after) {
    const was = before.get(key);
    if (!was || was.some((v, i) => !Object.is(v, now[i]))) changed.push(key);
  }
  for (const key of before.keys()) if (!after.has(key)) changed.push(key);
  return changed;
}

const errorText = (err: unknown) => (err instanceof Error ? (err.stack ?? String(err)) : String(err));

/** The probe: the whole init, module by module, recorded (see the header). */
function probe(load: () => unknown, registry: Registry): ProbeReport {
  const stack: { name: string; byInner: Set<string> }[] = [];
  const report: ProbeReport = { order: [], imports: {}, threw: [], globals: {}, findings: [] };
  const started = new Set<string>();
  const watch = watchInit(() => stack.at(-1)?.name);
  registry.hook = (name, init) => {
    const outer = stack.at(-1);
    if (outer) {
      const imports = (report.imports[outer.name] ??= []);
      if (!imports.includes(name)) imports.push(name);
    }
    if (started.has(name)) return init(); // done (or in a cycle): the initialiser answers as it would
    started.add(name);
    const frame = { name, byInner: new Set<string>() };
    const before = sharedState();
    stack.push(frame);
    try {
      const exports = init();
      report.order.push(name);
      return exports;
    } catch (err) {
      report.threw.push(name);
      throw err;
    } finally {
      stack.pop();
      const changed = changedKeys(before, sharedState());
      const own = changed.filter((k) => !frame.byInner.has(k));
      if (own.length > 0) report.globals[name] = own;
      for (const k of changed) outer?.byInner.add(k);
    }
  };
  try {
    load();
  } catch (err) {
    report.error = errorText(err);
  } finally {
    watch.stop();
    registry.hook = undefined;
  }
  report.findings = watch.findings;
  return report;
}

export function startSnapshot(load: () => unknown, startOptions: StartOptions = {}): void {
  if (!startupSnapshot.isBuildingSnapshot()) {
    start(load, startOptions);
    return;
  }
  // The build's own variables (executable/sea-blob.ts), read by then.
  const { BINSHIP_SNAPSHOT_PROBE: probeFile, BINSHIP_SNAPSHOT_PLAN: planFile } = process.env;
  delete process.env.BINSHIP_SNAPSHOT_SHAPES;
  delete process.env.BINSHIP_SNAPSHOT_PROBE;
  delete process.env.BINSHIP_SNAPSHOT_PLAN;
  // Handlers written for the managed runtime call awslambda.streamifyResponse() at load time.
  installAwslambdaGlobal();
  const registry = (globalThis as Record<symbol, Registry | undefined>)[registryKey];
  if (probeFile && registry) {
    writeFileSync(probeFile, JSON.stringify(probe(load, registry)));
    process.exit(0);
  }
  // The planned modules, in order; without a plan (a graph esbuild printed no initialisers for) the whole init.
  const planned = planFile && registry ? (JSON.parse(readFileSync(planFile, "utf8")) as string[]) : undefined;
  const watch = watchInit();
  let failure: unknown;
  try {
    if (planned) for (const name of planned) registry!.inits.get(name)!();
    else load();
  } catch (err) {
    failure = err;
  } finally {
    watch.stop();
  }
  if (watch.findings.length > 0 || failure !== undefined) {
    const error = failure === undefined ? undefined : errorText(failure);
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
    // The modules the snapshot holds are done; the others run now, in their order.
    start(load, startOptions);
  });
}
