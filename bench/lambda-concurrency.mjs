// Lambda Managed Instances (AWS_LAMBDA_MAX_CONCURRENCY, AWS_LAMBDA_NODEJS_WORKER_COUNT), measured
// with binship's emulator (src/invoke/emulator/), every variant interleaved round by round:
//
//   1. overlap: 16 invocations of a handler that awaits 300 ms, sent at once to a warm environment
//      with AWS_LAMBDA_MAX_CONCURRENCY=8 (workers: the vCPUs, Lambda's default) vs the variable
//      unset (one at a time, standard Lambda): wall time from the first event to the last answer.
//   2. CPU-bound: 16 invocations of ~50 ms of hashing each, AWS_LAMBDA_MAX_CONCURRENCY=2 with
//      AWS_LAMBDA_NODEJS_WORKER_COUNT=2 vs =1 (the same slots on one process): throughput ratio.
//   3. no cost when off: the default mode (variable unset) of a no-op handler, this checkout vs a
//      baseline (BASELINE_REF, default the commit of `main` this branch is based on, checked out detached in $TMPDIR, built there with this
//      checkout's node_modules), for the bundle (`node app.cjs`) and the single executable:
//      cold start (spawn -> first answer), the CPU time the process spent on it (less at the
//      mercy of a loaded machine than the wall time), and warm latency (median of N invocations).
//   4. memory: PSS (/proc/<pid>/smaps_rollup: shared pages split between the processes that map
//      them, which is what the environment is charged) of the whole process tree after 16
//      invocations, with 1, 2 and 4 workers, bundle and executable.
//
//   npm run build && node bench/lambda-concurrency.mjs
//
// Env: ROUNDS (default 21), N (warm invocations per round, default 200), BASELINE_REF,
// ONLY=default (part 3 alone, for more rounds of it), ONLY=cpu (the CPU-bound workers pair alone).
// Prints markdown tables for BENCHMARKS.md.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const out = join(tmpdir(), `binship-bench-concurrency-${process.pid}`);
mkdirSync(out, { recursive: true });
const rounds = Number(process.env.ROUNDS ?? 21);
const warmN = Number(process.env.N ?? 200);
const baselineRef = process.env.BASELINE_REF ?? execFileSync("git", ["-C", root, "merge-base", "HEAD", "main"], { encoding: "utf8" }).trim();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const emulatorFile = join(out, "emulator.mjs");
await build({ entryPoints: [join(root, "src", "invoke", "emulator", "index.ts")], outfile: emulatorFile, bundle: true, platform: "node", format: "esm", logLevel: "silent" });
const { startEmulator } = await import(emulatorFile);

