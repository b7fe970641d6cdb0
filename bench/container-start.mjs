// Benchmark: the container's start per `pack container` layout (issue 26 item 5, re-decided once
// the executable has its own V8 code cache, issue 22). For the orders-style service
// (bench/apps/orders.ts: Hono + zod + the DynamoDB client, a 1.6 MiB bundle) and hello world
// (test/fixtures/apps/hono), packed for this host's arch with each layout, it measures
// exec -> first HTTP 200 on GET /hello from the unpacked recipe directory, as the image runs it:
//   - node layout (default): node-<arch> app.cjs with NODE_COMPILE_CACHE from the recipe's ENV
//   - executable layout: app-<arch>, with its V8 code cache (default)
//   - executable layout --no-code-cache: the container's start before issues 22 and 26
//   - (run as root) the node layout as another uid (1000, as OpenShift or a runAsUser override
//     would): Node names the cache's directory after the uid, so that start has no cache
// The same Node release and strip in all of them; every variant interleaved in each round, the
// round's order shuffled; as uid 65532 when run as root (Node 24 names the compile cache's
// directory after the uid reading it). Each cache is checked to be present and accepted first, so a
// miss never passes for a measurement.
//
// usage: npm run build && (cd bench && npm install) && node bench/container-start.mjs [rounds=21]

import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { firstOk, freePort } from "./lib/http-probe.mjs";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "bin", "binship.js");
const rounds = Number(process.argv[2] ?? 21);
const arch = process.arch === "arm64" ? "arm64" : "x64";
const dockerArch = arch === "x64" ? "amd64" : "arm64";
const work = mkdtempSync(join(tmpdir(), "binship-bench-container-start-"));
const apps = {
  orders: join(import.meta.dirname, "apps", "orders.ts"),
  hello: join(root, "test", "fixtures", "apps", "hono", "index.ts"),
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const shuffle = (xs) => {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
};
const pack = (entry, out, ...extra) =>
  execFileSync(process.execPath, [cli, "pack", "container", entry, "--arch", arch, "--no-k8s", "--name", "svc", "--image", "registry.example.com/svc:1", "-o", out, ...extra], { stdio: ["ignore", "ignore", "inherit"] });
/** The recipe's ENV for the compile cache, its directory pointed at the unpacked one. */
const cacheEnv = (dir) =>
  Object.fromEntries(
    readFileSync(join(dir, "Dockerfile"), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("ENV NODE_COMPILE_CACHE"))
      .flatMap((l) => l.slice(4).split(" "))
      .map((kv) => kv.split("="))
      .map(([k, v]) => [k, k === "NODE_COMPILE_CACHE" ? join(dir, "compile-cache") : v]),
  );
const user = process.getuid?.() === 0 ? { uid: 65532, gid: 65532 } : {};

try {
  if (user.uid) chmodSync(work, 0o755);
  const variants = [];
  for (const [app, entry] of Object.entries(apps)) {
    const dir = (layout) => join(work, `${app}-${layout}`);
    pack(entry, dir("node"), "--layout", "node");
    pack(entry, dir("exe"), "--layout", "executable");
    pack(entry, dir("exe-nocc"), "--layout", "executable", "--no-code-cache");
    const node = join(dir("node"), `node-${dockerArch}`);
    const bundle = join(dir("node"), "app.cjs");
    const env = cacheEnv(dir("node"));
    if (!env.NODE_COMPILE_CACHE) throw new Error(`${app}: the node layout's recipe has no compile cache`);
    const debug = spawnSync(node, [bundle], { ...user, env: { ...env, NODE_DEBUG_NATIVE: "COMPILE_CACHE", PORT: String(await freePort()) }, timeout: 3000, encoding: "utf8" });
    if (!/was accepted/.test(debug.stderr)) throw new Error(`${app}: the compile cache is not used:\n${debug.stderr}`);
    const exe = join(dir("exe"), `app-${dockerArch}`);
    // inspect --json names the blob's code cache (seaCodeCacheBytes) when there is one.
    const codeCache = (file) => /"seaCodeCacheBytes":\s*(\d+)/.exec(execFileSync(process.execPath, [cli, "inspect", file, "--json"]).toString())?.[1];
    if (!codeCache(exe)) throw new Error(`${app}: ${exe} has no V8 code cache`);
    if (codeCache(join(dir("exe-nocc"), `app-${dockerArch}`))) throw new Error(`${app}: --no-code-cache still has a code cache`);
    variants.push({ app, name: "node layout + compile cache (default)", run: [node, [bundle], env] });
    variants.push({ app, name: "executable layout + V8 code cache", run: [exe, [], {}], peer: true });
    variants.push({ app, name: "executable layout, --no-code-cache (before)", run: [join(dir("exe-nocc"), `app-${dockerArch}`), [], {}] });
    if (user.uid) variants.push({ app, name: "node layout run as uid 1000 (compile cache off)", run: [node, [bundle], env, { uid: 1000, gid: 1000 }] });
  }
  const start = async ([cmd, args, env, as = user]) => (await firstOk(cmd, args, await freePort(), undefined, { env, ...as })).ms;
  for (const v of variants) await start(v.run); // page cache warm
  const times = new Map(variants.map((v) => [v, []]));
  const load0 = loadavg()[0];
  for (let i = 0; i < rounds; i++) for (const v of shuffle(variants)) times.get(v).push(await start(v.run));
  const load1 = loadavg()[0];
  console.log(`exec -> first 200 on GET /hello, linux-${arch}, ${rounds} rounds interleaved (shuffled), ${cpus().length} cores, load average ${load0.toFixed(1)} -> ${load1.toFixed(1)}\n`);
  console.log("| app | variant | median | p25 | p75 | vs executable + code cache |\n|---|---|---:|---:|---:|---:|");
  for (const app of Object.keys(apps)) {
    const mine = variants.filter((v) => v.app === app);
    const peer = median(times.get(mine.find((v) => v.peer)));
    for (const v of mine) {
      const xs = [...times.get(v)].sort((a, b) => a - b);
      const q = (f) => xs[Math.floor(f * (xs.length - 1))];
      console.log(`| ${app} | ${v.name} | ${median(xs).toFixed(1)} ms | ${q(0.25).toFixed(1)} | ${q(0.75).toFixed(1)} | ${(median(xs) / peer).toFixed(2)} |`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
