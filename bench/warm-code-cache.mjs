// A lever measured, not shipped (i22-runtime): a V8 code cache made AFTER the service's modules
// ran, against the one binship ships today (made right after compiling, as Node's SEA
// `useCodeCache` and module compile cache make theirs: only the functions V8 compiles eagerly,
// so every function the service's init calls is still compiled lazily at each start).
// For each fixture, exec -> first HTTP 200 on GET /hello (wall and CPU, all threads) of:
//   - the binship executable (its SEA code cache: the peer)
//   - bun build --compile of the same entry
//   - the same bundle on the same Node through bench/lib/vm-cache-loader.cjs (vm.Script) with a
//     cache made (a) right after compiling, (b) after the bundle's top level ran (the service's
//     modules evaluated, nothing served), (c) after the service answered once.
// Every variant once per round, rounds interleaved in a new random order; medians.
// Each cache is checked accepted by V8 before timing (the loader exits 9 on a rejection).
//
//   npm run build && (cd bench && npm install) && node bench/warm-code-cache.mjs [rounds=21]

import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { firstOk, freePort } from "./lib/http-probe.mjs";
import { cpuNs } from "./lib/proc.mjs";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "bin", "binship.js");
const rounds = Number(process.argv[2] ?? 21);
const arch = process.arch === "arm64" ? "arm64" : "x64";
const out = join(tmpdir(), `binship-bench-warm-cache-${process.pid}`);
mkdirSync(out, { recursive: true });
const loader = join(import.meta.dirname, "lib", "vm-cache-loader.cjs");
const bunBin = join(import.meta.dirname, "node_modules", "bun", "bin", "bun.exe");
const binship = (...args) => execFileSync(process.execPath, [cli, ...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
const cacheDir = process.env.BINSHIP_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME, ".cache"), "binship");
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const fixtures = [
  { key: "orders (Hono + zod + client-dynamodb)", entry: join(import.meta.dirname, "apps", "orders.ts") },
  { key: "orders-express (Express + zod + client-dynamodb + lib-dynamodb)", entry: join(import.meta.dirname, "apps", "orders-express.ts"), bunEntry: join(import.meta.dirname, "apps", "orders-express-listen.ts") },
  { key: "hello (test/fixtures/apps/hono)", entry: join(root, "test", "fixtures", "apps", "hono", "index.ts") },
];

try {
  const variants = [];
  let node;
  for (const [i, f] of fixtures.entries()) {
    const built = JSON.parse(binship("build", f.entry, "--arch", arch, "--node", "24", "-o", join(out, `${i}-exe-built`), "--json"));
    node ??= join(cacheDir, "node", `node-linux-${arch}@${built.nodeVersion}`, "node");
    copyFileSync(join(out, `${i}-exe-built`), join(out, `${i}-exe`));
    const bundle = join(out, `${i}.cjs`);
    binship("bundle", f.entry, "-o", bundle);
    variants.push({ f, name: "binship executable (SEA code cache)", peer: true, run: [join(out, `${i}-exe`), []] });
    if (existsSync(bunBin)) {
      execFileSync(bunBin, ["build", "--compile", f.bunEntry ?? f.entry, "--outfile", join(out, `${i}-bun`)], { stdio: "ignore" });
      variants.push({ f, name: "bun build --compile", run: [join(out, `${i}-bun`), []] });
    }
    for (const [make, name] of [
      ["make-compiled", "vm.Script + cache made after compiling (today's kind)"],
      ["make-loaded", "vm.Script + cache made after the modules ran"],
      ["make-answered", "vm.Script + cache made after the first answer"],
    ]) {
      const cache = join(out, `${i}-${make}.bin`);
      execFileSync(node, [loader, bundle, cache, make], { env: { ...process.env, PORT: String(await freePort()), HOST: "127.0.0.1" }, stdio: "ignore", timeout: 60_000 });
      variants.push({ f, name, cacheBytes: statSync(cache).size, run: [node, [loader, bundle, cache]] });
    }
  }
  const start = async ([cmd, args]) => firstOk(cmd, args, await freePort(), (c) => ({ cpu: cpuNs(c.pid) / 1e6 }));
  for (const v of variants) {
    v.ms = [];
    v.cpu = [];
    await start(v.run); // warm the page cache; a rejected cache exits and never answers
  }
  const load0 = loadavg()[0];
  for (let r = 0; r < rounds; r++)
    for (const v of variants.map((x) => [Math.random(), x]).sort((a, b) => a[0] - b[0]).map(([, x]) => x)) {
      const m = await start(v.run);
      v.ms.push(m.ms);
      v.cpu.push(m.cpu);
    }
  console.log(`Command: \`node bench/warm-code-cache.mjs ${rounds}\`. Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Linux ${readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()} ${arch}, shared (load average ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}); ${rounds} rounds interleaved; medians.\n`);
  console.log("| fixture | runs as | code cache | first 200 | CPU to answer | vs executable (CPU) |\n|---|---|---:|---:|---:|---:|");
  for (const f of fixtures) {
    const mine = variants.filter((v) => v.f === f);
    const peer = median(mine.find((v) => v.peer).cpu);
    for (const v of mine) console.log(`| ${f.key} | ${v.name} | ${v.cacheBytes ? `${(v.cacheBytes / 1024).toFixed(0)} KiB` : "–"} | ${median(v.ms).toFixed(1)} ms | ${median(v.cpu).toFixed(1)} ms | ${(median(v.cpu) / peer).toFixed(2)}× |`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
