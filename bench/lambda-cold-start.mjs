// Lambda cold start, measured: from spawning the function's process to the first invocation's
// answer (init + first invoke), for the Hono fixture behind an HTTP API (payload 2.0) event,
// driven by binship's emulator. Compared in the same run, interleaved:
//   - the binship executable (`binship build --arch <host>`): what `bootstrap` is in a
//     provided.al2023 zip;
//   - the layer layout (`pack lambda --layout layer`): the function zip's bootstrap script
//     running the layer's stripped Node on app.cjs, both unpacked (the layer where BINSHIP_OPT says);
//   - `node bundle.cjs` (the binship bundle) on the same official Node;
//   - the official client, aws-lambda-ric, on the same Node, with the app wrapped in
//     hono/aws-lambda's handle() as its users deploy it;
//   - a binship executable of a plain handler returning a constant (bench/apps/plain-handler.ts):
//     what a Fetch app's first invocation should cost about as much as.
//
//   npm run build && (cd bench && npm install) && node bench/lambda-cold-start.mjs
//
// Env: RUNS (default 15). Prints a markdown table for BENCHMARKS.md.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const out = join(tmpdir(), `binship-bench-cold-${process.pid}`);
mkdirSync(out, { recursive: true });
const runs = Number(process.env.RUNS ?? 15);
const arch = process.arch === "arm64" ? "arm64" : "x64";
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const binship = (...args) => execFileSync(process.execPath, [join(root, "bin", "binship.js"), ...args], { cwd: root, encoding: "utf8" });

const hono = join(root, "test", "fixtures", "apps", "hono", "index.ts");
const exe = join(out, "app");
const built = JSON.parse(binship("build", hono, "--arch", arch, "-o", exe, "--json"));
const plainExe = join(out, "plain");
binship("build", join(root, "bench", "apps", "plain-handler.ts"), "--arch", arch, "--node", built.nodeVersion, "-o", plainExe);
const bundle = join(out, "bundle.cjs");
binship("bundle", hono, "-o", bundle);
// The Node inside the executable, from binship's cache: the same version runs the two others.
const node = findCachedNode(built.nodeVersion);

function findCachedNode(version) {
  const cache = process.env.BINSHIP_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME, ".cache"), "binship");
  return join(cache, "node", `node-linux-${arch}@${version}`, "node");
}

const ricDir = join(out, "ric");
await build({
  stdin: { contents: `import app from ${JSON.stringify(hono)};\nimport { handle } from "hono/aws-lambda";\nexport const handler = handle(app);\n`, resolveDir: root, sourcefile: "index.mjs", loader: "ts" },
  outfile: join(ricDir, "index.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  minify: true,
  logLevel: "silent",
});
const emulatorFile = join(out, "emulator.mjs");
await build({ entryPoints: [join(root, "src", "invoke", "emulator", "index.ts")], outfile: emulatorFile, bundle: true, platform: "node", format: "esm", logLevel: "silent" });
const { startEmulator } = await import(emulatorFile);

const base = JSON.parse(readFileSync(join(root, "test", "fixtures", "events", "apigw-v2.json"), "utf8"));
const event = { ...base, rawPath: "/hello", rawQueryString: "name=cold", requestContext: { ...base.requestContext, http: { ...base.requestContext.http, path: "/hello" } } };

// The layer layout, unpacked as Lambda would: the function in a task root, the layer in its "/opt".
const layerOut = join(out, "layer");
const packedLayer = JSON.parse(binship("pack", "lambda", hono, "--layout", "layer", "--arch", arch, "-o", join(layerOut, "function.zip"), "--json"));
for (const [zip, dir] of [[packedLayer.path, "task"], [packedLayer.layer.path, "opt"]]) {
  mkdirSync(join(layerOut, dir), { recursive: true });
  execFileSync("unzip", ["-q", "-o", zip, "-d", join(layerOut, dir)]);
}

const variants = {
  "binship executable": { command: exe, args: [], cwd: out, handler: "bootstrap" },
  "binship layer layout (bootstrap script + layer Node + app.cjs)": { command: join(layerOut, "task", "bootstrap"), args: [], cwd: join(layerOut, "task"), handler: "bootstrap", env: { BINSHIP_OPT: join(layerOut, "opt") } },
  "node + binship bundle": { command: node, args: [bundle], cwd: out, handler: "bootstrap" },
  "node + aws-lambda-ric": { command: node, args: [join(root, "bench", "node_modules", "aws-lambda-ric", "index.mjs")], cwd: ricDir, handler: "index.handler" },
  "binship executable, plain handler (constant)": { command: plainExe, args: [], cwd: out, handler: "bootstrap" },
};
// Without `npm install` in bench/ (aws-lambda-ric builds native code), the other variants still run.
if (!existsSync(variants["node + aws-lambda-ric"].args[0])) {
  console.error("bench/node_modules/aws-lambda-ric is not installed: leaving that variant out");
  delete variants["node + aws-lambda-ric"];
}

async function coldStart({ command, args, cwd, handler, env = {} }) {
  const emulator = await startEmulator({ timeoutMs: 60_000, taskRoot: cwd, handler });
  const t0 = process.hrtime.bigint();
  const child = spawn(command, args, { cwd, env: { ...emulator.env, PATH: process.env.PATH, ...env }, stdio: ["ignore", "ignore", "inherit"] });
  child.on("exit", (code, signal) => emulator.processExited(code, signal));
  try {
    const result = await emulator.invoke(event);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const body = JSON.parse(result.payload.toString()).body;
    if (result.status !== "ok" || !String(body).includes("hello, cold")) throw new Error(`${command}: ${JSON.stringify(result.error ?? body)}`);
    return ms;
  } finally {
    child.kill("SIGKILL");
    await emulator.close();
  }
}

const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, v] of Object.entries(variants)) times[name].push(await coldStart(v));
}
const nodeVersion = execFileSync(node, ["--version"]).toString().trim();
const ref = median(times["binship executable"]);
console.log(`Machine: ${cpus().length} × ${cpus()[0].model}, shared with other jobs; ${arch}; Node ${nodeVersion} for all; ${runs} runs each, interleaved.\n`);
console.log("| function process | median | min | max | vs binship executable |");
console.log("|---|---:|---:|---:|---:|");
for (const [name, xs] of Object.entries(times)) {
  console.log(`| ${name} | ${median(xs).toFixed(1)} ms | ${Math.min(...xs).toFixed(1)} ms | ${Math.max(...xs).toFixed(1)} ms | ${(median(xs) / ref).toFixed(2)} |`);
}
const plain = median(times["binship executable, plain handler (constant)"]);
console.log(`\nHono behind an HTTP API v2 event / plain handler (both binship executables): ${(ref / plain).toFixed(2)}×.`);
