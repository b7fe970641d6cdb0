// The AWS SDK from its ES module build (issue 22, `esmPackages`): exec -> first HTTP 200 (wall,
// CPU of all threads, peak RSS) of the two real-service fixtures, each bundled with the default
// rule and with `--esm-packages ""` (every package from its `main`, as before), as `node
// bundle.cjs` and as the executable, with bun `build --compile` of the same entry beside them.
// Every variant once per round, rounds interleaved (order rotated); medians and ratios.
//
//   npm run build && (cd bench && npm install) && node bench/esm-packages.mjs
//
// Env: RUNS (default 21), FIXTURES=hono,express.

import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { firstOk } from "./lib/http-probe.mjs";
import { cpuNs, peakRss } from "./lib/proc.mjs";

const root = resolve(import.meta.dirname, "..");
const runs = Number(process.env.RUNS ?? 21);
const out = join(tmpdir(), `binship-bench-esm-${process.pid}`);
mkdirSync(out, { recursive: true });
const arch = process.arch === "arm64" ? "arm64" : "x64";
const binship = (...args) => execFileSync(process.execPath, [join(root, "bin", "binship.js"), ...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
const bunBin = join(import.meta.dirname, "node_modules", "bun", "bin", "bun.exe");
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const fixtures = [
  { key: "hono", title: "Hono + zod + client-dynamodb (bench/apps/orders.ts)", entry: "orders.ts", bunEntry: "orders.ts" },
  { key: "express", title: "Express + zod + client-dynamodb + lib-dynamodb (bench/apps/orders-express.ts)", entry: "orders-express.ts", bunEntry: "orders-express-listen.ts" },
].filter((f) => !process.env.FIXTURES || process.env.FIXTURES.split(",").includes(f.key));

let node;
const variants = []; // { fixture, name, command, args, bytes }
for (const f of fixtures) {
  const entry = join(import.meta.dirname, "apps", f.entry);
  for (const [label, flags] of [["ES builds (default)", []], ['`--esm-packages ""`', ["--esm-packages", ""]]]) {
    const tag = flags.length ? "main" : "esm";
    const bundle = join(out, `${f.key}-${tag}.cjs`);
    binship("bundle", entry, "-o", bundle, ...flags);
    const built = JSON.parse(binship("build", entry, "--arch", arch, ...flags, "-o", join(out, `${f.key}-${tag}-built`), "--json"));
    node ??= join(process.env.BINSHIP_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME, ".cache"), "binship"), "node", `node-linux-${arch}@${built.nodeVersion}`, "node");
    // A deploy unpacks the executable: a freshly written copy, as bench/real-service-start.mjs does.
    const exe = join(out, `${f.key}-${tag}-exe`);
    copyFileSync(built.path, exe);
    variants.push({ fixture: f, name: `node bundle.cjs, ${label}`, command: node, args: [bundle], bytes: statSync(bundle).size });
    variants.push({ fixture: f, name: `executable, ${label}`, command: exe, args: [], bytes: statSync(exe).size });
  }
  if (existsSync(bunBin)) {
    const bun = join(out, `${f.key}-bun`);
    execFileSync(bunBin, ["build", "--compile", join(import.meta.dirname, "apps", f.bunEntry), "--outfile", bun], { stdio: "ignore" });
    variants.push({ fixture: f, name: "bun build --compile", command: bun, args: [], bytes: statSync(bun).size });
  }
}

const results = new Map(variants.map((v) => [v, { ms: [], cpu: [], rss: [] }]));
let port = 23000 + (process.pid % 1000) * 10;
for (let r = 0; r < runs; r++) {
  const order = variants.map((_, i) => variants[(i + r) % variants.length]);
  for (const v of order) {
    const m = await firstOk(v.command, v.args, port++, (c) => ({ cpu: cpuNs(c.pid) / 1e6, rss: peakRss(c.pid) / 1048576 }));
    const x = results.get(v);
    x.ms.push(m.ms), x.cpu.push(m.cpu), x.rss.push(m.rss);
  }
}
rmSync(out, { recursive: true, force: true });

const load = execFileSync("cat", ["/proc/loadavg"]).toString().split(" ").slice(0, 3).join(" ");
console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model}, load average at the end ${load}; ${runs} interleaved rounds; medians.\n`);
for (const f of fixtures) {
  const mine = variants.filter((v) => v.fixture === f);
  const base = results.get(mine.find((v) => v.name.startsWith("node bundle.cjs, `--esm")));
  console.log(`**${f.title}**\n\n| variant | size | first 200 | CPU to first 200 | ratio (CPU) vs node bundle.cjs of the main builds | peak RSS |\n|---|---:|---:|---:|---:|---:|`);
  for (const v of mine) {
    const x = results.get(v);
    console.log(`| ${v.name} | ${(v.bytes / 1048576).toFixed(2)} MiB | ${median(x.ms).toFixed(0)} ms | ${median(x.cpu).toFixed(0)} ms | ${(median(x.cpu) / median(base.cpu)).toFixed(2)}× | ${median(x.rss).toFixed(0)} MiB |`);
  }
  console.log("");
}
