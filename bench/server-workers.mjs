// Server workers, measured (issue 25): requests/s of one Hono app (bench/apps/hono-workers.ts)
// behind binship with BINSHIP_WORKERS=1 and 2, against @hono/node-server and bare node:http
// (one process each: they have no workers), and binship's node:cluster workers against the same
// workers binding the port themselves with SO_REUSEPORT (bench/lib/reuse-port-primary.cjs).
// Also the memory of each process (primary and workers), idle and under load.
//
//   npm run build && (cd bench && npm install) && node bench/server-workers.mjs
//
// Loads (wrk, keep-alive unless said): GET /cpu (~2 ms of JavaScript per request, 8
// connections), GET /hello (JSON, 32 connections), and GET /hello with "Connection: close"
// (a new connection per request: what a cluster primary's accept-and-hand-over costs).
// "shared": server and wrk both on cores 0-1 (the machine's two; wrk competes with the
// workers, as a sidecar or a busy node would); "pinned": server on core 0, wrk on core 1.
// Every setup runs in every round, in order, so machine noise hits them alike; medians.
//
// Env: ROUNDS (default 15), SECONDS (per wrk run, default 2; 1 s warm-up before each),
// BENCH_NODE (default: the newest Node 24 in binship's cache), ONLY (a regular expression on
// setup names), LOADS (a comma list of cpu, json, close, pipelined), WRK_THREADS (default 1; one wrk
// thread tops out near one core's worth of requests, below what 2 workers serve). Prints markdown tables for BENCHMARKS.md.

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { cpuNs } from "./lib/proc.mjs";
import { findNode } from "./lib/bench-node.mjs";

const root = resolve(import.meta.dirname, "..");
const out = join(tmpdir(), `binship-bench-workers-${process.pid}`);
mkdirSync(out, { recursive: true });
const rounds = Number(process.env.ROUNDS ?? 15);
const seconds = Number(process.env.SECONDS ?? 2);
const wrkThreads = Number(process.env.WRK_THREADS ?? 1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const node = findNode();
const apps = join(import.meta.dirname, "apps");
execFileSync(process.execPath, [join(root, "bin", "binship.js"), "bundle", join(apps, "hono-workers.ts"), "-o", join(out, "binship.cjs")], { cwd: root, stdio: "ignore" });
const esbuild = (entry, outfile) => build({ entryPoints: [join(apps, entry)], outfile: join(out, outfile), bundle: true, platform: "node", format: "cjs", target: "node24", minify: true, logLevel: "silent" });
await esbuild("hono-workers-node-server.ts", "hono-node-server.cjs");
await esbuild("raw-http-workers.ts", "raw-http.cjs");

const both = "0,1";
const loads = {
  cpu: { name: "GET /cpu (CPU-bound)", path: "/cpu", conns: 8 },
  json: { name: "GET /hello (JSON)", path: "/hello", conns: 32 },
  close: { name: "GET /hello, Connection: close", path: "/hello", conns: 32, extra: ["-H", "Connection: close"] },
  // HTTP/1.1 pipelining, 16 requests per write: wrk's own CPU per request falls to a fraction of
  // the server's, so on two shared cores the load generator no longer takes a core's share.
  pipelined: { name: "GET /hello (JSON), 16 pipelined", path: "/hello", conns: 32, extra: ["-s", join(import.meta.dirname, "lib", "pipeline-16.lua")] },
};
const binship = join(out, "binship.cjs");
const allSetups = [
  { name: "binship, 1 worker", args: [binship], env: { BINSHIP_WORKERS: "1" }, cores: both, wrkCores: both, loads: ["cpu", "json", "close", "pipelined"], memory: true },
  { name: "binship, 2 workers (node:cluster)", args: [binship], env: { BINSHIP_WORKERS: "2" }, cores: both, wrkCores: both, loads: ["cpu", "json", "close", "pipelined"], memory: true },
  // Node's other cluster policy: workers accept from the shared socket themselves (no hand-over by the primary).
  { name: "binship, 2 workers (node:cluster, NODE_CLUSTER_SCHED_POLICY=none)", args: [binship], env: { BINSHIP_WORKERS: "2", NODE_CLUSTER_SCHED_POLICY: "none" }, cores: both, wrkCores: both, loads: ["cpu", "json", "close"], memory: true },
  { name: "2 workers, SO_REUSEPORT", args: [join(import.meta.dirname, "lib", "reuse-port-primary.cjs"), "2", binship], env: {}, cores: both, wrkCores: both, loads: ["cpu", "json", "close"], memory: true },
  { name: "@hono/node-server 2.1.9", args: [join(out, "hono-node-server.cjs")], env: {}, cores: both, wrkCores: both, loads: ["cpu", "json", "pipelined"] },
  { name: "raw node:http", args: [join(out, "raw-http.cjs")], env: {}, cores: both, wrkCores: both, loads: ["json"] },
  { name: "binship, 1 worker, pinned", args: [binship], env: { BINSHIP_WORKERS: "1" }, cores: "0", wrkCores: "1", loads: ["json"] },
  { name: "raw node:http, pinned", args: [join(out, "raw-http.cjs")], env: {}, cores: "0", wrkCores: "1", loads: ["json"] },
];
const only = process.env.ONLY ? new RegExp(process.env.ONLY, "i") : undefined;
const onlyLoads = process.env.LOADS?.split(",");
const setups = allSetups
  .filter((s) => !only || only.test(s.name))
  .map((s) => ({ ...s, loads: s.loads.filter((l) => !onlyLoads || onlyLoads.includes(l)) }))
  .filter((s) => s.loads.length);

const up = (port) =>
  new Promise((res) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/hello", agent: false }, (r) => (r.resume(), res(r.statusCode === 200)));
    req.on("error", () => res(false));
  });

