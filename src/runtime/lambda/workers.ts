// Several workers in one Lambda Managed Instances execution environment, as AWS's Node.js
// runtime has them. What AWS documents, and this file follows:
//
// - lambda-managed-instances-nodejs-runtime.html: workers give parallelism across vCPUs, async
//   handlers concurrency within each; the default worker count is the vCPU count,
//   AWS_LAMBDA_NODEJS_WORKER_COUNT sets it; the function initialises once per worker; the
//   invocations of one worker share its handler and global state.
// - lambda-managed-instances-execution-environment.html: init is done once one worker has called
//   /runtime/invocation/next; a runtime worker that crashes does not end the environment, which
//   goes on with the healthy workers.
// - runtimes-api.html: up to AWS_LAMBDA_MAX_CONCURRENCY concurrent /next and /response.
//
// AWS's runtime uses worker threads; binship's workers are processes of the same program, started
// with the exact command line of this one (the executable, `node app.cjs`, or provided.al2's glibc
// loader line), because a single executable (Node SEA) has no script on disk a Worker thread could
// load, and one mechanism for every layout is one path to test. The trade (README, "Lambda
// Managed Instances"): a worker process costs more memory than a thread; in exchange any crash
// (a native fault, the OOM killer, process.exit) ends one worker only, and the app's own signal
// handlers run in every worker.
//
// The primary loads no user code. It splits the slots over the workers, spawns them with their
// share in BINSHIP_LAMBDA_WORKER, forwards SIGTERM/SIGINT, and keeps a pipe to each (fd 3). On it
// a worker names each invocation it takes and each it has answered, so when a worker dies with
// invocations unanswered (killed by a signal, a native crash) the primary posts Runtime.ExitError
// for each, the error Lambda posts when a runtime exits mid-invocation. A worker whose primary is
// gone sees the pipe close and exits. A worker that ends is not replaced: its replacement would
// run the module's init outside Lambda's init phase, where a failure has nowhere to be reported;
// AWS documents the environment carrying on with the remaining workers instead. When the last
// worker is gone, the primary exits with its code, and Lambda starts a new environment.

import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeSync } from "node:fs";
import { Socket } from "node:net";
import { availableParallelism, constants } from "node:os";
import { isSea } from "node:sea";
import { createClient } from "./client.js";

const workerVar = "BINSHIP_LAMBDA_WORKER";
const pipeFd = 3;

/**
 * In a worker: the slots it serves (and the variable is removed, so processes the app spawns do
 * not take themselves for workers). Undefined in the primary or a process started by anyone else.
 */
export function workerShare(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env[workerVar];
  if (value === undefined) return undefined;
  delete env[workerVar];
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** The worker count from AWS_LAMBDA_NODEJS_WORKER_COUNT (default: the vCPUs), or an error message. */
export function workerCount(value: string | undefined): number | string {
  if (value === undefined || value === "") return availableParallelism();
  const n = Number(value);
  // A process each: a bound on what a typo can start (BINSHIP_WORKERS has the same one).
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > 1024) return `AWS_LAMBDA_NODEJS_WORKER_COUNT must be a whole number from 1 to 1024, got "${value}"`;
  return n;
}

/** `slots` over `count` workers, never more workers than slots: the first ones take the remainder. */
export function splitSlots(slots: number, count: number): number[] {
  const workers = Math.min(count, slots);
  return Array.from({ length: workers }, (_, i) => Math.floor(slots / workers) + (i < slots % workers ? 1 : 0));
}

/**
 * The command that started this process, to start a worker the same way: /proc/self/cmdline's
 * arguments after the program, with the program as Node resolved it. That is right for the glibc
 * loader line of provided.al2 (process.execPath is the loader there) as for node or a single
 * executable. Without /proc, Node's own view.
 */
export function ownCommand(cmdline?: string): { file: string; args: string[]; argv0: string } {
  let argv: string[] | undefined;
  try {
    argv = (cmdline ?? readFileSync("/proc/self/cmdline", "utf8")).split("\0");
    if (argv.at(-1) === "") argv.pop();
  } catch {}
  if (argv && argv.length > 0) return { file: process.execPath, args: argv.slice(1), argv0: argv[0]! };
  const args = isSea() ? process.argv.slice(2) : [...process.execArgv, ...process.argv.slice(1)];
  return { file: process.execPath, args, argv0: process.argv0 };
}

