// Server mode, measured: requests/s of the Hono fixture behind binship's Fetch path against
// @hono/node-server and a bare node:http server (answering the same routes with less work, and
// doing the fixture's own echo work), of a Hono app that only echoes the body it read whole
// (bench/apps/hono-echo.ts: the body path alone), and of the Express fixture behind binship
// against Express's own app.listen(), all on the same Node (the Node 24 binary binship builds
// executables with). GET /hello (JSON) and POST /echo (1 KiB body), 32 keep-alive connections,
// wrk on one core and the server pinned to the other (taskset), variants interleaved in rounds.
//
//   npm run build && (cd bench && npm install) && node bench/fetch-server.mjs
//
// The machine is shared, so besides req/s each run records the server's CPU time per request
// (all its threads, from /proc/<pid>/task/*/schedstat): other jobs stretch wall-clock numbers,
// much less the CPU a request costs.
//
// Env: ROUNDS (default 3), SECONDS (per wrk run, default 5), BENCH_NODE (default: the newest
// Node 24 in binship's cache), BASELINE_HONO (a bundle of the Hono fixture made by another
// binship checkout, e.g. main, measured in the same rounds), BASELINE_ECHO (the same for
// bench/apps/hono-echo.ts), ONLY and LOADS (see below).
// Prints a markdown table for BENCHMARKS.md.

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import http from "node:http";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { cpuNs } from "./lib/proc.mjs";
import { findNode } from "./lib/bench-node.mjs";

const root = resolve(import.meta.dirname, "..");
const out = join(tmpdir(), `binship-bench-fetch-${process.pid}`);
mkdirSync(out, { recursive: true });
const rounds = Number(process.env.ROUNDS ?? 3);
const seconds = Number(process.env.SECONDS ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const node = findNode();
const binship = (...args) => execFileSync(process.execPath, [join(root, "bin", "binship.js"), ...args], { cwd: root, encoding: "utf8" });
const esbuild = (entry, outfile) => build({ entryPoints: [entry], outfile, bundle: true, platform: "node", format: "cjs", target: "node24", minify: true, logLevel: "silent" });

const fixtures = join(root, "test", "fixtures", "apps");
binship("bundle", join(fixtures, "hono", "index.ts"), "-o", join(out, "binship-hono.cjs"));
binship("bundle", join(fixtures, "express", "index.ts"), "-o", join(out, "binship-express.cjs"));
await esbuild(join(import.meta.dirname, "apps", "hono-node-server.ts"), join(out, "hono-node-server.cjs"));
await esbuild(join(import.meta.dirname, "apps", "raw-express.ts"), join(out, "raw-express.cjs"));
await esbuild(join(import.meta.dirname, "apps", "raw-http-fixture.ts"), join(out, "raw-http-fixture.cjs"));
binship("bundle", join(import.meta.dirname, "apps", "hono-echo.ts"), "-o", join(out, "binship-hono-echo.cjs"));
await esbuild(join(import.meta.dirname, "apps", "hono-echo-node-server.ts"), join(out, "hono-echo-node-server.cjs"));

const allVariants = [
  { name: "binship (Hono fixture)", file: "binship-hono.cjs", group: "hono" },
  { name: "@hono/node-server 2.1.9 (Hono fixture)", file: "hono-node-server.cjs", group: "hono" },
  { name: "raw node:http (same routes)", file: join(import.meta.dirname, "apps", "raw-http.mjs"), group: "hono" },
  { name: "raw node:http doing the fixture's echo work", file: "raw-http-fixture.cjs", group: "hono" },
  // The body path alone (issue 25): a Hono app whose POST /echo answers c.req.arrayBuffer() as is.
  { name: "binship (Hono body-echo app)", file: "binship-hono-echo.cjs", group: "echo" },
  { name: "@hono/node-server 2.1.9 (Hono body-echo app)", file: "hono-echo-node-server.cjs", group: "echo" },
  { name: "raw node:http (echoes the bytes)", file: join(import.meta.dirname, "apps", "raw-http.mjs"), group: "echo" },
  ...(process.env.BASELINE_ECHO ? [{ name: "binship, baseline bundle (BASELINE_ECHO)", file: resolve(process.env.BASELINE_ECHO), group: "echo" }] : []),
  ...(process.env.BASELINE_HONO ? [{ name: "binship, baseline bundle (BASELINE_HONO)", file: resolve(process.env.BASELINE_HONO), group: "hono" }] : []),
  { name: "binship (Express fixture)", file: "binship-express.cjs", group: "express" },
  { name: "Express app.listen() (Express fixture)", file: "raw-express.cjs", group: "express" },
];
const allLoads = [
  { name: "GET /hello (JSON)", args: ["/hello"] },
  { name: "POST /echo (1 KiB)", args: ["/echo", "-s", join(import.meta.dirname, "apps", "post-1k.lua")] },
];
// ONLY (a regular expression on variant names; keep the reference row of each group) and
// LOADS (GET or POST) narrow a run to an A/B of a few variants.
const only = process.env.ONLY ? new RegExp(process.env.ONLY, "i") : undefined;
const variants = allVariants.filter((v) => !only || only.test(v.name));
const loads = allLoads.filter((l) => !process.env.LOADS || l.name.startsWith(process.env.LOADS.toUpperCase()));

const up = (port) =>
  new Promise((res) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/hello", agent: false }, (r) => (r.resume(), res(r.statusCode === 200)));
    req.on("error", () => res(false));
  });