/** The process and its children (a primary's workers), as pids. */
function tree(pid) {
  let children = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {}
  return [pid, ...children.flatMap(tree)];
}
const statusKb = (pid, field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);
/** RSS and its private (anonymous) part of each process, MiB: [primary or the one process, ...workers]. */
const memory = (pid) => tree(pid).map((p) => ({ rss: statusKb(p, "VmRSS") / 1024, anon: statusKb(p, "RssAnon") / 1024 }));

// Interrupted: the server running now goes too, and the scratch directory.
let current;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await current?.stop();
    rmSync(out, { recursive: true, force: true });
    process.exit(130);
  });
}

let nextPort = 19700;
async function serve(setup) {
  const port = nextPort++;
  const env = { ...process.env, BINSHIP_WORKERS: "", ...setup.env, PORT: String(port), HOST: "127.0.0.1" };
  const child = spawn("taskset", ["-c", setup.cores, node, ...setup.args], { env, stdio: ["ignore", "ignore", "ignore"] });
  const exited = new Promise((r) => child.once("exit", r));
  current = { stop: () => (child.kill("SIGTERM"), exited) };
  while (!(await up(port))) await new Promise((r) => setTimeout(r, 20));
  // Every worker listening (a worker that is not would leave its share of connections refused).
  const want = setup.env.BINSHIP_WORKERS === "2" || setup.args.includes("2") ? 3 : 1;
  while (tree(child.pid).length < want) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
  return {
    port,
    pid: child.pid,
    stop: current.stop,
  };
}

