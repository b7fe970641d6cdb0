// Server mode with several worker processes sharing one listening port (node:cluster).
//
// Why cluster, not SO_REUSEPORT or worker threads: cluster shares the port for any listen()
// in the workers, so a self-listening app gets workers too without change, and the primary holds
// the one listening socket, so a worker that dies drops no queued connection; the kernel-level
// reusePort option gives each worker its own accept queue, needs Node >= 22.12 and a port every
// worker binds itself (no port 0); worker threads share one heap and one process, so a crash or
// a process.exit() in the app takes every worker down with it. Measured (bench/server-workers.mjs,
// BENCHMARKS.md): the same req/s as SO_REUSEPORT on kept-alive connections; on a new connection
// per request the round-robin hand-over costs ~33 µs of the primary's CPU, which Node's own
// NODE_CLUSTER_SCHED_POLICY=none avoids (the README tells users with such clients).
// The primary loads no user code: it forks, replaces crashed workers (with a back-off, so a
// worker that dies at start-up does not spin), and turns the first SIGTERM/SIGINT into a drain
// message to every worker, then exits 0 when all are gone.

import type { Worker } from "node:cluster";
import { readFileSync } from "node:fs";
import type os from "node:os";
import { StartupError } from "../options.js";

/** The message the primary sends a worker to start its drain (as if it had got SIGTERM). */
export const drainMessage = "binship:drain";

const cgroupCpuMax = "/sys/fs/cgroup/cpu.max";

/**
 * The cores this process may really use: the cgroup v2 CPU quota (a container's `cpu` limit)
 * rounded up, capped by os.availableParallelism() (the CPUs it may be scheduled on).
 * BINSHIP_CGROUP_CPU_MAX names another cpu.max file: a hook for binship's tests, documented
 * as not a supported setting (users choose the count with BINSHIP_WORKERS=N).
 */
export function availableCores(env: NodeJS.ProcessEnv = process.env): number {
  // node:os only here: a single-process server (the default) never asks.
  const cpus = (process.getBuiltinModule("node:os") as typeof os).availableParallelism();
  let text: string;
  try {
    text = readFileSync(env.BINSHIP_CGROUP_CPU_MAX || cgroupCpuMax, "utf8");
  } catch {
    return cpus; // no cgroup v2 (a laptop, cgroup v1): the scheduler's view is all there is
  }
  const [quota, period] = text.trim().split(/\s+/);
  const q = Number(quota);
  const p = Number(period);
  if (quota === "max" || !(q > 0) || !(p > 0)) return cpus;
  return Math.max(1, Math.min(cpus, Math.ceil(q / p)));
}

/** BINSHIP_WORKERS, else the baked `workers` option, else 1; "auto" is availableCores(). */
export function workerCount(configured: number | "auto" | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.BINSHIP_WORKERS;
  const value: number | "auto" | undefined = raw === undefined || raw === "" ? configured : raw.trim() === "auto" ? "auto" : Number(raw);
  if (value === undefined) return 1;
  if (value === "auto") return availableCores(env);
  if (!Number.isInteger(value) || value < 1 || value > 1024) {
    throw new StartupError(`BINSHIP_WORKERS must be a whole number from 1 to 1024 or "auto", got "${raw ?? value}"`);
  }
  return value;
}

// Set by runPrimary in each worker's environment (cluster's own NODE_UNIQUE_ID is gone by the
// time user code runs, and reading cluster.isWorker would load node:cluster in every process).
const workerVar = "BINSHIP_WORKER";
let worker: boolean | undefined;

/** True in a process forked by runPrimary. Read once: the variable is removed, so processes the app spawns do not inherit it. */
export function isWorker(env: NodeJS.ProcessEnv = process.env): boolean {
  if (worker === undefined) {
    worker = env[workerVar] !== undefined;
    delete env[workerVar];
  }
  return worker;
}

// A worker that lived shorter than this counts as a crash at start-up: the next one waits longer.
const healthyAfterMs = 5_000;
const firstBackoffMs = 100;
const maxBackoffMs = 10_000;

/** Runs the supervising primary: `count` workers, replaced when they die, drained on a signal. */
export async function runPrimary(count: number, graceMs: number): Promise<void> {
  // Loaded only here: a single-process server and Lambda never pay for node:cluster. By require,
  // not import(): a --snapshot executable's main has no dynamic import (bundle/index.ts).
  const cluster = require("node:cluster") as typeof import("node:cluster").default;
  let stopping = false;
  let backoffMs = firstBackoffMs;
  const started = new Map<Worker, number>();
  const fork = () => {
    if (stopping) return;
    started.set(cluster.fork({ [workerVar]: "1" }), Date.now());
  };
  cluster.on("exit", (worker, code, signal) => {
    const lived = Date.now() - (started.get(worker) ?? Date.now());
    started.delete(worker);
    if (stopping) {
      if (started.size === 0) process.exit(0);
      return;
    }
    // A worker that ran a while is replaced at once; one that dies young waits 100 ms, 200 ms, ... 10 s.
    if (lived >= healthyAfterMs) backoffMs = firstBackoffMs;
    const delay = lived >= healthyAfterMs ? 0 : backoffMs;
    if (delay) backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
    console.error(`binship: worker ${worker.process.pid} exited (${signal ? `signal ${signal}` : `code ${code}`}); starting a new one${delay ? ` in ${delay} ms` : ""}`);
    setTimeout(fork, delay);
  });
  const handle = (signal: NodeJS.Signals) => {
    process.off("SIGTERM", handle);
    process.off("SIGINT", handle);
    // A second signal: Node's default, the primary ends at once; the workers see their IPC close and exit.
    stopping = true;
    console.error(`${signal}: draining ${started.size} workers (up to ${graceMs} ms)`);
    if (started.size === 0) process.exit(0);
    for (const worker of started.keys()) worker.send(drainMessage);
    // Each worker ends itself at the grace period; this only catches one that hangs in exit.
    setTimeout(() => {
      for (const worker of started.keys()) worker.process.kill("SIGKILL");
      process.exit(0);
    }, graceMs + 2_000).unref();
  };
  process.on("SIGTERM", handle);
  process.on("SIGINT", handle);
  console.error(`binship: starting ${count} workers`);
  for (let i = 0; i < count; i++) fork();
}
