// Lambda Managed Instances (AWS_LAMBDA_MAX_CONCURRENCY), measured with binship's emulator:
//
//   1. overlap: 16 invocations of a handler that awaits 300 ms, sent at once, on one warm
//      process with AWS_LAMBDA_MAX_CONCURRENCY=8 vs the same bundle with the variable unset
//      (one at a time, as on standard Lambda): wall time from the first event to the last answer.
//   2. the default path, unchanged: a no-op handler's cold start (spawn -> first answer) and
//      warm latency (median of N invocations), this checkout vs a baseline checkout's bundle
//      (BASELINE_BINSHIP: the bin/binship.js of a build of the commit before, e.g. from
//      `git archive <commit> | tar -x -C /tmp/base` + npm run build), interleaved per round.
//   3. a CPU-bound handler (~50 ms of hashing per event, 16 events) with
//      AWS_LAMBDA_MAX_CONCURRENCY=2 vs unset: overlap cannot help one thread (no worker threads yet).
//
//   npm run build && BASELINE_BINSHIP=/tmp/base/bin/binship.js node bench/lambda-concurrency.mjs
//
// Env: ROUNDS (default 5), N (warm invocations per round, default 500). Prints markdown tables.

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const out = join(tmpdir(), `binship-bench-concurrency-${process.pid}`);
mkdirSync(out, { recursive: true });
const rounds = Number(process.env.ROUNDS ?? 5);
const warmN = Number(process.env.N ?? 500);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const emulatorFile = join(out, "emulator.mjs");
await build({ entryPoints: [join(root, "src", "invoke", "emulator", "index.ts")], outfile: emulatorFile, bundle: true, platform: "node", format: "esm", logLevel: "silent" });
const { startEmulator } = await import(emulatorFile);

const bundle = (cli, source, name) => {
  const entry = join(out, `${name}.ts`);
  writeFileSync(entry, source);
  const file = join(out, `${name}.cjs`);
  execFileSync(process.execPath, [cli, "bundle", entry, "-o", file], { stdio: "ignore" });
  return file;
};
const cli = join(root, "bin", "binship.js");
const sleeper = bundle(cli, "export const handler = async (e: { ms: number }) => { await new Promise((r) => setTimeout(r, e.ms)); return { ok: true }; };\n", "sleeper");
const cpu = bundle(
  cli,
  'import { createHash } from "node:crypto";\nexport const handler = async () => { let h = Buffer.alloc(32); const end = Date.now() + 50; while (Date.now() < end) h = createHash("sha256").update(h).digest(); return h.toString("hex"); };\n',
  "cpu",
);
const noopSource = "export const handler = async () => ({ ok: true });\n";
const noop = { current: bundle(cli, noopSource, "noop") };
if (process.env.BASELINE_BINSHIP) noop.baseline = bundle(process.env.BASELINE_BINSHIP, noopSource, "noop-baseline");

/** Starts `file` on a fresh emulator; resolves once it asks for its first event. */
async function start(file, variables = {}) {
  const emulator = await startEmulator({ timeoutMs: 60_000 });
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [file], { env: { ...emulator.env, ...variables, PATH: process.env.PATH }, stdio: "ignore" });
  const stop = async () => {
    child.kill("SIGKILL");
    await emulator.close();
  };
  return { emulator, spawnedAt, stop };
}

async function wall(file, variables, events) {
  const { emulator, stop } = await start(file, variables);
  await emulator.initialized();
  const t0 = performance.now();
  await Promise.all(events.map((e) => emulator.invoke(e)));
  const ms = performance.now() - t0;
  await stop();
  return ms;
}

async function defaultPath(file) {
  const { emulator, spawnedAt, stop } = await start(file);
  await emulator.invoke({});
  const cold = performance.now() - spawnedAt;
  for (let i = 0; i < 50; i++) await emulator.invoke({});
  const warm = [];
  for (let i = 0; i < warmN; i++) {
    const t = performance.now();
    await emulator.invoke({});
    warm.push(performance.now() - t);
  }
  await stop();
  return { cold, warm: median(warm) };
}

const results = { overlap8: [], sequential: [], cpu2: [], cpu1: [], cold: { current: [], baseline: [] }, warm: { current: [], baseline: [] } };
const sleeps = Array.from({ length: 16 }, () => ({ ms: 300 }));
const burns = Array.from({ length: 16 }, () => ({}));
for (let r = 0; r < rounds; r++) {
  results.overlap8.push(await wall(sleeper, { AWS_LAMBDA_MAX_CONCURRENCY: "8" }, sleeps));
  results.sequential.push(await wall(sleeper, {}, sleeps));
  results.cpu2.push(await wall(cpu, { AWS_LAMBDA_MAX_CONCURRENCY: "2" }, burns));
  results.cpu1.push(await wall(cpu, {}, burns));
  for (const which of Object.keys(noop)) {
    const m = await defaultPath(noop[which]);
    results.cold[which].push(m.cold);
    results.warm[which].push(m.warm);
  }
}

const f = (ms) => `${ms.toFixed(ms < 10 ? 3 : 0)} ms`;
console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}; ${rounds} rounds, interleaved; medians.\n`);
console.log("| measurement | value | ratio |\n|---|---|---|");
const o8 = median(results.overlap8);
const seq = median(results.sequential);
console.log(`| 16 × 300 ms async, AWS_LAMBDA_MAX_CONCURRENCY=8 | ${f(o8)} | ${(seq / o8).toFixed(2)}× faster than one at a time |`);
console.log(`| 16 × 300 ms async, variable unset (one at a time) | ${f(seq)} | 1 |`);
const c2 = median(results.cpu2);
const c1 = median(results.cpu1);
console.log(`| 16 × 50 ms CPU-bound, AWS_LAMBDA_MAX_CONCURRENCY=2 (one thread) | ${f(c2)} | ${(c1 / c2).toFixed(2)}× the throughput of one at a time |`);
console.log(`| 16 × 50 ms CPU-bound, variable unset | ${f(c1)} | 1 |`);
if (noop.baseline) {
  const cc = median(results.cold.current);
  const cb = median(results.cold.baseline);
  const wc = median(results.warm.current);
  const wb = median(results.warm.baseline);
  console.log(`| no-op cold start (spawn -> first answer), this checkout | ${f(cc)} | ${(cc / cb).toFixed(3)}× baseline |`);
  console.log(`| no-op cold start, baseline | ${f(cb)} | 1 |`);
  console.log(`| no-op warm invocation (median of ${warmN}), this checkout | ${f(wc)} | ${(wc / wb).toFixed(3)}× baseline |`);
  console.log(`| no-op warm invocation, baseline | ${f(wb)} | 1 |`);
}
