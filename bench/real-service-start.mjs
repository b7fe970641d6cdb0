// Real-service cold start (issue 22): two services with real dependencies, each measured as
//   - exec -> first HTTP 200 on GET /hello, with the CPU time used until then (all threads; steadier
//     than wall time on a shared machine) and peak RSS (VmHWM) at that moment, for
//       `node bundle.cjs` (binship's bundle, on the official Node inside the executable),
//       the binship executable (a fresh copy, as a deploy unpacks it), and
//       bun `build --compile` of the same entry;
//   - Lambda spawn -> first answered invocation (an HTTP API v2 event for GET /hello, driven by
//     binship's emulator as bench/lambda-cold-start.mjs does), with peak RSS, for the executable
//     and `node bundle.cjs`;
// plus a hello-world row (the Hono test fixture as an executable against a bare node:http hello
// on the same Node) that must stay where it was, and the executable and Lambda zip sizes.
// Fixtures: bench/apps/orders.ts (Hono + zod + @aws-sdk/client-dynamodb) and
// bench/apps/orders-express.ts (Express + zod + client-dynamodb + lib-dynamodb), and each as a
// user changes it for --snapshot after the guard refused it (orders-first-use.ts,
// orders-express-first-use.ts: env read where used, the SDK loaded on first use).
// The "snapshot" variant is `binship build --snapshot`; a fixture the guard refuses gets no
// snapshot row, and the report lists what the guard named.
// Every variant of every fixture runs once per round, rounds interleaved; medians and ratios.
//
//   npm run build && (cd bench && npm install) && node bench/real-service-start.mjs
//
// Env:
//   RUNS=15            rounds
//   BINSHIP_ROOT=dir   the binship checkout whose CLI (dir/bin/binship.js, built) and emulator
//                      source are measured; default this checkout. The fixtures and bun always
//                      come from this checkout's bench/.
//   BASELINE_ROOT=dir  also the executables another checkout's built CLI makes (a "baseline"
//                      row and ratio in every executable table), interleaved in the same rounds:
//                      a before/after of a runtime change on a noisy machine
//   ARM64=1            also the arm64 executable and node bundle under qemu-aarch64 (HTTP only)
//   LAMBDA=0           leave out the Lambda rows
//   FIXTURES=hono,express   a subset (names below)
//   BUILD_ARGS="..."   extra `binship build` flags for the executable (e.g. "--no-code-cache")
//   SNAPSHOT=0         leave out the --snapshot variant
//   JSON=file          also write the raw numbers there
//   BENCH_STDIO=pipe   the services' stdout/stderr are pipes (as in a container or Lambda), not /dev/null
// Prints a markdown section for BENCHMARKS.md.

import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { firstOk, firstOkMeasured, freePort, stdioPipes } from "./lib/http-probe.mjs";
import { cpuNs, peakRss } from "./lib/proc.mjs";

const here = resolve(import.meta.dirname, "..");
const root = resolve(process.env.BINSHIP_ROOT ?? here);
const cli = join(root, "bin", "binship.js");
const runs = Number(process.env.RUNS ?? 15);
const withLambda = process.env.LAMBDA !== "0";
const withArm = process.env.ARM64 === "1";
const buildArgs = (process.env.BUILD_ARGS ?? "").split(" ").filter(Boolean);
const withSnapshot = process.env.SNAPSHOT !== "0";
const out = join(tmpdir(), `binship-bench-real-${process.pid}`);
mkdirSync(out, { recursive: true });
const arch = process.arch === "arm64" ? "arm64" : "x64";
const qemu = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const binship = (...args) => execFileSync(process.execPath, [cli, ...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
const baseRoot = process.env.BASELINE_ROOT ? resolve(process.env.BASELINE_ROOT) : undefined;
/** The baseline checkout's executable of `entry`, as a fresh copy (like the measured one). */
function baselineExe(entry, name) {
  const exe = join(out, `${name}-base`);
  execFileSync(process.execPath, [join(baseRoot, "bin", "binship.js"), "build", entry, "--arch", arch, "--node", nodeVersion, ...buildArgs, "-o", `${exe}-built`], { cwd: baseRoot, stdio: ["ignore", "ignore", "inherit"] });
  copyFileSync(`${exe}-built`, exe);
  return exe;
}
const cacheDir = process.env.BINSHIP_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME, ".cache"), "binship");
const officialNode = (a, version) => join(cacheDir, "node", `node-linux-${a}@${version}`, "node");
const bunBin = join(import.meta.dirname, "node_modules", "bun", "bin", "bun.exe");
const hasBun = existsSync(bunBin);
const bunVersion = hasBun ? execFileSync(bunBin, ["--version"]).toString().trim() : undefined;