// The baseline CLI: the ref checked out detached, built with this checkout's dependencies.
const baseDir = join(out, "baseline");
execFileSync("git", ["-C", root, "worktree", "add", "--detach", baseDir, baselineRef], { stdio: "ignore" });
const baselineCommit = execFileSync("git", ["-C", baseDir, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
symlinkSync(join(root, "node_modules"), join(baseDir, "node_modules"));
execFileSync("npm", ["run", "build"], { cwd: baseDir, stdio: "ignore" });
const clis = { current: join(root, "bin", "binship.js"), baseline: join(baseDir, "bin", "binship.js") };

const source = (name, text) => {
  const entry = join(out, `${name}.ts`);
  writeFileSync(entry, text);
  return entry;
};
const bundle = (cli, entry, name) => {
  const file = join(out, `${name}.cjs`);
  execFileSync(process.execPath, [cli, "bundle", entry, "-o", file], { stdio: "ignore" });
  return { file: process.execPath, args: [file] };
};
const executable = (cli, entry, name) => {
  const file = join(out, name);
  execFileSync(process.execPath, [cli, "build", entry, "--arch", process.arch === "arm64" ? "arm64" : "x64", "-o", file], { stdio: "ignore" });
  return { file, args: [] };
};
const sleeperEntry = source("sleeper", "export const handler = async (e: { ms: number }) => { await new Promise((r) => setTimeout(r, e.ms)); return { ok: true }; };\n");
const cpuEntry = source(
  "cpu",
  'import { createHash } from "node:crypto";\nexport const handler = async () => { let h = Buffer.alloc(32); const end = Date.now() + 50; while (Date.now() < end) h = createHash("sha256").update(h).digest(); return h.toString("hex"); };\n',
);
const noopEntry = source("noop", "export const handler = async () => ({ ok: true });\n");
const sleeper = bundle(clis.current, sleeperEntry, "sleeper");
const cpu = bundle(clis.current, cpuEntry, "cpu");
const noop = {
  "bundle, this checkout": bundle(clis.current, noopEntry, "noop-current"),
  "bundle, baseline": bundle(clis.baseline, noopEntry, "noop-baseline"),
  "executable, this checkout": executable(clis.current, noopEntry, "noop-current"),
  "executable, baseline": executable(clis.baseline, noopEntry, "noop-baseline"),
};
const sleeperExe = executable(clis.current, sleeperEntry, "sleeper");

/** Starts `program` on a fresh emulator. */
async function start(program, variables = {}) {
  const emulator = await startEmulator({ timeoutMs: 60_000 });
  const spawnedAt = performance.now();
  const child = spawn(program.file, program.args, { env: { ...emulator.env, ...variables, PATH: process.env.PATH }, stdio: "ignore" });
  const stop = async () => {
    for (const pid of tree(child.pid)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    await emulator.close();
  };
  return { emulator, child, spawnedAt, stop };
}

/** Waits until `slots` invocation/next requests are parked: every worker is up. */
async function parked(emulator, slots) {
  await emulator.initialized();
  while (emulator.parkedNexts() < slots) await sleep(10);
}

async function wall(program, variables, events, slots) {
  const { emulator, stop } = await start(program, variables);
  await parked(emulator, slots);
  const t0 = performance.now();
  await Promise.all(events.map((e) => emulator.invoke(e)));
  const ms = performance.now() - t0;
  await stop();
  return ms;
}

/** CPU time (ns) the process's threads have run so far: /proc/<pid>/task/<tid>/schedstat, field 1. */
function cpuNs(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
  return ns;
}

async function defaultPath(program) {
  const { emulator, child, spawnedAt, stop } = await start(program);
  await emulator.invoke({});
  const cold = performance.now() - spawnedAt;
  const coldCpu = cpuNs(child.pid) / 1e6;
  for (let i = 0; i < 50; i++) await emulator.invoke({});
  const warm = [];
  for (let i = 0; i < warmN; i++) {
    const t = performance.now();
    await emulator.invoke({});
    warm.push(performance.now() - t);
  }
  await stop();
  return { cold, coldCpu, warm: median(warm) };
}

function tree(pid) {
  const kids = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) kids.push(Number(d));
    } catch {}
  }
  return [pid, ...kids.flatMap(tree)];
}
const pssKb = (pid) => {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))[1]);
  } catch {
    return 0;
  }
};

async function memory(program, workers) {
  const slots = 8;
  const { emulator, child, stop } = await start(program, { AWS_LAMBDA_MAX_CONCURRENCY: String(slots), AWS_LAMBDA_NODEJS_WORKER_COUNT: String(workers) });
  await parked(emulator, slots);
  await Promise.all(Array.from({ length: 16 }, () => emulator.invoke({ ms: 50 })));
  const kb = tree(child.pid).reduce((sum, pid) => sum + pssKb(pid), 0);
  await stop();
  return kb / 1024;
}

const results = { overlap8: [], sequential: [], cpu2: [], cpu1: [], cold: {}, coldCpu: {}, warm: {}, mem: {} };
for (const name of Object.keys(noop)) (results.cold[name] = []), (results.coldCpu[name] = []), (results.warm[name] = []);
const memVariants = { bundle: sleeper, executable: sleeperExe };
for (const kind of Object.keys(memVariants)) for (const w of [1, 2, 4]) results.mem[`${kind} ${w}`] = [];
const sleeps = Array.from({ length: 16 }, () => ({ ms: 300 }));
const burns = Array.from({ length: 16 }, () => ({}));
const only = process.env.ONLY;
for (let r = 0; r < rounds; r++) {
  if (only !== "default") {
    if (only !== "cpu") {
      results.overlap8.push(await wall(sleeper, { AWS_LAMBDA_MAX_CONCURRENCY: "8" }, sleeps, 8));
      results.sequential.push(await wall(sleeper, {}, sleeps, 1));
    }
    results.cpu2.push(await wall(cpu, { AWS_LAMBDA_MAX_CONCURRENCY: "2", AWS_LAMBDA_NODEJS_WORKER_COUNT: "2" }, burns, 2));
    results.cpu1.push(await wall(cpu, { AWS_LAMBDA_MAX_CONCURRENCY: "2", AWS_LAMBDA_NODEJS_WORKER_COUNT: "1" }, burns, 2));
  }
  if (only === "cpu") continue;
  // Alternate the order of this checkout and the baseline, so neither always runs first.
  const names = Object.keys(noop);
  for (const name of r % 2 ? names.reverse() : names) {
    const m = await defaultPath(noop[name]);
    results.cold[name].push(m.cold);
    results.coldCpu[name].push(m.coldCpu);
    results.warm[name].push(m.warm);
  }
  if (r < 5 && only !== "default") for (const [kind, program] of Object.entries(memVariants)) for (const w of [1, 2, 4]) results.mem[`${kind} ${w}`].push(await memory(program, w));
}
execFileSync("git", ["-C", root, "worktree", "remove", "--force", baseDir], { stdio: "ignore" });
rmSync(out, { recursive: true, force: true });

