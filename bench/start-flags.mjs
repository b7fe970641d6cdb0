// V8/GC flags for the start of a real service (issue 22), measured: exec -> first HTTP 200 on
// GET /hello for bench/apps/orders.ts and orders-express.ts run as `node <flags> bundle.cjs` on
// the official Node inside binship's executables (a flag in the SEA blob's execArgv is parsed as
// the same command-line flag before V8 starts), every flag set once per round, interleaved; then
// for the sets that win at start, the steady-state throughput (wrk, GET /hello) against no flags,
// interleaved, so a start-up flag that costs throughput is seen.
//
//   npm run build && (cd bench && npm install) && node bench/start-flags.mjs
//
// Env: RUNS (default 15), WRK_ROUNDS (default 3), WRK_SECONDS (default 3), BINSHIP_ROOT as in
// bench/real-service-start.mjs. Prints markdown for BENCHMARKS.md.

import { execFileSync } from "node:child_process";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { firstOk, get } from "./lib/http-probe.mjs";
import { createServer } from "node:net";
import { cpuNs, peakRss } from "./lib/proc.mjs";

const here = resolve(import.meta.dirname, "..");
const root = resolve(process.env.BINSHIP_ROOT ?? here);
const runs = Number(process.env.RUNS ?? 15);
const wrkRounds = Number(process.env.WRK_ROUNDS ?? 3);
const wrkSeconds = Number(process.env.WRK_SECONDS ?? 3);
const out = join(tmpdir(), `binship-bench-flags-${process.pid}`);
mkdirSync(out, { recursive: true });
const binship = (...args) => execFileSync(process.execPath, [join(root, "bin", "binship.js"), ...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const flagSets = [
  [],
  ["--max-semi-space-size=16"],
  ["--min-semi-space-size=4"],
  ["--min-semi-space-size=16"],
  ["--single-threaded-gc"],
  ["--no-opt"],
  ["--no-flush-bytecode"],
  ["--max-lazy"],
];

const fixtures = ["orders.ts", "orders-express.ts"].map((f) => {
  const bundle = join(out, f.replace(/\.ts$/, ".cjs"));
  binship("bundle", join(import.meta.dirname, "apps", f), "-o", bundle);
  return { name: f, bundle };
});
const built = JSON.parse(binship("build", join(here, "bench", "apps", "plain-handler.ts"), "--node", "24", "-o", join(out, "plain"), "--json"));
const cache = process.env.BINSHIP_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME, ".cache"), "binship");
const node = join(cache, "node", `node-linux-${process.arch}@${built.nodeVersion}`, "node");
// A flag V8 does not know makes node exit at once: refuse it here rather than time an error.
const known = flagSets.filter((f) => f.every((flag) => execFileSync(node, ["--v8-options"]).toString().includes(`--${flag.replace(/^--(no-)?/, "").split("=")[0]} `)));

// A port the kernel just handed out and nobody holds: no other job's server answers the probe.
const freePort = () =>
  new Promise((res, rej) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
    srv.on("error", rej);
  });
const subjects = [];
for (const f of fixtures) for (const flags of known) subjects.push({ fixture: f.name, flags, results: [], run: async () => firstOk(node, [...flags, f.bundle], await freePort(), (c) => ({ rss: peakRss(c.pid), cpu: cpuNs(c.pid) / 1e6 })) });
for (const s of subjects) await s.run();
const shuffled = (xs) => xs.map((x) => [Math.random(), x]).sort((a, b) => a[0] - b[0]).map(([, x]) => x);
for (let i = 0; i < runs; i++) for (const s of shuffled(subjects)) s.results.push(await s.run()); // a new order each round

const label = (flags) => (flags.length ? flags.map((f) => `\`${f}\``).join(" ") : "(none)");
const lines = [
  `Command: \`node bench/start-flags.mjs\` (RUNS=${runs}, WRK_ROUNDS=${wrkRounds}, WRK_SECONDS=${wrkSeconds}).`,
  `Machine: ${cpus().length} × ${cpus()[0]?.model}, Linux ${readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}, **shared with other jobs (loaded)**; Node ${built.nodeVersion}; medians of ${runs} interleaved rounds.`,
  "",
  "| flags | orders.ts (Hono) first 200 | vs none | CPU to first 200 | vs none | peak RSS | orders-express.ts first 200 | vs none | CPU | vs none | peak RSS |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
];
const cell = (fixture, flags) => subjects.find((s) => s.fixture === fixture && s.flags === flags);
const base = (fixture) => median(cell(fixture, known[0]).results.map((r) => r.ms));
const baseCpu = (fixture) => median(cell(fixture, known[0]).results.map((r) => r.cpu));
const winners = [];
for (const flags of known) {
  const cols = fixtures.map((f) => {
    const s = cell(f.name, flags);
    const ms = median(s.results.map((r) => r.ms));
    const cpu = median(s.results.map((r) => r.cpu));
    return { ms, ratio: ms / base(f.name), cpu, cpuRatio: cpu / baseCpu(f.name), rss: median(s.results.map((r) => r.rss)) };
  });
  if (flags.length && cols.every((c) => c.ratio < 0.97 && c.cpuRatio < 0.97)) winners.push(flags);
  lines.push(`| ${label(flags)} | ${cols.map((c) => `${c.ms.toFixed(1)} ms | ${c.ratio.toFixed(2)}× | ${c.cpu.toFixed(1)} ms | ${c.cpuRatio.toFixed(2)}× | ${(c.rss / 1048576).toFixed(1)} MiB`).join(" | ")} |`);
}

// --- throughput of the winners against no flags ----------------------------------------------------
async function serve(flags, bundle) {
  const p = await freePort();
  const child = spawn(node, [...flags, bundle], { env: { ...process.env, PORT: String(p), HOST: "127.0.0.1" }, stdio: "ignore" });
  while ((await get(p)) !== 200) await new Promise((r) => setTimeout(r, 5));
  return { port: p, stop: () => new Promise((r) => (child.on("exit", r), child.kill("SIGKILL"))) };
}
const rps = (p) => Number(/Requests\/sec:\s+([\d.]+)/.exec(execFileSync("wrk", ["-t1", "-c16", `-d${wrkSeconds}s`, `http://127.0.0.1:${p}/hello`]).toString())[1]);
if (winners.length) {
  lines.push("", `Throughput, \`wrk -t1 -c16 -d${wrkSeconds}s\` on GET /hello, ${wrkRounds} interleaved rounds, medians (orders.ts):`, "", "| flags | req/s | vs none |", "|---|---:|---:|");
  const sets = [[], ...winners];
  const got = sets.map(() => []);
  for (let i = 0; i < wrkRounds; i++) {
    for (const [j, flags] of sets.entries()) {
      const svc = await serve(flags, fixtures[0].bundle);
      got[j].push(rps(svc.port));
      await svc.stop();
    }
  }
  for (const [j, flags] of sets.entries()) lines.push(`| ${label(flags)} | ${median(got[j]).toFixed(0)} | ${(median(got[j]) / median(got[0])).toFixed(2)}× |`);
} else {
  lines.push("", "No flag set was at least 3% faster (wall and CPU) on both services: no throughput run.");
}
process.stdout.write(`${lines.join("\n")}\n`);
rmSync(out, { recursive: true, force: true });