/** What a worker tells its primary on fd 3: "+<id>" taken, "-<id>" answered. */
export interface WorkerReport {
  taken(id: string): void;
  answered(id: string): void;
}

/** In a worker: the report to the primary, and an exit when the primary is gone. */
export function connectToPrimary(): WorkerReport {
  const pipe = new Socket({ fd: pipeFd, readable: true, writable: false });
  pipe.on("error", () => {});
  pipe.on("close", () => process.exit(1)); // the primary is gone: so is this environment
  pipe.resume();
  pipe.unref();
  // Synchronous, so a line written just before process.exit() is not lost; a line is far below
  // PIPE_BUF, so lines from one worker never interleave.
  const say = (line: string) => {
    try {
      writeSync(pipeFd, line);
    } catch {} // the primary is gone; 'close' ends this worker
  };
  return { taken: (id) => say(`+${id}\n`), answered: (id) => say(`-${id}\n`) };
}

interface Running {
  child: ChildProcess;
  unanswered: Set<string>;
}

/** The primary: start one worker per share, answer for the ones that die, exit with the last. */
export function startWorkers(shares: number[], env: NodeJS.ProcessEnv, command = ownCommand()): void {
  const address = env.AWS_LAMBDA_RUNTIME_API!;
  const running = new Set<Running>();
  const count = shares.length;
  let lastCode = 0;
  let signalled = false; // a shutdown was forwarded: a worker's exit 0 is then a clean one

  for (const [i, share] of shares.entries()) {
    const child = spawn(command.file, command.args, { argv0: command.argv0, env: { ...env, [workerVar]: String(share) }, stdio: ["ignore", "inherit", "inherit", "pipe"] });
    const worker: Running = { child, unanswered: new Set() };
    running.add(worker);
    let buffered = "";
    const pipe = child.stdio[pipeFd] as Socket;
    pipe.setEncoding("utf8");
    pipe.on("error", () => {});
    pipe.on("data", (text: string) => {
      const lines = (buffered + text).split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith("+")) worker.unanswered.add(line.slice(1));
        else worker.unanswered.delete(line.slice(1));
      }
    });
    child.on("error", (err) => {
      console.error(`binship: could not start Lambda worker ${i + 1} of ${count}: ${err.message}`);
      if (child.pid !== undefined) return; // started after all: 'exit' follows
      running.delete(worker); // never started: no 'exit' will come
      if (running.size === 0) process.exit(1); // Lambda reports the runtime's exit as a failed init
    });
    // Once the pipe is read to its end `unanswered` is complete; a process the app spawned may
    // hold the pipe open after the worker is gone, so that wait is capped.
    const drained = new Promise<void>((resolve) => {
      pipe.once("end", resolve);
      pipe.once("close", resolve);
    });
    child.on("exit", async (code, signal) => {
      await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 1_000))]);
      pipe.destroy();
      running.delete(worker);
      const how = signal ? `signal: ${signal}` : `exit status ${code}`;
      lastCode = code ?? 128 + (signal ? constants.signals[signal] : 1);
      const reports = [...worker.unanswered].map((id) =>
        createClient(address).error(id, { errorType: "Runtime.ExitError", errorMessage: `RequestId: ${id} Error: Runtime worker exited with error: ${how}`, stackTrace: [] }),
      );
      const left = running.size;
      console.error(`binship: Lambda worker ${i + 1} of ${count} exited (${how})${reports.length ? `, failing its ${reports.length} unanswered invocation(s)` : ""}; ${left ? `${left} worker(s) go on` : "no worker left, exiting"}`);
      void Promise.allSettled(reports).then(() => {
        if (running.size === 0) process.exit(lastCode || (signalled ? 0 : 1));
      });
    });
  }

  // Lambda's shutdown (and a local Ctrl-C) reaches the primary: hand it to every worker, whose own
  // handlers run; the primary exits with the last of them.
  const forward = (signal: NodeJS.Signals) => () => {
    signalled = true;
    for (const { child } of running) child.kill(signal);
  };
  process.on("SIGTERM", forward("SIGTERM"));
  process.on("SIGINT", forward("SIGINT"));
}
