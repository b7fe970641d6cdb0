// Runs an artifact (bundle, executable, Lambda zip) against the local Runtime API emulator the
// way Lambda runs a function: pick a launcher, start an execution environment (an emulator and
// the function's process), invoke each event on it while it stays warm, and start a fresh one
// when it crashed or timed out. The init phase has Lambda's limits: 10 s, then one retry within
// the function timeout ("Understanding the Lambda execution environment lifecycle", Init phase:
// https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).

import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { basename } from "node:path";
import { performance } from "node:perf_hooks";
import { startEmulator, type Emulator, type EmulatorOptions, type FunctionError, type InitOutcome, type InvokeOptions, type InvokeResult } from "./emulator/index.js";
import { BinshipError } from "../errors.js";
import { endOnInterrupt } from "../util/interrupt.js";
import { endLine, invocationReport, peakRssKb, reportLine, startLine } from "./report.js";
import { launchers as defaultLaunchers, pickLauncher, type Launch, type Launcher } from "./launchers/index.js";

export { bundleLauncher, elfArch, executableLauncher, launchers, pickLauncher, type Launch, type Launcher } from "./launchers/index.js";

/** Lambda's limit on the init phase of an execution environment. */
export const lambdaInitLimitMs = 10_000;
const defaultTimeoutMs = 3_000; // the emulator's, Lambda's default function timeout
const emulationSlowdown = 10; // how much longer the init limit is under qemu-user

export interface InvokeArtifactOptions {
  artifact: string; // absolute path of the bundle, executable or zip
  events: unknown[]; // invoked in order, on one process while it lives (JSON values or raw bytes)
  concurrency?: number; // this many events in flight at once, and AWS_LAMBDA_MAX_CONCURRENCY for the function (Lambda Managed Instances); default one at a time, variable unset
  emulator?: Omit<EmulatorOptions, "taskRoot" | "onTimeout">; // function name, memory, timeout, limits
  invoke?: Omit<InvokeOptions, "timeoutMs">; // per-invocation extras (trace id, onChunk)
  env?: Record<string, string>; // the function's variables besides the emulator's (Lambda's PATH/LANG, credentials, the user's); nothing else reaches it
  hostPath?: string; // the host's PATH, where binship finds qemu-user (default process.env.PATH)
  output?: (chunk: Buffer, stream: "stdout" | "stderr") => void; // the function's logs, and Lambda's START/END/REPORT and INIT_REPORT lines (default: dropped)
  launchers?: Launcher[]; // the launcher table (default: every known kind)
  initTimeoutMs?: number; // the init limit (default 10000, Lambda's; tests shorten it)
  layer?: string; // a runtime layer zip for a function zip of the layer layout (absolute path)
}

/** How an environment's init phase ended: the emulator's outcomes, or over the init limit. */
export type ProcessInit = InitOutcome | { status: "init-timeout"; error: FunctionError };

/** One execution environment (a process) and what became of it. */
export interface ProcessRun {
  init: ProcessInit;
  invocations: number; // events it was given
  exit?: { code: number | null; signal: NodeJS.Signals | null }; // set when it ended on its own
}

export interface InvokeArtifactResult {
  launcher: string; // which launcher ran the artifact
  init: ProcessInit; // the first environment's init
  results: InvokeResult[]; // one per event
  exit?: ProcessRun["exit"]; // the first process that ended on its own
  processes: ProcessRun[]; // every environment started, in order
}

/** One running execution environment. */
interface Environment {
  emulator: Emulator;
  run: ProcessRun;
  pid?: number;
  startedAt: number; // performance.now() at spawn
  initMs?: number; // set once ready; reported with (and cleared by) the first invocation
  peakKb: number; // the last VmHWM read, for a process gone before it could be read again
  alive: () => boolean;
  stop: () => Promise<void>; // kills the process if it still runs; waits for it
  exited: Promise<void>;
}

const initReport = (ms: number, phase: "init" | "invoke") => Buffer.from(`INIT_REPORT Init Duration: ${ms.toFixed(2)} ms\tPhase: ${phase}\tStatus: timeout\n`);

function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), ms)))]).finally(() => clearTimeout(timer));
}

/** A result for an event that never reached a running function (its init failed or timed out). */
function unserved(status: InvokeResult["status"], error: FunctionError, durationMs: number): InvokeResult {
  return { requestId: randomUUID(), status, payload: Buffer.alloc(0), streamed: false, chunks: [], error, durationMs };
}

