// Server mode cold start, measured: time from exec to the first HTTP 200 on GET /hello, and
// the process's peak RSS (VmHWM) right after it, for the Hono fixture as a binship executable
// and as `node bundle.cjs`, against a bare node:http hello server on the same Node, the same
// app under @hono/node-server, and bun --compile of the same app. Variants interleaved.
//
//   npm run build && (cd bench && npm install) && node bench/fetch-cold-start.mjs
//
// On a shared machine wall-clock start times swing with other jobs, so the CPU time the process
// used up to its first answer (all threads, /proc/<pid>/task/*/schedstat) is reported too.
//
// Env: RUNS (default 20). Prints a markdown table for BENCHMARKS.md.

import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { firstOk } from "./lib/http-probe.mjs";
import { cpuNs, peakRss } from "./lib/proc.mjs";

const root = resolve(import.meta.dirname, "..");
const out = join(tmpdir(), `binship-bench-coldhttp-${process.pid}`);
mkdirSync(out, { recursive: true });
const runs = Number(process.env.RUNS ?? 20);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const binship = (...args) => execFileSync(process.execPath, [join(root, "bin", "binship.js"), ...args], { cwd: root, encoding: "utf8" });

const hono = join(root, "test", "fixtures", "apps", "hono", "index.ts");
const exe = join(out, "hono-exe");
const built = JSON.parse(binship("build", hono, "--arch", process.arch === "arm64" ? "arm64" : "x64", "--node", "24", "-o", exe, "--json"));
// A deploy unpacks the executable from a zip or an image layer: a freshly written copy. The file
// as the build leaves it maps ~20 MiB more of its pages at start (page cache state after the
// build's writes; a plain `cp` of it does not), so both are measured.
const deployed = join(out, "hono-exe-copy");
copyFileSync(exe, deployed);
const bundle = join(out, "hono.cjs");
binship("bundle", hono, "-o", bundle);
const cache = process.env.BINSHIP_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME, ".cache"), "binship");
const node = join(cache, "node", `node-linux-${process.arch}@${built.nodeVersion}`, "node");
// Every script runs from the same directory: Node 24 maps ~1.8 MiB more of its own binary for a
// script whose path is longer (bench/apps/raw-hello.cjs vs the same file copied into the temp
// dir: 48.7 vs 50.5 MiB peak RSS), which once made the bundle look 2 MiB heavier than it is.
const rawHello = join(out, "raw-hello.cjs");
copyFileSync(join(import.meta.dirname, "apps", "raw-hello.cjs"), rawHello);
const nodeServer = join(out, "hono-node-server.cjs");
await build({ entryPoints: [join(import.meta.dirname, "apps", "hono-node-server.ts")], outfile: nodeServer, bundle: true, platform: "node", format: "cjs", target: "node24", minify: true, logLevel: "silent" });
const bunBin = join(import.meta.dirname, "node_modules", "bun", "bin", "bun.exe");
const bunExe = join(out, "hono-bun");
let bunVersion;
if (existsSync(bunBin)) {
  execFileSync(bunBin, ["build", "--compile", hono, "--outfile", bunExe], { stdio: "ignore" });
  bunVersion = execFileSync(bunBin, ["--version"]).toString().trim();
}




let nextPort = 19800;
const startup = (command, args) => firstOk(command, args, nextPort++, (child) => ({ rss: peakRss(child.pid), cpu: cpuNs(child.pid) / 1e6 }));

const subjects = [
  { name: `raw node:http hello (node ${built.nodeVersion})`, run: () => startup(node, [rawHello]) },
  { name: "binship executable (Hono fixture), copied as a deploy does", run: () => startup(deployed, []) },
  { name: "binship executable (Hono fixture), the file as built", run: () => startup(exe, []) },
  { name: `node ${built.nodeVersion} + binship bundle.cjs`, run: () => startup(node, [bundle]) },
  { name: `node ${built.nodeVersion} + @hono/node-server 2.1.9`, run: () => startup(node, [nodeServer]) },
  ...(bunVersion ? [{ name: `bun ${bunVersion} build --compile`, run: () => startup(bunExe, []) }] : []),
];
const results = subjects.map(() => []);
for (const s of subjects) await s.run(); // warm the page cache once
for (let i = 0; i < runs; i++) for (const [j, s] of subjects.entries()) results[j].push(await s.run());

const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const refMs = median(results[0].map((r) => r.ms));
const refRss = median(results[0].map((r) => r.rss));
console.log(`Machine: ${cpus().length} × ${cpus()[0].model}, shared with other jobs; ${runs} runs each, interleaved; polling every ~1 ms.${bunVersion ? "" : " (bun not installed: cd bench && npm install)"}\n`);
const refCpu = median(results[0].map((r) => r.cpu));
console.log("| runs as | exec -> first 200 (median) | min | max | vs raw | CPU to first 200 (median) | vs raw | peak RSS at first 200 (median) | vs raw |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const [j, s] of subjects.entries()) {
  const ms = results[j].map((r) => r.ms);
  const rss = median(results[j].map((r) => r.rss));
  const cpu = median(results[j].map((r) => r.cpu));
  console.log(`| ${s.name} | ${median(ms).toFixed(1)} ms | ${Math.min(...ms).toFixed(1)} ms | ${Math.max(...ms).toFixed(1)} ms | ${(median(ms) / refMs).toFixed(2)}× | ${cpu.toFixed(1)} ms | ${(cpu / refCpu).toFixed(2)}× | ${mib(rss)} | ${rss >= refRss ? "+" : "−"}${mib(Math.abs(rss - refRss))} |`);
}
