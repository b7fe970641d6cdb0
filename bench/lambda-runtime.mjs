// Lambda mode, measured: invocation throughput and per-invocation overhead of binship's
// Runtime API client against the official one (the aws-lambda-ric npm package, with its native
// addon), both driven by binship's emulator in the same run, on the same Node binary.
//
//   npm run build && (cd bench && npm install) && node bench/lambda-runtime.mjs
//
// Functions: a no-op handler, and the Hono fixture app behind an HTTP API (payload 2.0)
// event (binship: the app as-is; aws-lambda-ric: the app wrapped in hono/aws-lambda's handle(),
// as its users deploy it). Both sides are esbuild bundles. Prints a markdown table for
// BENCHMARKS.md. Env: ROUNDS (default 3), N (timed invocations per round, default 3000),
// BENCH_NODE (a Node >= 22; default: the newest Node that binship has provisioned in its cache),
// BASELINE_HONO (a bundle of the Hono fixture made by another binship checkout, e.g. main: its
// Hono row is measured in the same rounds, to compare the runtime's per-invocation cost).

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const out = join(tmpdir(), `binship-bench-lambda-${process.pid}`);
mkdirSync(out, { recursive: true });
const rounds = Number(process.env.ROUNDS ?? 3);
const timed = Number(process.env.N ?? 3000);
const warmup = 300;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

function findNode() {
  if (process.env.BENCH_NODE) return process.env.BENCH_NODE;
  if (Number(process.versions.node.split(".")[0]) >= 22) return process.execPath;
  const cache = join(homedir(), ".cache", "binship", "node");
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  const dirs = existsSync(cache) ? readdirSync(cache).filter((d) => d.startsWith(`node-linux-${arch}@`)) : [];
  dirs.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const found = dirs.length && join(cache, dirs.at(-1), "node");
  if (!found || !existsSync(found)) throw new Error("aws-lambda-ric needs Node >= 22: set BENCH_NODE, or run `binship build` once so binship provisions Node 24 in its cache");
  return found;
}

async function compileEmulator() {
  const file = join(out, "emulator.mjs");
  await build({ entryPoints: [join(root, "src", "invoke", "emulator", "index.ts")], outfile: file, bundle: true, platform: "node", format: "esm", logLevel: "silent" });
  return import(file);
}

const noopSource = "export const handler = async () => ({ ok: true });\n";

async function prepare() {
  const binship = (entry, name) => {
    const file = join(out, `${name}.cjs`);
    execFileSync(process.execPath, [join(root, "bin", "binship.js"), "bundle", entry, "-o", file], { stdio: "ignore" });
    return file;
  };
  writeFileSync(join(out, "noop.mjs"), noopSource);
  const ric = async (name, contents) => {
    const dir = join(out, `ric-${name}`);
    mkdirSync(dir, { recursive: true });
    await build({ stdin: { contents, resolveDir: root, sourcefile: `${name}.mjs`, loader: "ts" }, outfile: join(dir, "index.mjs"), bundle: true, platform: "node", format: "esm", target: "node22", minify: true, logLevel: "silent" });
    return dir;
  };
  const hono = join(root, "test", "fixtures", "apps", "hono", "index.ts");
  return {
    noop: { binship: binship(join(out, "noop.mjs"), "noop"), ric: await ric("noop", noopSource) },
    hono: {
      binship: binship(hono, "hono"),
      ric: await ric("hono", `import app from ${JSON.stringify(hono)};\nimport { handle } from "hono/aws-lambda";\nexport const handler = handle(app);\n`),
    },
  };
}

function honoEvent() {
  const event = JSON.parse(readFileSync(join(root, "test", "fixtures", "events", "apigw-v2.json"), "utf8"));
  return { ...event, rawPath: "/hello", rawQueryString: "name=bench", requestContext: { ...event.requestContext, http: { ...event.requestContext.http, path: "/hello" } } };
}

