// The segmented zip writer: its output does not depend on what the segment cache holds, every
// zip reader a user or AWS would use accepts it (unzip -t, Python's zipfile, Java's ZipFile),
// it stays within 1% of archiver's level-6 zip, a small change recompresses only the segments
// it touched, and the cache stays within its bound.

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { segmentBytes } from "../../../src/artifacts/deflate-segments.js";
import { writeSegmentedZip } from "../../../src/artifacts/zip-segmented.js";
import { writeZip, zipEpoch, type ZipEntry } from "../../../src/artifacts/zip.js";
import { fixturesDir, tempDir } from "../../helpers/cli.js";
import { requireTools } from "../../helpers/tools.js";

// A real binary: the Node running the tests, first 24 MiB (compresses like the executables do).
const binary = readFileSync(process.execPath).subarray(0, 24 << 20);

function entries(big: Buffer): ZipEntry[] {
  return [
    { name: "bootstrap", source: big, mode: 0o755 },
    { name: "lib/libatomic.so.1", source: Buffer.from("not really a library\n"), mode: 0o644 },
    { name: "lib/ld-linux-x86-64.so.2", source: Buffer.alloc(0), mode: 0o755 },
  ];
}

async function write(dir: string, name: string, big: Buffer, cacheDir?: string, maxBytes = 1 << 30) {
  return writeSegmentedZip({ outfile: join(dir, name), entries: entries(big), mtime: zipEpoch, level: 6, cache: cacheDir ? { dir: cacheDir, maxBytes } : undefined });
}

function cacheBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((n, e) => n + statSync(join(e.parentPath, e.name)).size, 0);
}

describe("writeSegmentedZip", () => {
  it("writes the same bytes with an empty, a warm or no segment cache", async () => {
    const dir = tempDir("binship-segzip-");
    const cache = join(dir, "cache");
    const none = await write(dir, "none.zip", binary);
    const cold = await write(dir, "cold.zip", binary, cache);
    const warm = await write(dir, "warm.zip", binary, cache);
    expect(cold.deflate.reused).toBe(0);
    expect(warm.deflate.reused).toBe(warm.deflate.segments);
    expect(cold.sha256).toBe(none.sha256);
    expect(warm.sha256).toBe(cold.sha256);
  }, 120_000);

  it("never puts a cached segment whose bytes changed on disk into a zip: it is reported, removed and compressed again", async () => {
    const dir = tempDir("binship-segzip-");
    const cache = join(dir, "cache");
    const clean = await write(dir, "clean.zip", binary, cache);
    const files = readdirSync(cache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    const victim = files.sort()[0]!;
    const bytes = readFileSync(victim);
    bytes[10] ^= 0x01; // inside the deflate data, same size
    writeFileSync(victim, bytes);
    const again = await write(dir, "again.zip", binary, cache);
    expect(again.deflate.corrupt).toEqual([victim]);
    expect(again.deflate.reused).toBe(again.deflate.segments - 1);
    expect(again.sha256).toBe(clean.sha256);
    expect(readFileSync(victim).equals(bytes)).toBe(false); // replaced by a good one
    const third = await write(dir, "third.zip", binary, cache);
    expect(third.deflate.corrupt).toEqual([]);
    expect(third.deflate.reused).toBe(third.deflate.segments);
  }, 120_000);

  it("recompresses only the segments a change touched", async () => {
    const dir = tempDir("binship-segzip-");
    const cache = join(dir, "cache");
    await write(dir, "a.zip", binary, cache);
    const changed = Buffer.from(binary);
    changed.write("a one-line change", 5 * segmentBytes + 100);
    const b = await write(dir, "b.zip", changed, cache);
    expect(b.deflate.segments - b.deflate.reused).toBe(1); // the touched segment; the rest, small entries included, came from the cache
    const fresh = await write(dir, "fresh.zip", changed);
    expect(b.sha256).toBe(fresh.sha256);
  }, 120_000);

  it.runIf(requireTools("unzip", "python3", "java"))("is accepted by unzip -t, Python's zipfile and Java's ZipFile, with the right content and modes", async () => {
    const dir = tempDir("binship-segzip-");
    const zip = (await write(dir, "lambda.zip", binary)).path;
    expect(execFileSync("unzip", ["-t", zip]).toString()).toMatch(/No errors detected/);
    const py = execFileSync("python3", [
      "-c",
      "import sys, zipfile, hashlib\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nfor i in z.infolist(): print(i.filename, oct(i.external_attr >> 16), hashlib.sha256(z.read(i)).hexdigest())",
      zip,
    ]).toString();
    expect(py).toContain(`bootstrap 0o100755 ${(await import("node:crypto")).createHash("sha256").update(binary).digest("hex")}`);
    expect(py).toContain("lib/ 0o40755");
    expect(py).toContain("lib/libatomic.so.1 0o100644");
    const java = execFileSync("java", [join(fixturesDir, "zip", "ZipCheck.java"), zip]).toString();
    expect(java.split("\n").filter(Boolean)).toEqual([`bootstrap ${binary.length}`, "lib/ 0", "lib/ld-linux-x86-64.so.2 0", "lib/libatomic.so.1 21"]);
  }, 180_000);

  it("is no more than 1% bigger than archiver's level-6 zip of the same entries", async () => {
    const dir = tempDir("binship-segzip-");
    const ours = await write(dir, "ours.zip", binary);
    const archiver = await writeZip({ outfile: join(dir, "archiver.zip"), entries: entries(binary), mtime: zipEpoch, level: 6 });
    expect(ours.bytes / archiver.bytes).toBeLessThan(1.01);
  }, 180_000);

  it("keeps the segment cache within its bound, dropping the least recently used", async () => {
    const dir = tempDir("binship-segzip-");
    const cache = join(dir, "cache");
    const bound = 4 << 20;
    await write(dir, "a.zip", binary, cache, bound);
    expect(cacheBytes(cache)).toBeLessThanOrEqual(bound);
    expect(cacheBytes(cache)).toBeGreaterThan(bound / 2); // swept down to the bound, not emptied
  }, 120_000);
});
