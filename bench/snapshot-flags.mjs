// V8/GC flags at the start of a --snapshot service (issue 22, item 5), measured: the snapshot
// bundle binship builds (its shim: runtime/snapshot.ts) made into a plain startup snapshot by the
// same official Node (`node --snapshot-blob s.blob --build-snapshot app.cjs`, the heap a
// `build --snapshot` executable holds), then started as `node <flags> --snapshot-blob s.blob`,
// exec -> first HTTP 200 on GET /hello, every flag set once per round in a new random order, with
// the `binship build --snapshot` executable (no flags) in the same rounds as the anchor. A flag
// in a SEA blob's execArgv is the same command-line flag (NODE_OPTIONS refuses the semi-space
// flags, so this is how they can be tried without a binship option).
//
//   npm run build && (cd bench && npm install) && node bench/snapshot-flags.mjs
//
// Env: RUNS (default 21). Prints markdown for BENCHMARKS.md.

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { firstOk, firstOkMeasured, freePort } from "./lib/http-probe.mjs";

const here = resolve(import.meta.dirname, "..");
const runs = Number(process.env.RUNS ?? 21);
const out = join(tmpdir(), `binship-bench-snapflags-${process.pid}`);
mkdirSync(out, { recursive: true });
const cli = join(here, "bin", "binship.js");
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

// binship's bundle stage with snapshot: true (the `bundle` command has no such flag: the key is
// build's), compiled inside the checkout so it finds esbuild and binship's own runtime sources.
const stageDir = join(here, "node_modules", ".cache", `binship-bench-snapflags-${process.pid}`);
mkdirSync(stageDir, { recursive: true });
const stage = join(stageDir, "bundle-stage.mjs");
await build({ entryPoints: [join(here, "src", "bundle", "index.ts")], outfile: stage, bundle: true, platform: "node", format: "esm", packages: "external", logLevel: "silent" });
const lazy = join(stageDir, "lazy.mjs");
await build({ entryPoints: [join(here, "src", "bundle", "lazy-builtins.ts")], outfile: lazy, bundle: true, platform: "node", format: "esm", packages: "external", logLevel: "silent" });
const { bundle, resolveBundleOptions } = await import(stage);
const { shapesProbe } = await import(lazy);

const fixtures = [
  { key: "hono-first-use", title: "orders-first-use.ts (Hono + zod, the SDK on first use)", entry: join(import.meta.dirname, "apps", "orders-first-use.ts") },
  { key: "hello", title: "hello (test/fixtures/apps/hono)", entry: join(here, "test", "fixtures", "apps", "hono", "index.ts") },
];
const flagSets = [[], ["--min-semi-space-size=16"], ["--min-semi-space-size=4"], ["--max-semi-space-size=16"], ["--single-threaded-gc"], ["--max-lazy"]];

let node;
for (const f of fixtures) {
  const built = JSON.parse(execFileSync(process.execPath, [cli, "build", f.entry, "--snapshot", "-o", join(out, `${f.key}-exe-built`), "--json"], { cwd: here, encoding: "utf8" }));
  node = join(process.env.BINSHIP_CACHE_DIR ?? join(process.env.HOME, ".cache", "binship"), "node", `node-linux-${process.arch}@${built.nodeVersion}`, "node");
  f.exe = join(out, `${f.key}-exe`);
  copyFileSync(join(out, `${f.key}-exe-built`), f.exe);
  const dir = join(out, f.key);
  mkdirSync(dir, { recursive: true });
  f.app = join(dir, "app.cjs");
  await bundle({ ...resolveBundleOptions({ entry: f.entry, snapshot: true }, here, f.app), outfileGiven: true });
  const shapes = join(dir, "shapes.json");
  writeFileSync(shapes, execFileSync(node, ["-e", shapesProbe]));
  f.blob = join(dir, "s.blob");
  execFileSync(node, ["--snapshot-blob", f.blob, "--build-snapshot", f.app], { cwd: dir, env: { PATH: "/usr/bin:/bin", BINSHIP_SNAPSHOT_SHAPES: shapes }, stdio: ["ignore", "ignore", "inherit"] });
}

// CPU time of the process up to its first answer (all threads): steadier than wall time on a shared machine.
const httpStart = firstOkMeasured;

const subjects = [];
for (const f of fixtures) {
  subjects.push({ group: f.key, name: "`binship build --snapshot` executable", run: () => httpStart(f.exe, []) });
  for (const flags of flagSets) subjects.push({ group: f.key, name: `node ${flags.join(" ") || "(no flags)"} --snapshot-blob`, none: flags.length === 0, run: () => httpStart(node, [...flags, "--snapshot-blob", f.blob]) });
}
for (const s of subjects) {
  s.results = [];
  await s.run();
}
const shuffled = (xs) => xs.map((x) => [Math.random(), x]).sort((a, b) => a[0] - b[0]).map(([, x]) => x);
for (let i = 0; i < runs; i++) for (const s of shuffled(subjects)) s.results.push(await s.run());

const med = (s, k) => median(s.results.map((r) => r[k]));
const lines = [
  "Command: `" + (process.env.RUNS ? `RUNS=${runs} ` : "") + "node bench/snapshot-flags.mjs`",
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Linux ${readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}, **shared with other jobs (loaded)**; ${runs} rounds, every variant once per round in a new random order; medians.`,
  "",
];
for (const f of fixtures) {
  const rows = subjects.filter((s) => s.group === f.key);
  const none = rows.find((s) => s.none);
  lines.push(`#### ${f.title}`, "", "| runs as | first 200 | vs no flags | CPU to first 200 | vs no flags | peak RSS |", "|---|---:|---:|---:|---:|---:|");
  for (const s of rows) lines.push(`| ${s.name} | ${fmt(med(s, "ms"))} ms | ${(med(s, "ms") / med(none, "ms")).toFixed(2)}× | ${fmt(med(s, "cpu"))} ms | ${(med(s, "cpu") / med(none, "cpu")).toFixed(2)}× | ${mib(med(s, "rss"))} |`);
  lines.push("");
}
process.stdout.write(`${lines.join("\n")}\n`);
rmSync(out, { recursive: true, force: true });
rmSync(stageDir, { recursive: true, force: true });