/** CPU time (user + system) the process has used, from /proc/PID/stat, in ms. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of proc(5))
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

const ricEntry = join(root, "bench", "node_modules", "aws-lambda-ric", "index.mjs");

async function measure(startEmulator, node, client, artifact, event) {
  const emulator = await startEmulator({ timeoutMs: 60_000, taskRoot: client === "ric" ? artifact : out, handler: client === "ric" ? "index.handler" : "bootstrap" });
  const args = client === "ric" ? [ricEntry] : [artifact];
  const t0 = process.hrtime.bigint();
  const child = spawn(node, args, { cwd: client === "ric" ? artifact : out, env: { ...emulator.env, PATH: process.env.PATH }, stdio: ["ignore", "ignore", "inherit"] });
  child.on("exit", (code, signal) => emulator.processExited(code, signal));
  try {
    const init = await emulator.initialized();
    if (init.status !== "ready") throw new Error(`${client} did not start: ${JSON.stringify(init)}`);
    const initMs = Number(process.hrtime.bigint() - t0) / 1e6;
    for (let i = 0; i < warmup; i++) if ((await emulator.invoke(event)).status !== "ok") throw new Error(`${client}: warm-up invocation failed`);
    const latencies = [];
    const cpuBefore = cpuMs(child.pid);
    const start = process.hrtime.bigint();
    for (let i = 0; i < timed; i++) {
      const t = process.hrtime.bigint();
      const r = await emulator.invoke(event);
      latencies.push(Number(process.hrtime.bigint() - t) / 1e3);
      if (r.status !== "ok") throw new Error(`${client}: invocation failed: ${JSON.stringify(r.error)}`);
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpuUs = ((cpuMs(child.pid) - cpuBefore) * 1000) / timed;
    const rssMiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))[1]) / 1024;
    return { perSecond: timed / seconds, medianUs: median(latencies), p99Us: percentile(latencies, 0.99), cpuUs, initMs, rssMiB };
  } finally {
    child.kill("SIGKILL");
    await emulator.close();
  }
}

const node = findNode();
const nodeVersion = execFileSync(node, ["--version"]).toString().trim();
const { startEmulator } = await compileEmulator();
const fns = await prepare();
const events = { noop: {}, hono: honoEvent() };
if (process.env.BASELINE_HONO) fns.hono.baseline = resolve(process.env.BASELINE_HONO);
const results = {};
for (let round = 0; round < rounds; round++) {
  for (const fn of ["noop", "hono"]) {
    // Alternate which client goes first, so a noisy neighbour does not always hit the same one.
    const order = [...(round % 2 ? ["ric", "binship"] : ["binship", "ric"]), ...(fns[fn].baseline ? ["baseline"] : [])];
    for (const client of order) {
      const r = await measure(startEmulator, node, client, fns[fn][client], events[fn]);
      ((results[fn] ??= {})[client] ??= []).push(r);
      process.stderr.write(`round ${round + 1} ${fn} ${client}: ${r.perSecond.toFixed(0)}/s, median ${r.medianUs.toFixed(0)} µs\n`);
    }
  }
}

const med = (rs, key) => median(rs.map((r) => r[key]));
console.log(`Machine: ${cpus().length} × ${cpus()[0].model}, Linux ${process.arch}; functions on Node ${nodeVersion}; aws-lambda-ric 4.0.2.`);
console.log(`${rounds} rounds × ${timed} timed sequential invocations (after ${warmup} warm-up), medians across rounds.\n`);
console.log("| function | client | invocations/s | median round trip | p99 round trip | function CPU per invocation | start to first `next` | RSS after |");
console.log("|---|---|---:|---:|---:|---:|---:|---:|");
for (const fn of ["noop", "hono"]) {
  for (const client of ["binship", "ric", ...(results[fn].baseline ? ["baseline"] : [])]) {
    const rs = results[fn][client];
    const name = client === "ric" ? "aws-lambda-ric" : client === "baseline" ? "binship, baseline bundle (BASELINE_HONO)" : "binship";
    console.log(`| ${fn === "noop" ? "no-op handler" : "Hono, HTTP API v2 event"} | ${name} | ${med(rs, "perSecond").toFixed(0)} | ${med(rs, "medianUs").toFixed(0)} µs | ${med(rs, "p99Us").toFixed(0)} µs | ${med(rs, "cpuUs").toFixed(0)} µs | ${med(rs, "initMs").toFixed(0)} ms | ${med(rs, "rssMiB").toFixed(0)} MiB |`);
  }
  const ratio = (key) => (med(results[fn].binship, key) / med(results[fn].ric, key)).toFixed(2);
  console.log(`| ${fn === "noop" ? "no-op handler" : "Hono, HTTP API v2 event"} | **binship / aws-lambda-ric** | **${ratio("perSecond")}×** | ${ratio("medianUs")}× | | **${ratio("cpuUs")}×** | | |`);
  if (results[fn].baseline) {
    const vs = (key) => (med(results[fn].binship, key) / med(results[fn].baseline, key)).toFixed(2);
    console.log(`| ${fn === "noop" ? "no-op handler" : "Hono, HTTP API v2 event"} | **binship / baseline** | **${vs("perSecond")}×** | ${vs("medianUs")}× | | **${vs("cpuUs")}×** | ${vs("initMs")}× | |`);
  }
}