function wrkAsync(setup, port, load, duration) {
  return new Promise((resolveRun, reject) => {
    const args = ["-c", setup.wrkCores, "wrk", `-t${wrkThreads}`, `-c${load.conns}`, `-d${duration}s`, ...(load.extra ?? []), `http://127.0.0.1:${port}${load.path}`];
    const child = spawn("taskset", args, { stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    child.stdout.on("data", (d) => (text += d));
    child.once("exit", () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
      const requests = Number(/(\d+) requests in/.exec(text)?.[1]);
      if (/Non-2xx|Socket errors/.test(text) || !rps) reject(new Error(`wrk ${load.path} on ${setup.name}:\n${text}`));
      else resolveRun({ rps, requests });
    });
  });
}

const rps = new Map(); // `${setup} ${load}` -> [req/s]
const cpuPerReq = new Map(); // µs of CPU (all processes of the server) per request
const mem = new Map(); // `${setup} idle|load` -> [[{rss, anon}...]]
const split = new Map(); // `${setup} ${load}` -> [{ shares: [worker CPU share], primaryUsPerReq }]
const push = (m, k, v) => (m.get(k) ?? m.set(k, []).get(k)).push(v);
const loadAverages = []; // the 1-minute load average after each round
const treeCpu = (pid) => tree(pid).reduce((t, p) => t + cpuNs(p), 0);

for (let round = 0; round < rounds; round++) {
  for (const setup of setups) {
    const server = await serve(setup);
    if (setup.memory) push(mem, `${setup.name} idle`, memory(server.pid));
    for (const key of setup.loads) {
      const load = loads[key];
      await wrkAsync(setup, server.port, load, 1);
      const before = treeCpu(server.pid);
      const perProcess = tree(server.pid).map(cpuNs);
      const running = wrkAsync(setup, server.port, load, seconds);
      if (setup.memory && key === "json") {
        await new Promise((r) => setTimeout(r, (seconds * 1000) / 2));
        push(mem, `${setup.name} load`, memory(server.pid));
      }
      const { rps: r, requests } = await running;
      push(cpuPerReq, `${setup.name} ${key}`, (treeCpu(server.pid) - before) / 1000 / requests);
      if (setup.memory) {
        // How the work was spread: each worker's share of the workers' CPU (the primary's apart).
        const used = tree(server.pid).map((p, i) => cpuNs(p) - perProcess[i]);
        const workers = used.length > 1 ? used.slice(1) : used;
        const sum = workers.reduce((a, b) => a + b, 0);
        push(split, `${setup.name} ${key}`, { shares: workers.map((w) => w / sum), primaryUsPerReq: used.length > 1 ? used[0] / 1000 / requests : 0 });
      }
      push(rps, `${setup.name} ${key}`, r);
    }
    await server.stop();
  }
  loadAverages.push(Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]));
  process.stderr.write(`round ${round + 1}/${rounds}\n`);
}
rmSync(out, { recursive: true, force: true });

const nodeVersion = execFileSync(node, ["--version"]).toString().trim();
const loadRange = `${Math.min(...loadAverages).toFixed(1)}-${Math.max(...loadAverages).toFixed(1)}`;
console.log(`Machine: ${cpus().length} × ${cpus()[0].model}, shared with other jobs (1-minute load average ${loadRange} over the rounds); Node ${nodeVersion} for all; wrk -t${wrkThreads}; ${rounds} interleaved rounds of ${seconds} s per cell (after 1 s warm-up), medians.\n`);
// Each round's two cells ran a few seconds apart, so their ratio cancels most of the machine's
// drift; the median of those per-round ratios, with the quartiles of the spread.
const ratio = (a, b) => {
  if (!a || !b) return "– | –";
  const rs = a.map((x, i) => x / b[i]).sort((x, y) => x - y);
  const q = (f) => rs[Math.floor((rs.length - 1) * f)].toFixed(2);
  return `${(median(a) / median(b)).toFixed(2)}× | ${q(0.5)}× (${q(0.25)}-${q(0.75)})`;
};
const get = (s, l) => rps.get(`${s} ${l}`);

console.log(`| server | cores (server / wrk) | ${Object.values(loads).map((l) => `${l.name} req/s | CPU µs/req`).join(" | ")} |`);
console.log(`|---|---|${Object.values(loads).map(() => "---:|---:").join("|")}|`);
for (const s of setups) {
  const cells = Object.keys(loads).map((l) => (get(s.name, l) ? `${Math.round(median(get(s.name, l)))} | ${median(cpuPerReq.get(`${s.name} ${l}`)).toFixed(0)}` : "– | –"));
  console.log(`| ${s.name} | ${s.cores} / ${s.wrkCores} | ${cells.join(" | ")} |`);
}

