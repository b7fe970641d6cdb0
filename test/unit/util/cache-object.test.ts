// The one integrity rule for cached objects: a file is checked by size and sha256 of every byte
// (a process remembers files it checked or wrote by inode, size and mtime), a change that keeps
// size and mtime is found, a corrupt entry goes (record first) with one
// warning, and a stage that meets one mid-way starts over once.

import { execFileSync } from "node:child_process";
import { existsSync, openSync, writeSync, closeSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../../src/diagnostic.js";
import { checkFile, CorruptEntry, digestFile, markVerified, requireIntact, retryOnCorrupt, verifyEntry } from "../../../src/util/cache-object.js";
import { tempDir } from "../../helpers/cli.js";

function flipKeepingMtime(file: string, at: number): void {
  const stamp = `${file}.stamp`;
  writeFileSync(stamp, "");
  execFileSync("touch", ["-r", file, stamp]);
  const fd = openSync(file, "r+");
  writeSync(fd, Buffer.from([0x5a]), 0, 1, at);
  closeSync(fd);
  execFileSync("touch", ["-r", stamp, file]);
}

describe("cache objects", () => {
  it("finds a byte changed in place with size and mtime kept", async () => {
    const dir = tempDir("binship-cacheobj-");
    const file = join(dir, "obj");
    writeFileSync(file, Buffer.alloc(3 << 20, 1));
    const expected = await digestFile(file);
    expect(expected.bytes).toBe(3 << 20);
    flipKeepingMtime(file, 2 << 20);
    expect(await checkFile(file, expected)).toBe("sha256 mismatch");
  });

  it("says why: missing, size mismatch, sha256 mismatch", async () => {
    const dir = tempDir("binship-cacheobj-");
    const file = join(dir, "obj");
    writeFileSync(file, "hello");
    const good = await digestFile(file);
    expect(await checkFile(join(dir, "nope"), good)).toBe("missing");
    expect(await checkFile(file, { ...good, bytes: 6 })).toBe("size mismatch");
    expect(await checkFile(file, { ...good, sha256: "0".repeat(64) })).toBe("sha256 mismatch");
  });

  it("removes a corrupt entry, its record first, with one warning naming it and what happens instead", async () => {
    const dir = tempDir("binship-cacheobj-");
    const file = join(dir, "obj");
    const record = join(dir, "obj.json");
    writeFileSync(file, "hello");
    writeFileSync(record, "{}");
    const warnings: Diagnostic[] = [];
    const ok = await verifyEntry({ path: file, record, expected: { bytes: 5, sha256: "0".repeat(64) }, what: "thing", instead: "making it again" }, warnings);
    expect(ok).toBe(false);
    expect(existsSync(file) || existsSync(record)).toBe(false);
    expect(warnings).toEqual([{ text: `cached thing ${file} is corrupt (sha256 mismatch); making it again` }]);
  });

  it("trusts a file it wrote and hashed itself without reading it again, until it changes", async () => {
    const dir = tempDir("binship-cacheobj-");
    const file = join(dir, "obj");
    writeFileSync(file, "hello");
    const good = await digestFile(file);
    await markVerified(file, good);
    expect(await checkFile(file, good)).toBeUndefined();
    writeFileSync(file, "jello"); // same size, new mtime
    expect(await checkFile(file, good)).toBe("sha256 mismatch");
  });

  it("starts a stage over once when it meets a corrupt input, and only once", async () => {
    const dir = tempDir("binship-cacheobj-");
    const file = join(dir, "obj");
    writeFileSync(file, "hello");
    const warnings: Diagnostic[] = [];
    let attempts = 0;
    const result = await retryOnCorrupt(async () => {
      attempts++;
      if (attempts === 1) await requireIntact({ path: file, expected: { bytes: 5, sha256: "0".repeat(64) }, what: "thing", instead: "again" }, warnings);
      return "done";
    });
    expect({ result, attempts, warnings: warnings.length }).toEqual({ result: "done", attempts: 2, warnings: 1 });
    await expect(retryOnCorrupt(() => Promise.reject(new CorruptEntry(file)))).rejects.toBeInstanceOf(CorruptEntry);
  });
});
