// The cost of an ES module bundle: the same service (the Hono fixture) built as a CommonJS and
// as an ES module executable (`--format cjs` / `--format esm`; on Node 24 the ES module runs
// through binship's CommonJS loader, src/executable/esm-main.ts), measured interleaved in one
// run: exec -> first HTTP 200 in server mode, and Lambda spawn -> first answered invocation
// (an HTTP API v2 event through binship's emulator). The two bundles under plain `node` are
// measured too, to tell the loader's share from the format's.
//
//   npm run build && node bench/esm-startup.mjs
//
// Env: RUNS (default 15), NODE_SPEC (default 24). Prints markdown for BENCHMARKS.md.

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { firstOk } from "./lib/http-probe.mjs";

const root = resolve(import.meta.dirname, "..");
const out = mkdtempSync(join(tmpdir(), "binship-bench-esm-"));
const runs = Number(process.env.RUNS ?? 15);
const nodeSpec = process.env.NODE_SPEC ?? "24";
const arch = process.arch === "arm64" ? "arm64" : "x64";
const entry = join(root, "test", "fixtures", "apps", "hono", "index.ts");
const binship = (...args) => execFileSync(process.execPath, [join(root, "bin", "binship.js"), ...args], { cwd: root, encoding: "utf8" });
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const now = () => process.hrtime.bigint();
const ms = (t0) => Number(now() - t0) / 1e6;

const exe = {};
const bundle = {};
let nodeVersion;
for (const format of ["cjs", "esm"]) {
  exe[format] = join(out, `hono-${format}`);
  nodeVersion = JSON.parse(binship("build", entry, "--arch", arch, "--node", nodeSpec, "--format", format, "-o", exe[format], "--json")).nodeVersion;
  bundle[format] = join(out, `hono.${format === "cjs" ? "cjs" : "mjs"}`);
  binship("bundle", entry, "--format", format, "-o", bundle[format]);
}
const cache = process.env.BINSHIP_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME, ".cache"), "binship");
const node = join(cache, "node", `node-linux-${arch}@${nodeVersion}`, "node");

// --- server mode: exec -> first 200 --------------------------------------------------------
let nextPort = 19400;
const startup = async (command, args) => (await firstOk(command, args, nextPort++)).ms;

// --- Lambda: spawn -> first answered invocation ---------------------------------------------
const emulatorFile = join(out, "emulator.mjs");
await build({ entryPoints: [join(root, "src", "invoke", "emulator", "index.ts")], outfile: emulatorFile, bundle: true, platform: "node", format: "esm", logLevel: "silent" });
const { startEmulator } = await import(emulatorFile);
const base = JSON.parse(readFileSync(join(root, "test", "fixtures", "events", "apigw-v2.json"), "utf8"));
const event = { ...base, rawPath: "/hello", rawQueryString: "name=cold", requestContext: { ...base.requestContext, http: { ...base.requestContext.http, path: "/hello" } } };
async function coldStart(command, args) {
  const emulator = await startEmulator({ timeoutMs: 60_000, taskRoot: out, handler: "bootstrap" });
  const t0 = now();
  const child = spawn(command, args, { cwd: out, env: { ...emulator.env, PATH: process.env.PATH }, stdio: ["ignore", "ignore", "inherit"] });
  child.on("exit", (code, signal) => emulator.processExited(code, signal));
  try {
    const result = await emulator.invoke(event);
    const elapsed = ms(t0);
    if (result.status !== "ok" || !result.payload.toString().includes("hello, cold")) throw new Error(`${command}: ${result.payload}`);
    return elapsed;
  } finally {
    child.kill("SIGKILL");
    await emulator.close();
  }
}

const subjects = [
  { name: "server: executable, CommonJS", run: () => startup(exe.cjs, []) },
  { name: "server: executable, ES module", run: () => startup(exe.esm, []) },
  { name: "server: node bundle.cjs", run: () => startup(node, [bundle.cjs]) },
  { name: "server: node bundle.mjs", run: () => startup(node, [bundle.esm]) },
  { name: "Lambda: executable, CommonJS", run: () => coldStart(exe.cjs, []) },
  { name: "Lambda: executable, ES module", run: () => coldStart(exe.esm, []) },
];
const times = subjects.map(() => []);
for (const s of subjects) await s.run(); // warm the page cache once
for (let i = 0; i < runs; i++) for (const [j, s] of subjects.entries()) times[j].push(await s.run());

const fmt = (x) => x.toFixed(1);
const pairs = [
  [0, 1],
  [2, 3],
  [4, 5],
];
const lines = [
  `Command: \`node bench/esm-startup.mjs\` (RUNS=${runs}); fixture \`test/fixtures/apps/hono\` built with \`--format cjs\` and \`--format esm\`; Node ${nodeVersion} (${arch}) in the executables and for the bundles.`,
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}, shared with other engineers' jobs: compare the ratios, not the absolute times. All six interleaved, ${runs} runs each.`,
  "",
  "| measure | median | min | max |",
  "|---|---:|---:|---:|",
  ...subjects.map((s, j) => `| ${s.name} | ${fmt(median(times[j]))} ms | ${fmt(Math.min(...times[j]))} ms | ${fmt(Math.max(...times[j]))} ms |`),
  "",
  "| ES module / CommonJS (medians) | ratio |",
  "|---|---:|",
  ...pairs.map(([a, b]) => `| ${subjects[a].name.replace(", CommonJS", "").replace(" bundle.cjs", " bundle")} | ${(median(times[b]) / median(times[a])).toFixed(2)} |`),
];
process.stdout.write(`${lines.join("\n")}\n`);
rmSync(out, { recursive: true, force: true });