const w1 = "binship, 1 worker";
const w2 = "binship, 2 workers (node:cluster)";
const rp = "2 workers, SO_REUSEPORT";
const none = "binship, 2 workers (node:cluster, NODE_CLUSTER_SCHED_POLICY=none)";
console.log("\n| ratio | of the medians (req/s) | per round: median (quartiles) |\n|---|---:|---:|");
console.log(`| CPU-bound: 2 workers / 1 worker | ${ratio(get(w2, "cpu"), get(w1, "cpu"))} |`);
console.log(`| JSON, wrk sharing the cores: 2 workers / 1 worker | ${ratio(get(w2, "json"), get(w1, "json"))} |`);
console.log(`| JSON, wrk sharing the cores: 2 workers / @hono/node-server | ${ratio(get(w2, "json"), get("@hono/node-server 2.1.9", "json"))} |`);
console.log(`| JSON, 16 pipelined, wrk sharing the cores: 2 workers / 1 worker | ${ratio(get(w2, "pipelined"), get(w1, "pipelined"))} |`);
console.log(`| JSON, 16 pipelined, wrk sharing the cores: 2 workers / @hono/node-server | ${ratio(get(w2, "pipelined"), get("@hono/node-server 2.1.9", "pipelined"))} |`);
console.log(`| JSON, pinned: 1 worker / raw node:http | ${ratio(get(`${w1}, pinned`, "json"), get("raw node:http, pinned", "json"))} |`);
for (const l of ["cpu", "json", "close"]) console.log(`| ${loads[l].name}: SO_REUSEPORT / node:cluster (2 workers each) | ${ratio(get(rp, l), get(w2, l))} |`);
for (const l of ["cpu", "json", "close"]) console.log(`| ${loads[l].name}: cluster policy "none" / cluster round-robin (2 workers each) | ${ratio(get(none, l), get(w2, l))} |`);
console.log(`| GET /hello, Connection: close: 2 workers / 1 worker | ${ratio(get(w2, "close"), get(w1, "close"))} |`);

console.log("\nHow each 2-worker setup spread the work (medians over rounds): the busier worker's share of the workers' CPU, and the primary's CPU per request:\n");
console.log("| setup | load | busier worker's share | primary CPU µs/req |\n|---|---|---:|---:|");
for (const s of setups.filter((x) => x.memory && x.name !== w1)) {
  for (const l of s.loads) {
    const xs = split.get(`${s.name} ${l}`) ?? [];
    if (!xs.length) continue;
    console.log(`| ${s.name} | ${loads[l].name} | ${(100 * median(xs.map((x) => Math.max(...x.shares)))).toFixed(0)}% | ${median(xs.map((x) => x.primaryUsPerReq)).toFixed(1)} |`);
  }
}

console.log("\nMemory (MiB, medians over rounds; RssAnon is the process's own memory, RSS adds the mapped Node binary and libraries, which processes share in the page cache):\n");
console.log("| server | when | process | RSS | RssAnon |\n|---|---|---|---:|---:|");
for (const s of setups.filter((x) => x.memory)) {
  for (const when of ["idle", "load"]) {
    const samples = mem.get(`${s.name} ${when}`) ?? [];
    if (!samples.length) continue;
    const n = Math.max(...samples.map((x) => x.length));
    for (let i = 0; i < n; i++) {
      const of = samples.map((x) => x[i]).filter(Boolean);
      const label = n === 1 ? "the one process" : i === 0 ? "primary" : `worker ${i}`;
      console.log(`| ${s.name} | ${when === "idle" ? "idle" : "under JSON load"} | ${label} | ${median(of.map((x) => x.rss)).toFixed(1)} | ${median(of.map((x) => x.anon)).toFixed(1)} |`);
    }
    const total = (k) => median(samples.map((x) => x.reduce((t, p) => t + p[k], 0)));
    console.log(`| ${s.name} | ${when === "idle" ? "idle" : "under JSON load"} | **all** | ${total("rss").toFixed(1)} | ${total("anon").toFixed(1)} |`);
  }
}
console.log(`\nRuns (req/s): ${JSON.stringify(Object.fromEntries([...rps].map(([k, v]) => [k, v.map(Math.round)])))}`);