const f = (ms) => `${ms.toFixed(ms < 10 ? 3 : 0)} ms`;
console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}; ${rounds} rounds, interleaved; medians. Baseline: ${baselineRef} (${baselineCommit}).\n`);
console.log("| measurement | median | ratio |\n|---|---:|---|");
if (only !== "default") {
if (only !== "cpu") {
  const o8 = median(results.overlap8);
  const seq = median(results.sequential);
  console.log(`| 16 × 300 ms async, AWS_LAMBDA_MAX_CONCURRENCY=8 | ${f(o8)} | ${(o8 / seq).toFixed(2)}× the time of one at a time |`);
  console.log(`| 16 × 300 ms async, variable unset (one at a time) | ${f(seq)} | 1 |`);
}
const c2 = median(results.cpu2);
const c1 = median(results.cpu1);
console.log(`| 16 × 50 ms CPU-bound, 2 slots, AWS_LAMBDA_NODEJS_WORKER_COUNT=2 | ${f(c2)} | ${(c1 / c2).toFixed(2)}× the throughput of 1 worker |`);
console.log(`| 16 × 50 ms CPU-bound, 2 slots, AWS_LAMBDA_NODEJS_WORKER_COUNT=1 | ${f(c1)} | 1 |`);
const perRound = results.cpu2.map((t, i) => results.cpu1[i] / t);
console.log(`| CPU-bound, per round: median of each round's 1-worker / 2-worker time | | ${median(perRound).toFixed(2)}× |`);
}
if (only === "cpu") process.exit(0);
for (const kind of ["bundle", "executable"]) {
  const [cc, cb] = [median(results.cold[`${kind}, this checkout`]), median(results.cold[`${kind}, baseline`])];
  const [wc, wb] = [median(results.warm[`${kind}, this checkout`]), median(results.warm[`${kind}, baseline`])];
  console.log(`| default mode, ${kind}: cold start (spawn -> first answer) | ${f(cc)} (baseline ${f(cb)}) | ${(cc / cb).toFixed(3)}× baseline |`);
  const [pc, pb] = [median(results.coldCpu[`${kind}, this checkout`]), median(results.coldCpu[`${kind}, baseline`])];
  console.log(`| default mode, ${kind}: CPU time of that cold start (all threads, schedstat) | ${f(pc)} (baseline ${f(pb)}) | ${(pc / pb).toFixed(3)}× baseline |`);
  console.log(`| default mode, ${kind}: warm invocation (median of ${warmN}) | ${f(wc)} (baseline ${f(wb)}) | ${(wc / wb).toFixed(3)}× baseline |`);
}
if (only !== "default") console.log("\n| PSS of the environment (8 slots, after 16 invocations) | 1 worker | 2 workers | 4 workers | per added worker |\n|---|---:|---:|---:|---:|");
for (const kind of only === "default" ? [] : Object.keys(memVariants)) {
  const m = [1, 2, 4].map((w) => median(results.mem[`${kind} ${w}`]));
  console.log(`| ${kind} | ${m[0].toFixed(1)} MiB | ${m[1].toFixed(1)} MiB | ${m[2].toFixed(1)} MiB | ${((m[2] - m[1]) / 2).toFixed(1)} MiB |`);
}
