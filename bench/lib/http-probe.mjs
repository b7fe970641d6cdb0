// The probe every start-up bench polls with: the status of one GET on a fresh connection, 0 while
// nothing listens yet; and the exec -> first 200 measure built on it.

import { spawn } from "node:child_process";
import http from "node:http";
import { createServer } from "node:net";
import { cpuNs, peakRss } from "./proc.mjs";

export function get(port, path = "/hello") {
  return new Promise((res) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false }, (r) => {
      r.resume();
      r.on("end", () => res(r.statusCode));
    });
    req.on("error", () => res(0));
  });
}

/** BENCH_STDIO=pipe: the process's stdout and stderr are pipes this one reads, as a container's or Lambda's are (else /dev/null). */
export const stdioPipes = process.env.BENCH_STDIO === "pipe";

/**
 * Starts `command args` listening on `port` (PORT, HOST=127.0.0.1) and polls `get` until it
 * answers 200: returns the milliseconds from spawn to that answer, plus what `measure(child)`
 * reads from the live process (peak RSS, CPU time), before the process is killed.
 */
export async function firstOk(command, args, port, measure = () => ({}), { env = {}, ...spawnOptions } = {}) {
  const t0 = process.hrtime.bigint();
  const child = spawn(command, args, { ...spawnOptions, env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1" }, stdio: stdioPipes ? ["ignore", "pipe", "pipe"] : "ignore" });
  if (stdioPipes) {
    child.stdout.resume();
    child.stderr.resume();
  }
  const exited = new Promise((r) => child.on("exit", r));
  while ((await get(port)) !== 200) await new Promise((r) => setTimeout(r, 1));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const measured = measure(child);
  child.kill("SIGKILL");
  await exited;
  return { ms, ...measured };
}

/** A port the kernel just handed out and nobody holds: no other job's server answers the probe. */
export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
    srv.on("error", rej);
  });
}

/** `firstOk` on a free port, with the peak RSS and the CPU time (all threads, ms) up to the answer. */
export const firstOkMeasured = async (command, args) => firstOk(command, args, await freePort(), (child) => ({ rss: peakRss(child.pid), cpu: cpuNs(child.pid) / 1e6 }));