const fixtures = [
  { key: "hono", title: "Hono + zod + client-dynamodb (bench/apps/orders.ts)", entry: join(import.meta.dirname, "apps", "orders.ts"), bunEntry: join(import.meta.dirname, "apps", "orders.ts") },
  { key: "express", title: "Express + zod + client-dynamodb + lib-dynamodb (bench/apps/orders-express.ts)", entry: join(import.meta.dirname, "apps", "orders-express.ts"), bunEntry: join(import.meta.dirname, "apps", "orders-express-listen.ts") },
  { key: "hono-first-use", title: "Hono + zod, client-dynamodb loaded on first use (bench/apps/orders-first-use.ts: orders.ts changed for --snapshot)", entry: join(import.meta.dirname, "apps", "orders-first-use.ts"), bunEntry: join(import.meta.dirname, "apps", "orders-first-use.ts") },
  { key: "express-first-use", title: "Express + zod, the SDK loaded on first use (bench/apps/orders-express-first-use.ts)", entry: join(import.meta.dirname, "apps", "orders-express-first-use.ts"), snapshotOnly: true },
].filter((f) => !process.env.FIXTURES || process.env.FIXTURES.split(",").includes(f.key));

// --- build everything once -----------------------------------------------------------------
/** `binship build --snapshot` to `out`: the path, or the guard's (or any) refusal as { message, diagnostics }. */
function snapshotBuild(entry, out, version) {
  try {
    execFileSync(process.execPath, [cli, "build", entry, "--arch", arch, "--node", version ?? "24", ...buildArgs, "--snapshot", "-o", `${out}-built`, "--json"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    copyFileSync(`${out}-built`, out);
    return { path: out };
  } catch (err) {
    const error = JSON.parse(err.stdout || "{}").error ?? { message: String(err.stderr || err.message), diagnostics: [] };
    return { refused: { message: error.message, diagnostics: error.diagnostics.map((d) => d.text) } };
  }
}

let nodeVersion;
for (const f of fixtures.filter((x) => x.snapshotOnly)) Object.assign(f, { snapshot: withSnapshot ? snapshotBuild(f.entry, join(out, `${f.key}-snap`), "24") : undefined });
for (const f of fixtures.filter((x) => !x.snapshotOnly)) {
  const exe = join(out, `${f.key}-exe-built`);
  const built = JSON.parse(binship("build", f.entry, "--arch", arch, "--node", nodeVersion ?? "24", ...buildArgs, "-o", exe, "--json"));
  nodeVersion = built.nodeVersion;
  // A deploy unpacks the executable from a zip or an image layer: a freshly written copy (the file
  // as the build leaves it maps more of its pages at start; see bench/fetch-cold-start.mjs).
  f.exe = join(out, `${f.key}-exe`);
  copyFileSync(exe, f.exe);
  f.bundle = join(out, `${f.key}.cjs`);
  binship("bundle", f.entry, "-o", f.bundle);
  if (hasBun) {
    f.bun = join(out, `${f.key}-bun`);
    execFileSync(bunBin, ["build", "--compile", f.bunEntry, "--outfile", f.bun], { stdio: "ignore" });
  }
  // The same executable without its V8 code cache, to show what the cache gives (issue 22).
  f.exeNoCache = join(out, `${f.key}-exe-nocc`);
  binship("build", f.entry, "--arch", arch, "--node", nodeVersion, ...buildArgs, "--no-code-cache", "-o", join(out, `${f.key}-exe-nocc-built`));
  copyFileSync(join(out, `${f.key}-exe-nocc-built`), f.exeNoCache);
  if (baseRoot) f.exeBase = baselineExe(f.entry, f.key);
  f.zip = join(out, `${f.key}.zip`);
  binship("pack", "lambda", f.entry, "--arch", arch, "--node", nodeVersion, ...buildArgs, "-o", f.zip);
  if (withSnapshot) f.snapshot = snapshotBuild(f.entry, join(out, `${f.key}-snap`), nodeVersion);
  if (withArm) {
    f.armExe = join(out, `${f.key}-arm64`);
    binship("build", f.entry, "--arch", "arm64", "--node", nodeVersion, ...buildArgs, "-o", join(out, `${f.key}-arm64-built`));
    copyFileSync(join(out, `${f.key}-arm64-built`), f.armExe);
    if (f.snapshot?.path) {
      execFileSync(process.execPath, [cli, "build", f.entry, "--arch", "arm64", "--node", nodeVersion, ...buildArgs, "--snapshot", "-o", join(out, `${f.key}-arm64-snap-built`)], { cwd: root, stdio: "ignore" });
      f.armSnap = join(out, `${f.key}-arm64-snap`);
      copyFileSync(join(out, `${f.key}-arm64-snap-built`), f.armSnap);
    }
  }
}
const node = officialNode(arch, nodeVersion);

const hello = { exe: join(out, "hello-exe") };
binship("build", join(here, "test", "fixtures", "apps", "hono", "index.ts"), "--arch", arch, "--node", nodeVersion, ...buildArgs, "-o", join(out, "hello-exe-built"));
copyFileSync(join(out, "hello-exe-built"), hello.exe);
hello.exeNoCache = join(out, "hello-exe-nocc");
binship("build", join(here, "test", "fixtures", "apps", "hono", "index.ts"), "--arch", arch, "--node", nodeVersion, ...buildArgs, "--no-code-cache", "-o", join(out, "hello-exe-nocc-built"));
copyFileSync(join(out, "hello-exe-nocc-built"), hello.exeNoCache);
if (baseRoot) hello.exeBase = baselineExe(join(here, "test", "fixtures", "apps", "hono", "index.ts"), "hello");
if (withSnapshot) hello.snapshot = snapshotBuild(join(here, "test", "fixtures", "apps", "hono", "index.ts"), join(out, "hello-snap"), nodeVersion);
// Every script runs from the same directory (Node maps more of itself for a longer script path).
hello.raw = join(out, "raw-hello.cjs");
copyFileSync(join(import.meta.dirname, "apps", "raw-hello.cjs"), hello.raw);

// --- the Lambda driver -----------------------------------------------------------------------
let startEmulator;
let event;
if (withLambda) {
  const emulatorFile = join(out, "emulator.mjs");
  await build({ entryPoints: [join(root, "src", "invoke", "emulator", "index.ts")], outfile: emulatorFile, bundle: true, platform: "node", format: "esm", logLevel: "silent" });
  ({ startEmulator } = await import(emulatorFile));
  const base = JSON.parse(readFileSync(join(here, "test", "fixtures", "events", "apigw-v2.json"), "utf8"));
  event = { ...base, rawPath: "/hello", rawQueryString: "", requestContext: { ...base.requestContext, http: { ...base.requestContext.http, method: "GET", path: "/hello" } } };
}

async function lambdaStart(command, args) {
  const emulator = await startEmulator({ timeoutMs: 60_000, taskRoot: out, handler: "bootstrap" });
  const t0 = process.hrtime.bigint();
  const child = spawn(command, args, { cwd: out, env: { ...emulator.env, PATH: process.env.PATH }, stdio: stdioPipes ? ["ignore", "pipe", "pipe"] : ["ignore", "ignore", "inherit"] });
  if (stdioPipes) {
    child.stdout.resume();
    child.stderr.resume();
  }
  child.on("exit", (code, signal) => emulator.processExited(code, signal));
  try {
    const result = await emulator.invoke(event);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const rss = peakRss(child.pid);
    const cpu = cpuNs(child.pid) / 1e6;
    const body = result.status === "ok" ? JSON.parse(result.payload.toString()).body : undefined;
    if (!String(body).includes("hello")) throw new Error(`${command}: ${JSON.stringify(result.error ?? body)}`);
    return { ms, rss, cpu };
  } finally {
    child.kill("SIGKILL");
    await emulator.close();
  }
}

// CPU time of the process up to its first answer (all threads): steadier than wall time on a shared machine.
const httpStart = firstOkMeasured;

// --- the subjects, in table order --------------------------------------------------------------
const subjects = [];
const snapName = "**binship executable, --snapshot**";
for (const f of fixtures.filter((x) => !x.snapshotOnly)) {
  const group = `http:${f.key}`;
  subjects.push({ group, role: "node", name: `node ${nodeVersion} bundle.cjs (binship's bundle)`, run: () => httpStart(node, [f.bundle]) });
  subjects.push({ group, role: "exe", name: "**binship executable**", run: () => httpStart(f.exe, []) });
  subjects.push({ group, role: "exe-nocc", name: "binship executable, --no-code-cache", run: () => httpStart(f.exeNoCache, []) });
  if (f.exeBase) subjects.push({ group, role: "base", name: "binship executable, baseline (BASELINE_ROOT)", run: () => httpStart(f.exeBase, []) });
  if (f.snapshot?.path) subjects.push({ group, role: "snap", name: snapName, run: () => httpStart(f.snapshot.path, []) });
  if (f.bun) subjects.push({ group, role: "bun", name: `bun ${bunVersion} build --compile`, run: () => httpStart(f.bun, []) });
  if (withArm) {
    subjects.push({ group: `arm:${f.key}`, role: "node", name: `node ${nodeVersion} arm64 bundle.cjs, qemu-aarch64`, run: () => httpStart(qemu[0], [...qemu.slice(1), officialNode("arm64", nodeVersion), f.bundle]) });
    subjects.push({ group: `arm:${f.key}`, role: "exe", name: "**binship executable arm64, qemu-aarch64**", run: () => httpStart(qemu[0], [...qemu.slice(1), f.armExe]) });
    if (f.armSnap) subjects.push({ group: `arm:${f.key}`, role: "snap", name: "**binship executable arm64, --snapshot, qemu-aarch64**", run: () => httpStart(qemu[0], [...qemu.slice(1), f.armSnap]) });
  }
  if (withLambda) {
    subjects.push({ group: `lambda:${f.key}`, role: "node", name: `node ${nodeVersion} bundle.cjs (binship's bundle)`, run: () => lambdaStart(node, [f.bundle]) });
    subjects.push({ group: `lambda:${f.key}`, role: "exe", name: "**binship executable** (what `bootstrap` is in the zip)", run: () => lambdaStart(f.exe, []) });
    if (f.exeBase) subjects.push({ group: `lambda:${f.key}`, role: "base", name: "binship executable, baseline (BASELINE_ROOT)", run: () => lambdaStart(f.exeBase, []) });
    if (f.snapshot?.path) subjects.push({ group: `lambda:${f.key}`, role: "snap", name: snapName, run: () => lambdaStart(f.snapshot.path, []) });
  }
}
subjects.push({ group: "http:hello", role: "raw", name: `raw node:http hello (node ${nodeVersion})`, run: () => httpStart(node, [hello.raw]) });
subjects.push({ group: "http:hello", role: "exe", name: "binship executable (test/fixtures/apps/hono)", run: () => httpStart(hello.exe, []) });
subjects.push({ group: "http:hello", role: "exe-nocc", name: "binship executable (test/fixtures/apps/hono), --no-code-cache", run: () => httpStart(hello.exeNoCache, []) });
if (hello.exeBase) subjects.push({ group: "http:hello", role: "base", name: "binship executable (test/fixtures/apps/hono), baseline (BASELINE_ROOT)", run: () => httpStart(hello.exeBase, []) });
if (withLambda) {
  subjects.push({ group: "lambda:hello", role: "exe", name: "binship executable (test/fixtures/apps/hono)", run: () => lambdaStart(hello.exe, []) });
  if (hello.exeBase) subjects.push({ group: "lambda:hello", role: "base", name: "binship executable (test/fixtures/apps/hono), baseline (BASELINE_ROOT)", run: () => lambdaStart(hello.exeBase, []) });
}
if (hello.snapshot?.path) subjects.push({ group: "http:hello", role: "snap", name: "binship executable (test/fixtures/apps/hono), --snapshot", run: () => httpStart(hello.snapshot.path, []) });

for (const s of subjects) {
  s.results = [];
  await s.run(); // warm the page cache once
}
// A fresh random order each round, so no variant always runs right after the same neighbour.
const shuffled = (xs) => xs.map((x) => [Math.random(), x]).sort((a, b) => a[0] - b[0]).map(([, x]) => x);
for (let i = 0; i < runs; i++) for (const s of shuffled(subjects)) s.results.push(await s.run());

// --- report ----------------------------------------------------------------------------------
const med = (s, k) => median(s.results.map((r) => r[k]));
const ref = (group, role) => subjects.find((s) => s.group === group && s.role === role);
function table(group, columns) {
  const rows = subjects.filter((s) => s.group === group);
  const head = ["| runs as | median | min | max |", ...columns.map((c) => ` vs ${c.label} |`), " CPU to answer (median) |", ...columns.map((c) => ` vs ${c.label} |`), " peak RSS (median) |"].join("");
  const lines = [head, `|---|---:|---:|---:|${columns.map(() => "---:|").join("")}---:|${columns.map(() => "---:|").join("")}---:|`];
  for (const s of rows) {
    const ms = s.results.map((r) => r.ms);
    const ratios = (k) =>
      columns
        .map((c) => {
          const r = ref(group, c.role);
          return r ? ` ${(med(s, k) / med(r, k)).toFixed(2)}× |` : " – |";
        })
        .join("");
    lines.push(`| ${s.name} | ${fmt(med(s, "ms"))} ms | ${fmt(Math.min(...ms))} ms | ${fmt(Math.max(...ms))} ms |${ratios("ms")} ${fmt(med(s, "cpu"))} ms |${ratios("cpu")} ${mib(med(s, "rss"))} |`);
  }
  return lines;
}

const lines = [
  "Command: `" + [process.env.RUNS ? `RUNS=${runs}` : "", buildArgs.length ? `BUILD_ARGS="${buildArgs.join(" ")}"` : "", withArm ? "ARM64=1" : "", baseRoot ? "BASELINE_ROOT=<checkout>" : "", stdioPipes ? "BENCH_STDIO=pipe" : "", "node bench/real-service-start.mjs"].filter(Boolean).join(" ") + "`" + (root === here ? "" : ` (BINSHIP_ROOT=${root})`),
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${mib(totalmem())} RAM, Linux ${readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}, **shared with other jobs (loaded)**; ${arch}; Node ${nodeVersion} for node and inside the executable${bunVersion ? `, bun ${bunVersion}` : " (bun not installed: cd bench && npm install)"}; ${runs} rounds, every variant once per round, in a new random order each round; medians.`,
  "",
];
const baseCol = baseRoot ? [{ label: "baseline", role: "base" }] : [];
const refusal = (f) => (f.snapshot?.refused ? ["`--snapshot` refused: " + f.snapshot.refused.message, "", ...f.snapshot.refused.diagnostics.map((d) => `- ${d}`), ""] : []);
for (const f of fixtures) {
  lines.push(`### ${f.title}`, "");
  if (f.snapshotOnly) {
    lines.push(...(f.snapshot?.refused ? refusal(f) : ["`--snapshot` accepted (not measured)", ""]));
    continue;
  }
  lines.push(...refusal(f));
  lines.push("Exec -> first HTTP 200 on `GET /hello`:", "", ...table(`http:${f.key}`, [{ label: "node bundle", role: "node" }, ...(hasBun ? [{ label: "bun", role: "bun" }] : []), { label: "--no-code-cache", role: "exe-nocc" }, ...baseCol]), "");
  if (withArm) lines.push("arm64 under qemu-aarch64 on this x64 host (exec -> first 200):", "", ...table(`arm:${f.key}`, [{ label: "node bundle", role: "node" }, { label: "executable", role: "exe" }]), "");
  if (withLambda) lines.push("Lambda: spawn -> first answered invocation (HTTP API v2 `GET /hello`, binship's emulator):", "", ...table(`lambda:${f.key}`, [{ label: "node bundle", role: "node" }, { label: "executable", role: "exe" }, ...baseCol]), "");
}
lines.push("### Hello world (must stay no worse)", "", ...table("http:hello", [{ label: "raw", role: "raw" }, { label: "--no-code-cache", role: "exe-nocc" }, ...baseCol]), "");
if (withLambda) lines.push("Lambda: spawn -> first answered invocation (HTTP API v2 `GET /hello`, binship's emulator):", "", ...table("lambda:hello", [{ label: "executable", role: "exe" }, ...baseCol]), "");
lines.push("### Sizes", "", "| fixture | bundle.cjs | executable | of which V8 code cache | executable, --no-code-cache | executable, --snapshot | Lambda zip (`pack lambda`, executable layout) |", "|---|---:|---:|---:|---:|---:|---:|");
const size = (p) => statSync(p).size;
const codeCache = (p) => JSON.parse(binship("inspect", p, "--json")).seaCodeCacheBytes ?? 0;
const snapSize = (x) => (x.snapshot?.path ? mib(size(x.snapshot.path)) : x.snapshot?.refused ? "refused" : "–");
for (const f of fixtures.filter((x) => !x.snapshotOnly)) lines.push(`| ${f.key} | ${(size(f.bundle) / 1024).toFixed(0)} KiB | ${mib(size(f.exe))} | ${(codeCache(f.exe) / 1024).toFixed(0)} KiB | ${mib(size(f.exeNoCache))} | ${snapSize(f)} | ${mib(size(f.zip))} |`);
lines.push(`| hello (test/fixtures/apps/hono) | – | ${mib(size(hello.exe))} | ${(codeCache(hello.exe) / 1024).toFixed(0)} KiB | ${mib(size(hello.exeNoCache))} | ${snapSize(hello)} | – |`);
process.stdout.write(`${lines.join("\n")}\n`);
if (process.env.JSON) {
  const raw = subjects.map((s) => ({ group: s.group, role: s.role, name: s.name, results: s.results }));
  const sizes = Object.fromEntries(fixtures.filter((x) => !x.snapshotOnly).map((f) => [f.key, { bundle: size(f.bundle), exe: size(f.exe), zip: size(f.zip) }]));
  writeFileSync(process.env.JSON, `${JSON.stringify({ nodeVersion, runs, subjects: raw, sizes: { ...sizes, hello: { exe: size(hello.exe) } } }, null, 2)}\n`);
}
rmSync(out, { recursive: true, force: true });
