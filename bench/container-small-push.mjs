// Benchmark for small pushes (issue 26 item 5): bytes `binship pack container --push` really
// uploads per architecture for the orders-style service (bench/apps/orders.ts: Hono + zod + the
// DynamoDB client, a 1.6 MiB bundle), for the executable layout and the node layout: the first
// push into an empty repository, an unchanged repush, and a push after a one-line change to the
// app. Then the container's start: exec -> first HTTP 200 of the executable (app-<arch>) against
// the node layout's Node binary running app.cjs, the same Node release, the same host, runs
// interleaved. Real registry (Debian's docker-registry on loopback), the distroless cc stand-in
// (test/fixtures/container-base). Byte counts come from --json (push.blobs, platforms[].uploadedBytes).
//
// usage: npm run build && (cd bench && npm install) && node bench/container-small-push.mjs [runs]   (root; buildah, docker-registry)

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { firstOk } from "./lib/http-probe.mjs";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "bin", "binship.js");
const entry = join(import.meta.dirname, "apps", "orders.ts");
const runs = Number(process.argv[2] ?? 15);
const work = mkdtempSync(join(tmpdir(), "binship-bench-small-push-"));
// The changed copy sits beside the original so it resolves the same node_modules.
const changed = join(import.meta.dirname, "apps", `.orders-changed-${process.pid}.ts`);
const bah = (...args) => execFileSync("buildah", ["--storage-driver", "vfs", ...args], { stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 }).toString().trim();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
const MiB = (n) => `${(n / 1048576).toFixed(2)} MiB`;
const hostArch = process.arch === "arm64" ? "arm64" : "amd64";

const host = `127.0.0.1:${await freePort()}`;
writeFileSync(join(work, "reg.yml"), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, "data")}\nhttp:\n  addr: ${host}\n`);
const registry = spawn("docker-registry", ["serve", join(work, "reg.yml")], { stdio: "ignore" });
const baseList = `localhost/binship-bench/small-push-base:${process.pid}`;
try {
  await new Promise((r) => setTimeout(r, 1500));
  writeFileSync(changed, readFileSync(entry, "utf8").replace('const version = "1";', 'const version = "2";'));
  const standins = ["amd64", "arm64"].map((a) => execFileSync(join(root, "test", "fixtures", "container-base", "build.sh"), [join(work, "standin"), a]).toString().trim());
  bah("manifest", "create", baseList);
  for (const s of standins) bah("manifest", "add", baseList, `containers-storage:${s}`);
  bah("manifest", "push", "--all", "--format", "oci", "--tls-verify=false", baseList, `docker://${host}/distroless/cc:nonroot`);

  const push = (layout, source, tag, out) => {
    const stdout = execFileSync(
      process.execPath,
      [cli, "pack", "container", source, "--layout", layout, "-o", join(work, out), "--name", "orders", "--json", "--push", `${host}/orders-${layout}:${tag}`, "--base", `${host}/distroless/cc:nonroot`, "--insecure-registry"],
      { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, SOURCE_DATE_EPOCH: "1700000000" }, maxBuffer: 16 << 20 },
    );
    return JSON.parse(stdout.toString()).index;
  };
  const perArch = (index) => index.platforms.map((p) => `${p.platform.split("/")[1]} ${MiB(p.uploadedBytes)}`).join(", ");
  console.log(`| layout | first push (per arch) | unchanged repush | one-line change (per arch) |\n|---|---|---:|---|`);
  for (const layout of ["executable", "node"]) {
    const first = push(layout, entry, "1", `${layout}-1`);
    const again = push(layout, entry, "1", `${layout}-2`);
    const next = push(layout, changed, "2", `${layout}-3`);
    console.log(`| ${layout} | ${perArch(first)} | ${MiB(again.push.uploadedBytes)} | ${perArch(next)} |`);
  }

  // Start-up: the same Node release in both (the node layout's binary is the one the executable was built on).
  const exe = join(work, "executable-1", `app-${hostArch}`);
  const node = join(work, "node-1", `node-${hostArch}`);
  const bundle = join(work, "node-1", "app.cjs");
  // The image's own settings for the compile cache (Dockerfile ENV), read from the recipe.
  const env = Object.fromEntries(
    readFileSync(join(work, "node-1", "Dockerfile"), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("ENV NODE_COMPILE_CACHE"))
      .flatMap((l) => l.slice(4).split(" "))
      .map((kv) => kv.split("="))
      .map(([k, v]) => [k, k === "NODE_COMPILE_CACHE" ? join(work, "node-1", "compile-cache") : v]),
  );
  if (!env.NODE_COMPILE_CACHE) throw new Error("the node layout's recipe has no compile cache");
  const variants = {
    "executable (app-<arch>)": [exe, [], {}],
    "node layout with compile cache (default)": [node, [bundle], env],
    "node layout without compile cache": [node, [bundle], {}],
  };
  const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  // As the image runs them: uid 65532 (Node 24 names the cache directory after the uid reading it).
  const user = process.getuid?.() === 0 ? { uid: 65532, gid: 65532 } : {};
  if (user.uid) chmodSync(work, 0o755);
  // A miss would measure nothing: the cached variant must be using the cache (Node's debug log says so).
  const probe = spawnSync(node, [bundle], { ...user, env: { ...env, NODE_DEBUG_NATIVE: "COMPILE_CACHE", PORT: String(await freePort()) }, timeout: 3000, encoding: "utf8" });
  if (!/was accepted/.test(probe.stderr)) throw new Error(`the compile cache is not used:\n${probe.stderr}`);
  const start = async ([cmd, args, e]) => (await firstOk(cmd, args, await freePort(), undefined, { env: e, ...user })).ms;
  for (const v of Object.values(variants)) await start(v); // page cache warm
  for (let i = 0; i < runs; i++) for (const [name, v] of Object.entries(variants)) times[name].push(await start(v));
  const peer = median(times[Object.keys(variants)[0]]);
  console.log(`\n| exec -> first 200, ${hostArch}, ${runs} runs interleaved, ${cpus().length} cores | median | vs executable |\n|---|---:|---:|`);
  for (const [name, xs] of Object.entries(times)) console.log(`| ${name} | ${median(xs).toFixed(1)} ms | ${(median(xs) / peer).toFixed(2)} |`);
} finally {
  registry.kill();
  rmSync(changed, { force: true });
  try {
    bah("manifest", "rm", baseList);
  } catch {
    // not made
  }
  rmSync(work, { recursive: true, force: true });
}
