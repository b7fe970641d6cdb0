// Bundle stage and server mode, measured: `node bench/bundle-server.mjs` (after npm run build).
// Prints a markdown table for BENCHMARKS.md. Medians of several runs; the machine is shared,
// so ratios matter more than absolute numbers.

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, statSync } from "node:fs";
import http from "node:http";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const apps = join(root, "test", "fixtures", "apps");
const out = mkdtempSync(join(tmpdir(), "binship-bench-"));
const runs = Number(process.env.RUNS ?? 7);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

async function timeIt(fn) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    times.push(ms(t0));
  }
  return median(times);
}

function cli(args) {
  execFileSync(process.execPath, [join(root, "bin", "binship.js"), ...args], { stdio: "ignore" });
}

async function plainEsbuild(entry, outfile) {
  await build({ entryPoints: [entry], outfile, bundle: true, platform: "node", format: "cjs", target: "node24", minify: true, charset: "utf8", logLevel: "silent" });
}

function freePort() {
  return new Promise((res) => {
    const s = http.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function get(port, path, agent) {
  return new Promise((res, rej) => {
    http.get({ host: "127.0.0.1", port, path, agent }, (r) => {
      r.resume();
      r.on("end", () => res(r.statusCode));
    }).on("error", rej);
  });
}

async function startToFirstResponse(bundle) {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [bundle], { env: { ...process.env, HOST: "127.0.0.1", PORT: String(port) }, stdio: "ignore" });
  for (;;) {
    try {
      if ((await get(port, "/hello", false)) === 200) break;
    } catch {
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  const t = ms(t0);
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  return t;
}

async function throughput(bundle, requests = 3000) {
  const port = await freePort();
  const child = spawn(process.execPath, [bundle], { env: { ...process.env, HOST: "127.0.0.1", PORT: String(port) }, stdio: "ignore" });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  for (;;) {
    try {
      await get(port, "/hello", agent);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  const t0 = process.hrtime.bigint();
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next++ < requests) await get(port, "/hello?name=bench", agent);
  }));
  const rps = requests / (ms(t0) / 1000);
  agent.destroy();
  child.kill("SIGKILL");
  return rps;
}

const rows = [];
for (const name of ["fetch", "hono", "express", "fastify", "listener"]) {
  const entry = join(apps, name, "index.ts");
  const ours = join(out, `${name}.cjs`);
  const plain = join(out, `${name}.plain.cjs`);
  const binshipMs = await timeIt(() => cli(["bundle", entry, "-o", ours, "-q"]));
  const esbuildMs = await timeIt(() => plainEsbuild(entry, plain));
  const starts = [];
  for (let i = 0; i < runs; i++) starts.push(await startToFirstResponse(ours));
  const startMs = median(starts);
  const rps = median([await throughput(ours), await throughput(ours), await throughput(ours)]);
  rows.push({ name, binshipMs, esbuildMs, bytes: statSync(ours).size, plainBytes: statSync(plain).size, startMs, rps });
}

console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}; ${runs} runs each, medians.\n`);
console.log("| fixture | `binship bundle` (CLI, ms) | esbuild API alone (ms) | bundle bytes | plain esbuild bytes | runtime overhead | spawn → first 200 (ms) | GET /hello req/s (8 keep-alive conns) |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(`| ${r.name} | ${r.binshipMs.toFixed(0)} | ${r.esbuildMs.toFixed(0)} | ${r.bytes} | ${r.plainBytes} | ${((r.bytes - r.plainBytes) / 1024).toFixed(1)} KiB | ${r.startMs.toFixed(0)} | ${r.rps.toFixed(0)} |`);
}
const fetchRps = rows.find((r) => r.name === "fetch").rps;
const listenerRps = rows.find((r) => r.name === "listener").rps;
console.log(`\nFetch bridge vs bare node:http listener (same routes): ${(fetchRps / listenerRps).toFixed(2)}× the request rate.`);
