// Benchmarks for `binship pack container`: pack time (both architectures, warm Node cache),
// an unchanged re-pack, the bundle layout, the size of what each layout adds to its base, and
// the time from exec to the first HTTP 200 for each layout's entrypoint.
//
// usage: npm run build && node bench/pack-container.mjs [runs]   (prints a Markdown table)

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { request } from "node:http";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "bin", "binship.js");
const entry = join(root, "test", "fixtures", "apps", "express", "index.ts");
const runs = Number(process.argv[2] ?? 5);
const work = mkdtempSync(join(tmpdir(), "binship-bench-container-"));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

function pack(out, ...extra) {
  const t = performance.now();
  execFileSync(process.execPath, [cli, "pack", "container", entry, "-o", out, "--name", "svc", "--image", "registry.example.com/svc:1", "-q", ...extra], { stdio: "inherit" });
  return performance.now() - t;
}

function get(port) {
  return new Promise((res) => {
    const req = request({ host: "127.0.0.1", port, path: "/hello" }, (r) => {
      r.resume();
      r.on("end", () => res(r.statusCode));
    });
    req.on("error", () => res(0));
    req.end();
  });
}

/** Milliseconds from spawn until GET /hello answers 200. */
async function timeToFirst200(command, args, port) {
  const t = performance.now();
  const child = spawn(command, args, { env: { ...process.env, HOST: "127.0.0.1", PORT: String(port) }, stdio: "ignore" });
  try {
    for (;;) {
      if ((await get(port)) === 200) return performance.now() - t;
      if (child.exitCode !== null) throw new Error(`${command} exited ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    child.kill("SIGKILL");
    await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
  }
}

// Warm-up: the Node binaries land in the cache, so the runs measure packing, not downloading.
pack(join(work, "warm"));

const fresh = [];
for (let i = 0; i < runs; i++) fresh.push(pack(join(work, `fresh-${i}`)));
const unchanged = [];
for (let i = 0; i < runs; i++) unchanged.push(pack(join(work, "fresh-0")));
const bundleTimes = [];
for (let i = 0; i < runs; i++) bundleTimes.push(pack(join(work, `bundle-${i}`), "--layout", "bundle"));

const exeDir = join(work, "fresh-0");
const bundleDir = join(work, "bundle-0");
const size = (p) => statSync(p).size;

// The bundle layout's entrypoint is node (distroless nodejs24); the same official Node 24 binary
// from binship's cache stands in for it.
const cacheNode = readdirSync(join(process.env.HOME, ".cache", "binship", "node"))
  .filter((d) => d.startsWith(`node-linux-${process.arch}@24.`))
  .map((d) => join(process.env.HOME, ".cache", "binship", "node", d, "node"))[0];
const hostApp = join(exeDir, `app-${process.arch === "x64" ? "amd64" : "arm64"}`);
const startRuns = Math.max(runs * 3, 10);
const exeStart = [];
const bundleStart = [];
for (let i = 0; i < startRuns; i++) {
  exeStart.push(await timeToFirst200(hostApp, [], 19100 + i));
  if (cacheNode) bundleStart.push(await timeToFirst200(cacheNode, [join(bundleDir, "app.cjs")], 19200 + i));
}

// The recipe built by buildah for the host platform, on the Debian stand-in for distroless cc.
const image = { builds: [], size: "", baseSize: "" };
const buildah = (...args) => execFileSync("buildah", ["--storage-driver", "vfs", ...args], { encoding: "utf8" }).trim();
let haveBuildah = true;
try {
  buildah("--version");
} catch {
  haveBuildah = false;
}
if (haveBuildah) {
  const dockerArch = process.arch === "x64" ? "amd64" : "arm64";
  const base = execFileSync(join(root, "test", "fixtures", "container-base", "build.sh"), [join(work, "standin"), dockerArch], { encoding: "utf8" }).trim();
  image.baseSize = buildah("images", "--format", "{{.Size}}", base);
  for (let i = 0; i < Math.min(runs, 3); i++) {
    const tag = `localhost/binship-bench/svc:${process.pid}-${i}`;
    const t = performance.now();
    buildah("bud", "--pull=never", "--platform", `linux/${dockerArch}`, "--build-arg", `BASE=${base}`, "-t", tag, exeDir);
    image.builds.push(performance.now() - t);
    image.size = buildah("images", "--format", "{{.Size}}", tag);
    buildah("rmi", tag);
  }
}

const cpu = cpus()[0]?.model ?? "unknown CPU";
console.log(`Machine: ${cpus().length} × ${cpu}, Node ${process.version} running binship; medians of ${runs} runs (start-up: ${startRuns}).`);
console.log("");
console.log("| measure | median |");
console.log("|---|---|");
console.log(`| pack container, executable layout, arm64 + x64 (fresh directory) | ${(median(fresh) / 1000).toFixed(2)} s |`);
console.log(`| pack container again, nothing changed (directory left alone) | ${(median(unchanged) / 1000).toFixed(2)} s |`);
console.log(`| pack container --layout bundle | ${(median(bundleTimes) / 1000).toFixed(2)} s |`);
console.log(`| layer added to the base: app-amd64 / app-arm64 | ${mib(size(join(exeDir, "app-amd64")))} / ${mib(size(join(exeDir, "app-arm64")))} |`);
console.log(`| layer added to the base: app.cjs (bundle layout) | ${kib(size(join(bundleDir, "app.cjs")))} |`);
console.log(`| exec to first HTTP 200: the executable (${process.arch}) | ${median(exeStart).toFixed(0)} ms |`);
if (cacheNode) {
  console.log(`| exec to first HTTP 200: official Node 24 + app.cjs | ${median(bundleStart).toFixed(0)} ms |`);
  console.log(`| ratio executable / node + bundle | ${(median(exeStart) / median(bundleStart)).toFixed(2)} |`);
}
if (image.builds.length) {
  console.log(`| buildah bud --storage-driver vfs, host platform (${image.builds.length} runs) | ${(median(image.builds) / 1000).toFixed(2)} s |`);
  console.log(`| image size: stand-in base / base + executable | ${image.baseSize} / ${image.size} |`);
}
rmSync(work, { recursive: true, force: true });