let nextPort = 19600;
async function serve(file) {
  const port = nextPort++;
  const path = file.startsWith("/") ? file : join(out, file);
  const child = spawn("taskset", ["-c", "0", node, path], { env: { ...process.env, PORT: String(port), HOST: "127.0.0.1" }, stdio: ["ignore", "ignore", "inherit"] });
  while (!(await up(port))) await new Promise((r) => setTimeout(r, 20));
  return { port, pid: child.pid, stop: () => new Promise((r) => (child.once("exit", r), child.kill("SIGKILL"))) };
}


function wrk(port, [path, ...extra], duration) {
  const text = execFileSync("taskset", ["-c", "1", "wrk", "-t1", "-c32", `-d${duration}s`, ...extra, `http://127.0.0.1:${port}${path}`], { encoding: "utf8" });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1]);
  if (/Non-2xx/.test(text) || !rps) throw new Error(`wrk on ${path}:\n${text}`);
  return { rps, requests };
}

const results = variants.map(() => loads.map(() => []));
const cpu = variants.map(() => loads.map(() => [])); // µs of server CPU per request
for (let round = 0; round < rounds; round++) {
  for (const [v, variant] of variants.entries()) {
    const server = await serve(variant.file);
    for (const [l, load] of loads.entries()) {
      wrk(server.port, load.args, 1); // warm-up: let V8 optimize the hot path
      const before = cpuNs(server.pid);
      const { rps, requests } = wrk(server.port, load.args, seconds);
      cpu[v][l].push((cpuNs(server.pid) - before) / 1000 / requests);
      results[v][l].push(rps);
    }
    await server.stop();
  }
}

const nodeVersion = execFileSync(node, ["--version"]).toString().trim();
// Ratios against @hono/node-server (on the same app), and against raw Express.
const refOf = { hono: variants.findIndex((v) => v.name === "@hono/node-server 2.1.9 (Hono fixture)"), echo: variants.findIndex((v) => v.name === "@hono/node-server 2.1.9 (Hono body-echo app)"), express: variants.findIndex((v) => v.name.startsWith("Express app.listen")) };
console.log(`Machine: ${cpus().length} × ${cpus()[0].model}, shared with other jobs; Node ${nodeVersion} for all; server on core 0, wrk -t1 -c32 on core 1; ${rounds} interleaved rounds of ${seconds} s (after 1 s warm-up), medians.\n`);
console.log(`| server | ${loads.map((l) => `${l.name} req/s | ratio | CPU µs/req | req per CPU-s, ratio`).join(" | ")} |`);
console.log(`|---|${loads.map(() => "---:|---:|---:|---:").join("|")}|`);
for (const [v, variant] of variants.entries()) {
  const cells = loads.map((_, l) => {
    const m = median(results[v][l]);
    const ref = median(results[refOf[variant.group]][l]);
    const c = median(cpu[v][l]);
    const refC = median(cpu[refOf[variant.group]][l]);
    return `${Math.round(m)} | ${(m / ref).toFixed(2)}× | ${c.toFixed(0)} | ${(refC / c).toFixed(2)}×`;
  });
  console.log(`| ${variant.name} | ${cells.join(" | ")} |`);
}
console.log(`\nRatios: Hono rows against @hono/node-server, Express rows against Express app.listen(); "req per CPU-s" is the inverse of CPU µs/req, so above 1 is better in both. Runs (req/s): ${JSON.stringify(Object.fromEntries(variants.map((v, i) => [v.name, results[i].map((r) => r.map(Math.round))])))}`);