export async function invokeArtifact(options: InvokeArtifactOptions): Promise<InvokeArtifactResult> {
  const launcher = await pickLauncher(options.artifact, options.launchers ?? defaultLaunchers);
  if (options.layer && launcher.name !== "lambda-zip") {
    throw new BinshipError("USAGE", `--layer goes with a Lambda function zip, and ${options.artifact} is run as ${launcher.name}`, { hint: "Pass the function zip of binship pack lambda --layout layer, or drop --layer." });
  }
  const timeoutMs = options.emulator?.timeoutMs ?? defaultTimeoutMs;
  let initLimitMs = options.initTimeoutMs ?? lambdaInitLimitMs;
  const processes: ProcessRun[] = [];
  const results: InvokeResult[] = [];
  let launch: Launch | undefined;
  let firstTaskRoot = "";
  let env: Environment | undefined;

  const maxConcurrency: Record<string, string> = options.concurrency === undefined ? {} : { AWS_LAMBDA_MAX_CONCURRENCY: String(options.concurrency) };
  const start = async (): Promise<Environment> => {
    let kill = () => {};
    const emulator = await startEmulator({ ...options.emulator, onTimeout: () => kill() });
    // The launcher runs once (a zip is unpacked once); each environment gets its own Runtime API.
    if (!launch) {
      try {
        launch = await launcher.launch(options.artifact, { ...options.env, ...emulator.env }, { layer: options.layer, hostPath: options.hostPath ?? process.env.PATH });
      } catch (err) {
        await emulator.close();
        throw err;
      }
      firstTaskRoot = emulator.env.LAMBDA_TASK_ROOT!;
      // Under qemu-user every instruction is emulated, several times slower than on Lambda's
      // CPUs; the init limit is stretched so that it still catches an init that hangs.
      if (basename(launch.command).startsWith("qemu-")) {
        initLimitMs *= emulationSlowdown;
        options.output?.(Buffer.from(`binship: ${basename(launch.command)} emulates the CPU; Lambda's init limit is applied as ${initLimitMs / 1000} s\n`), "stderr");
        // The runtime starts its Lambda workers as processes of its own program, which the host
        // cannot run without qemu: one worker, unless the user chose a count.
        if (options.concurrency !== undefined && launch.env.AWS_LAMBDA_NODEJS_WORKER_COUNT === undefined) {
          maxConcurrency.AWS_LAMBDA_NODEJS_WORKER_COUNT = "1";
          options.output?.(Buffer.from("binship: under qemu the function runs one Lambda worker (AWS_LAMBDA_NODEJS_WORKER_COUNT=1): its worker processes could not start without it\n"), "stderr");
        }
      }
    }
    // The task root is where the artifact runs from, unless the launcher chose one (an unpacked zip).
    const taskRoot = launch.env.LAMBDA_TASK_ROOT === firstTaskRoot ? launch.cwd : launch.env.LAMBDA_TASK_ROOT!;
    // Its own process group, so that everything the function started ends with it (a timeout, or
    // Ctrl-C/SIGTERM to binship through the interrupt registry), as a Lambda sandbox ends whole.
    const startedAt = performance.now();
    const child = spawn(launch.command, launch.args, { cwd: launch.cwd, env: { ...launch.env, ...emulator.env, ...maxConcurrency, LAMBDA_TASK_ROOT: taskRoot }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    endOnInterrupt(child);
    const run: ProcessRun = { init: { status: "ready" }, invocations: 0 };
    processes.push(run);
    let stopping = false;
    let ended = false;
    const command = launch.command;
    const exited = new Promise<void>((resolve) => {
      child.once("exit", (code, signal) => {
        ended = true;
        if (!stopping) run.exit = { code, signal };
        emulator.processExited(code, signal);
        resolve();
      });
      child.once("error", (err) => {
        ended = true;
        run.exit = { code: null, signal: null };
        emulator.processExited(null, null);
        options.output?.(Buffer.from(`cannot start ${command}: ${err.message}\n`), "stderr");
        resolve();
      });
    });
    // Lambda stops an environment whose invocation timed out; so does invoke.
    kill = () => {
      stopping = !ended;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        child.kill("SIGKILL"); // not started, or the group is gone already
      }
    };
    child.stdout.on("data", (c: Buffer) => options.output?.(c, "stdout"));
    child.stderr.on("data", (c: Buffer) => options.output?.(c, "stderr"));
    return {
      emulator,
      run,
      pid: child.pid,
      startedAt,
      peakKb: 0,
      exited,
      alive: () => !ended && !stopping,
      stop: async () => {
        kill(); // the group even when its leader ended: a function's leftover children end with the environment
        await exited;
        await emulator.close();
      },
    };
  };

  /** Starts an environment and waits for its init, up to `limitMs`; the environment is stopped unless ready. */
  const initialize = async (limitMs: () => number): Promise<{ env: Environment; init: InitOutcome | "timeout" }> => {
    const fresh = await start(); // the first start may stretch the init limit (qemu)
    const init = await withinMs(fresh.emulator.initialized(), limitMs());
    if (init !== "timeout") fresh.run.init = init;
    if (init !== "timeout" && init.status === "ready") {
      fresh.initMs = fresh.emulator.readyAt()! - fresh.startedAt;
      fresh.peakKb = peakRssKb(fresh.pid) ?? 0;
    }
    // A failed init ends the process on its own (non-zero); give it a moment to say how.
    if (init !== "timeout" && init.status === "init-error") await withinMs(fresh.exited, 5_000);
    if (init === "timeout" || init.status !== "ready") await fresh.stop();
    return { env: fresh, init };
  };

  /** A ready environment for the next event, or the result that event gets when none could start. */
  const ready = async (): Promise<{ env: Environment; remainingMs?: number } | InvokeResult> => {
    // A warm environment takes the event once its runtime asks for one; one whose process ends
    // instead (it crashed after answering) is replaced, as Lambda replaces it.
    if (env?.alive() && (await env.emulator.waitingForEvent())) return { env };
    await env?.stop();
    const first = await initialize(() => initLimitMs);
    if (first.init !== "timeout") return first.init.status === "ready" ? { env: first.env } : unserved(first.init.status, first.init.error, 0);
    first.env.run.init = { status: "init-timeout", error: { errorType: "Runtime.InitTimeout", errorMessage: `init did not finish within Lambda's ${initLimitMs / 1000} s init limit` } };
    options.output?.(initReport(initLimitMs, "init"), "stderr");
    // Lambda retries the init with the first invocation, and both share the function timeout.
    const retryStart = Date.now();
    const retry = await initialize(() => timeoutMs);
    if (retry.init === "timeout") {
      retry.env.run.init = { status: "init-timeout", error: { errorType: "Runtime.InitTimeout", errorMessage: "the retried init did not finish within the function timeout" } };
      options.output?.(initReport(timeoutMs, "invoke"), "stderr");
      const limits = `the init phase did not finish: not within Lambda's ${initLimitMs / 1000} s init limit, nor when retried within the function timeout`;
      return unserved("timeout", { errorType: "Sandbox.Timedout", errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds (${limits})` }, Date.now() - retryStart);
    }
    if (retry.init.status !== "ready") return unserved(retry.init.status, retry.init.error, Date.now() - retryStart);
    return { env: retry.env, remainingMs: Math.max(1, timeoutMs - (Date.now() - retryStart)) };
  };

  /** One event on a ready environment, between Lambda's START and END/REPORT lines. */
  const invokeOne = async (on: Environment, event: unknown, invokeOptions: InvokeOptions | undefined): Promise<InvokeResult> => {
    const runtime = on.emulator.env;
    let started = false;
    // The request id is the emulator's; START is written when the event is handed out.
    const result = await on.emulator.invoke(event, { ...invokeOptions, onHandOut: (id) => {
      started = true;
      options.output?.(Buffer.from(startLine(id, runtime.AWS_LAMBDA_FUNCTION_VERSION!)), "stderr");
    } });
    if (!started) return result;
    // The function wrote its logs before it answered; let the pipes deliver them first, so END follows them as on Lambda.
    await new Promise((resolve) => setImmediate(resolve));
    on.peakKb = peakRssKb(on.pid) ?? on.peakKb;
    result.report = invocationReport(result.durationMs, Number(runtime.AWS_LAMBDA_FUNCTION_MEMORY_SIZE), on.peakKb, on.initMs);
    on.initMs = undefined;
    options.output?.(Buffer.from(endLine(result.requestId) + reportLine(result, result.report)), "stderr");
    return result;
  };

  // One caller at a time picks (or starts) the environment, so overlapping events share one.
  let picking: Promise<unknown> = Promise.resolve();
  const pick = (): Promise<{ env: Environment; remainingMs?: number } | InvokeResult> => {
    const picked = picking.then(async () => {
      const got = await ready();
      if ("env" in got) env = got.env;
      return got;
    });
    picking = picked.catch(() => {});
    return picked;
  };

  const runEvent = async (event: unknown): Promise<InvokeResult> => {
    const got = await pick();
    if (!("env" in got)) return got;
    const on = got.env;
    on.run.invocations++;
    const result = await invokeOne(on, event, got.remainingMs === undefined ? options.invoke : { ...options.invoke, timeoutMs: got.remainingMs });
    // A crash or a timeout ends the environment (and whatever else was in flight on it); the
    // next event gets a fresh one, as on Lambda.
    if (result.status === "exited" || result.status === "timeout") await on.stop();
    return result;
  };

  try {
    // `concurrency` callers take the events in order; results keep the events' order.
    let next = 0;
    const caller = async () => {
      while (next < options.events.length) {
        const i = next++;
        results[i] = await runEvent(options.events[i]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 1, options.events.length) }, caller));
    // Let the last environment go back to invocation/next, or end as it would (a crash after
    // answering), so its exit is reported too.
    if (env?.alive()) await withinMs(env.emulator.waitingForEvent(), 5_000);
  } finally {
    await env?.stop().catch(() => {});
    await launch?.cleanup();
  }
  return { launcher: launcher.name, init: processes[0]?.init ?? { status: "ready" }, results, exit: processes.find((p) => p.exit)?.exit, processes };
}
