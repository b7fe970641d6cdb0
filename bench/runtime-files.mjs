// Runtime files ("assets", issue 27), measured two ways.
//
// 1. Finding them: @vercel/nft (node-file-trace, installed in bench/ only) against binship's own
//    detection (bundle/file-refs.ts, known-assets.ts, autoload.ts) on the fastify-autoload and
//    express-static fixtures and bench/apps/orders.ts: wall time of one fresh process each (nft's
//    trace, `binship bundle`, which bundles too), and what each reports as read at run time.
// 2. Shipping them: Node SEA `assets` inside the executable against files beside it. Two SEA
//    executables of the same Node binary and the same main (bench/apps/static-files.cjs), made
//    as Node's SEA docs say (--experimental-sea-config, postject): one whose blob holds a
//    public/ folder of FILES files (FILE_KIB KiB each), one without, the folder beside it. Size,
//    and time from exec to the first 200 of GET /f/<first file>.
//
//   npm run build && (cd bench && npm install) && node bench/runtime-files.mjs
//
// Variants interleaved in every round; medians over RUNS rounds (default 15). Prints a markdown
// section for BENCHMARKS.md.

import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir, totalmem } from "node:os";
import { join, relative, resolve } from "node:path";
import { findNode } from "./lib/bench-node.mjs";
import { get } from "./lib/http-probe.mjs";
import { createServer } from "node:net";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "bin", "binship.js");
const runs = Number(process.env.RUNS ?? 15);
const fileCount = Number(process.env.FILES ?? 200);
const fileKiB = Number(process.env.FILE_KIB ?? 40);
const work = mkdtempSync(join(tmpdir(), "binship-bench-assets-"));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const wall = (fn) => {
  const t0 = process.hrtime.bigint();
  const out = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out };
};
const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

// --- 1. finding them ---------------------------------------------------------------------
const apps = [
  { name: "fastify-autoload", entry: "test/fixtures/apps/fastify-autoload/index.ts", cwd: "test/fixtures/apps/fastify-autoload" },
  { name: "express-static", entry: "test/fixtures/apps/express-static/src/index.ts", cwd: "test/fixtures/apps/express-static" },
  { name: "orders (bench/apps)", entry: "bench/apps/orders.ts", cwd: "bench" },
];

function nft(app) {
  const args = [join(import.meta.dirname, "lib", "nft-trace.mjs"), join(root, app.entry), join(root, app.cwd), root];
  return JSON.parse(execFileSync(process.execPath, args, { maxBuffer: 64 << 20 }).toString());
}

function binship(app) {
  const args = [cli, "bundle", join(root, app.entry), "-o", join(work, "bundle", app.name.replace(/\W/g, "_"), "app.cjs"), "--json"];
  return JSON.parse(execFileSync(process.execPath, args, { cwd: join(root, app.cwd), maxBuffer: 64 << 20 }).toString());
}

const traced = apps.map(() => ({ nft: [], binship: [], nftOut: undefined, binshipOut: undefined }));
for (let i = 0; i < runs; i++) {
  for (const [k, app] of apps.entries()) {
    // Alternate which goes first, so neither always meets a warm page cache.
    const order = i % 2 ? ["binship", "nft"] : ["nft", "binship"];
    for (const tool of order) {
      const { ms, out } = wall(() => (tool === "nft" ? nft(app) : binship(app)));
      traced[k][tool].push(ms);
      traced[k][`${tool}Out`] = out;
    }
  }
}

// --- 2. shipping them ----------------------------------------------------------------------
const node = findNode();
const postject = createRequire(join(root, "package.json"))("postject");
const seaDir = join(work, "sea");
const publicDir = join(seaDir, "beside", "public");
mkdirSync(publicDir, { recursive: true });
const names = [];
for (let i = 0; i < fileCount; i++) {
  const name = `f${String(i).padStart(3, "0")}.bin`;
  // Deterministic, poorly compressible bytes (as images and fonts are).
  const buf = Buffer.alloc(fileKiB * 1024);
  let x = i + 1;
  for (let j = 0; j < buf.length; j++) buf[j] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  writeFileSync(join(publicDir, name), buf);
  names.push(name);
}
const main = join(seaDir, "main.cjs");
copyFileSync(join(import.meta.dirname, "apps", "static-files.cjs"), main);

