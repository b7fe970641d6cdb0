// The SEA preparation blob, generated the way pkg generates it (pkg 6.23 lib-es5/sea.js: the
// same sea-config keys and defaults, the generator started in the main script's directory), so
// a blob re-injected into an earlier executable (reinject.ts) gives the bytes pkg would write.
//
// With a V8 code cache ("useCodeCache"), the blob also holds the main script compiled by the
// generator. V8 accepts a code cache only from its own build and flags, and Node documents the
// cache as platform-specific, so the generator is the target's own Node: for another CPU, the
// target binary under qemu-user (`emulator`).
//
// Reproducible bytes: V8 seeds its string hashes at random per process, and the cache's bytes
// depend on that seed (3 generator runs on the same bundle: 3 blobs, sizes differing by up to
// 130 bytes); with a fixed --hash-seed they are identical. But V8 records a hash of every
// non-default flag in the cache's header and rejects a cache whose flags differ from the running
// process's, and --hash-seed is one of them. A cache never depends on which seed made it (every
// Node process picks its own random seed, and caches are used across processes: strings are
// re-hashed on the way in), so the header's flag hash is set to what the same Node computes
// without the seed: read from a one-line vm.Script cache made by the same generator.
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { BinshipError } from "../errors.js";
import { seaBlobFacts } from "../inspect/sea-blob.js";
import { logTail, recordedMainPath, runGrouped } from "./pkg.js";

/** pkg's defaults under the caller's keys; part of the executable cache key (executable/index.ts). */
export const seaDefaults = { disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false };

/** The generator's V8 hash seed when it writes a code cache: any fixed value makes the bytes reproducible. */
export const codeCacheHashSeed = 0x62696e73; // "bins"

export interface SeaBlobInput {
  generator: string; // Node of exactly the target's version; with codeCache, the target's own (see emulator)
  emulator?: string[]; // the command the generator runs under when it is a foreign-arch binary: qemu-<arch> -L <root>
  codeCache?: boolean; // compile the main into a V8 code cache inside the blob (default false, pkg's)
  main: string; // the main script, in a directory of its own
  seaConfig?: Record<string, unknown>; // keys beyond pkg's defaults (mainFormat, assets)
  workDir: string; // scratch: the config and the blob
}

export async function generateSeaBlob(input: SeaBlobInput): Promise<Buffer> {
  const config = join(input.workDir, "sea-config.json");
  const output = join(input.workDir, "sea-prep.blob");
  const cache = input.codeCache ? { useCodeCache: true } : {};
  await writeFile(config, JSON.stringify({ main: recordedMainPath(input.main), output, ...seaDefaults, ...input.seaConfig, ...cache }));
  const nodeArgs = [...(input.codeCache ? [`--hash-seed=${codeCacheHashSeed}`] : []), "--experimental-sea-config", config];
  const [file, ...prefix] = [...(input.emulator ?? []), input.generator];
  const { err, log } = await runGrouped(file!, [...prefix, ...nodeArgs], { cwd: dirname(input.main), env: { PATH: "/usr/bin:/bin", NO_COLOR: "1" } });
  if (err) {
    throw new BinshipError("EXECUTABLE_FAILED", `generating the SEA blob${input.codeCache ? " (with its V8 code cache)" : ""} failed: ${err.message}`, {
      cause: err,
      diagnostics: logTail(log),
      hint: input.codeCache ? "Run with --verbose for details; --no-code-cache builds without the cache." : "Run with --verbose for details.",
    });
  }
  const blob = await readFile(output);
  if (input.codeCache) await withDefaultFlagHash(blob, await defaultCacheHeader(input));
  return blob;
}

// V8's code cache header (SerializedCodeData, V8 12-13): u32 magic, u32 version hash, u32 source
// hash, u32 flag hash, ... all little-endian.
const flagHashAt = 12;

/** The first 16 bytes of a code cache made by the generator with default flags. */
async function defaultCacheHeader(input: SeaBlobInput): Promise<Buffer> {
  const probe = `process.stdout.write(new (require("node:vm").Script)("0").createCachedData().subarray(0, 16).toString("hex"))`;
  const [file, ...prefix] = [...(input.emulator ?? []), input.generator];
  const { err, log } = await runGrouped(file!, [...prefix, "-e", probe], { cwd: input.workDir, env: { PATH: "/usr/bin:/bin", NO_COLOR: "1" } });
  if (err || !/^[0-9a-f]{32}$/.test(log)) throw new BinshipError("EXECUTABLE_FAILED", `reading V8's code cache header from ${input.generator} failed: ${err?.message ?? log.slice(0, 200)}`, { cause: err, hint: "Run with --verbose; --no-code-cache builds without the cache." });
  return Buffer.from(log, "hex");
}

/** Puts the default-flags hash into the blob's code cache header, after checking it is the same V8's cache. */
async function withDefaultFlagHash(blob: Buffer, header: Buffer): Promise<void> {
  const range = (await seaBlobFacts(blob))?.codeCache;
  const cache = range && blob.subarray(range.offset, range.offset + range.bytes);
  if (!cache || cache.length < 16 || !cache.subarray(0, 8).equals(header.subarray(0, 8))) {
    throw new BinshipError("EXECUTABLE_FAILED", "the SEA blob's V8 code cache is not laid out as this binship expects (magic or V8 version differ)", { hint: "This is a binship bug with this Node version; --no-code-cache builds without the cache." });
  }
  header.copy(cache, flagHashAt, flagHashAt, flagHashAt + 4);
}