async function seaExecutable(variant, assets) {
  const dir = join(seaDir, variant);
  mkdirSync(dir, { recursive: true });
  const config = join(seaDir, `${variant}.json`);
  const blob = join(seaDir, `${variant}.blob`);
  writeFileSync(config, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false, ...(assets ? { assets } : {}) }));
  execFileSync(node, ["--experimental-sea-config", config], { cwd: seaDir, stdio: "ignore" });
  const exe = join(dir, "svc");
  copyFileSync(node, exe);
  await postject.inject(exe, "NODE_SEA_BLOB", readFileSync(blob), { sentinelFuse: "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2" });
  return exe;
}

const variants = [
  { name: "files beside the executable", exe: await seaExecutable("beside"), env: { ASSETS: "beside" } },
  { name: "SEA assets inside it", exe: await seaExecutable("inside", Object.fromEntries(names.map((n) => [n, join(publicDir, n)]))), env: { ASSETS: "sea" } },
];
const payload = names.reduce((n, f) => n + statSync(join(publicDir, f)).size, 0);

const freePort = () =>
  new Promise((res) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });

async function firstFile(v) {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const child = spawn(v.exe, [], { env: { ...process.env, ...v.env, PORT: String(port), HOST: "127.0.0.1" }, stdio: "ignore" });
  const exited = new Promise((r) => child.on("exit", r));
  while ((await get(port, `/f/${names[0]}`)) !== 200) await new Promise((r) => setTimeout(r, 1));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rss = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))[1]) * 1024;
  child.kill("SIGKILL");
  await exited;
  return { ms, rss };
}

const started = variants.map(() => ({ ms: [], rss: [] }));
for (let i = 0; i < runs; i++) {
  for (const k of i % 2 ? [1, 0] : [0, 1]) {
    const r = await firstFile(variants[k]);
    started[k].ms.push(r.ms);
    started[k].rss.push(r.rss);
  }
}

// --- report --------------------------------------------------------------------------------
const cpu = cpus()[0]?.model ?? "unknown CPU";
const lines = [
  "## Runtime files: finding them (@vercel/nft vs binship) and shipping them (SEA assets vs files beside)",
  "",
  `Command: \`npm run build && (cd bench && npm install) && node bench/runtime-files.mjs\` (RUNS=${runs}, FILES=${fileCount}, FILE_KIB=${fileKiB}).`,
  `Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version} (${node} for the SEA executables); loaded (other builds ran at the same time): read the ratios, not the absolute times.`,
  "",
  "### Finding them: one fresh process each, median wall time",
  "",
  "| app | @vercel/nft 1.11.5 trace | binship bundle (bundles too) | binship / nft | nft: files traced | nft: read at run time (\"asset\") | binship: runtime files shipped |",
  "|---|---|---|---|---|---|---|",
];
for (const [k, app] of apps.entries()) {
  const t = traced[k];
  const nftAssets = t.nftOut.assets.map((f) => relative(app.cwd, f)).join(", ") || "none";
  const ours = (t.binshipOut.assets ?? []).map((a) => a.name).join(", ") || "none";
  lines.push(`| ${app.name} | ${fmt(median(t.nft))} ms | ${fmt(median(t.binship))} ms | ${(median(t.binship) / median(t.nft)).toFixed(2)} | ${t.nftOut.files.length} | ${nftAssets} | ${ours} |`);
}
lines.push(
  "",
  `### Shipping them: ${fileCount} files of ${fileKiB} KiB (${mib(payload)}), median of ${runs} starts, exec -> first 200 of GET /f/${names[0]}`,
  "",
  "| variant | executable | on disk in all | first file served | vs beside | peak RSS |",
  "|---|---|---|---|---|---|",
);
for (const [k, v] of variants.entries()) {
  const exeBytes = statSync(v.exe).size;
  const total = exeBytes + (k === 0 ? payload : 0);
  lines.push(`| ${v.name} | ${mib(exeBytes)} | ${mib(total)} | ${fmt(median(started[k].ms))} ms | ${(median(started[k].ms) / median(started[0].ms)).toFixed(2)} | ${mib(median(started[k].rss))} |`);
}
console.log(lines.join("\n"));
rmSync(work, { recursive: true, force: true });
