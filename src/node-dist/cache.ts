// Cached Node binaries: <cacheDir>/node/<package>@<version>/<file> plus <file>.json, a manifest
// (size, sha256) written last. An entry counts only when its manifest exists and the file has
// its size, so a download or copy cut short is never used: it is replaced. That is the cheap
// check; the bytes are hashed (util/cache-object.ts) only where they go into an artifact
// (`verifyCached`), so a build served by the executable cache never reads 120 MB it does not use.

import { randomBytes } from "node:crypto";
import { readFile, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Diagnostic } from "../diagnostic.js";
import { writeFileAtomic } from "../util/atomic.js";
import { markVerified, requireIntact, verifyEntry } from "../util/cache-object.js";
import { removeOnInterrupt } from "../util/interrupt.js";
import { removeStale } from "../util/stale.js";

export interface CacheManifest {
  version: string; // Node version, "24.21.0"
  bytes: number;
  sha256: string;
  source: string; // where the bytes came from: tarball URL, or the file it was derived from
  mtimeMs?: number; // the file's mtime when it was stored (informational)
}

export interface CachedFile extends CacheManifest {
  path: string;
}

export const entryDir = (cacheDir: string, pkg: string, version: string) => join(cacheDir, "node", `${pkg}@${version}`);

/** The cached file, when its manifest is there and the file has its size; undefined when missing or partial. Not hashed: see verifyCached. */
export async function readCached(path: string): Promise<CachedFile | undefined> {
  try {
    const manifest = JSON.parse(await readFile(`${path}.json`, "utf8")) as CacheManifest;
    const st = await stat(path);
    if (!st.isFile() || st.size !== manifest.bytes || typeof manifest.sha256 !== "string") return undefined;
    return { ...manifest, path };
  } catch {
    return undefined;
  }
}

/**
 * The full check before the file's bytes are used: true when intact; otherwise the entry is
 * removed (so the next lookup misses and fetches or makes it again) and a warning is added.
 */
export function verifyCached(file: CachedFile, what: string, instead: string, warnings: Diagnostic[]): Promise<boolean> {
  return verifyEntry({ path: file.path, record: `${file.path}.json`, expected: file, what, instead }, warnings);
}

/** verifyCached for a file already committed to: a corrupt one throws CorruptEntry (util/cache-object.ts), so the stage starts over. */
export function requireCached(file: CachedFile, what: string, instead: string, warnings: Diagnostic[]): Promise<void> {
  return requireIntact({ path: file.path, record: `${file.path}.json`, expected: file, what, instead }, warnings);
}

/** Moves a complete temporary file into the cache, then writes its manifest. */
export async function commitCached(tmp: string, path: string, manifest: CacheManifest): Promise<CachedFile> {
  await rename(tmp, path);
  const full = { ...manifest, mtimeMs: (await stat(path)).mtimeMs };
  await markVerified(path, manifest); // hashed as it was written
  await writeFileAtomic(`${path}.json`, `${JSON.stringify(full, null, 2)}\n`);
  return { ...full, path };
}

/**
 * A temporary name in a cache entry directory, `.<what>.<pid>.<hex>.tmp`: removed if the
 * command is interrupted, and by the next run if this one is killed (the files are 50-120 MB).
 */
export async function cacheTempPath(dir: string, what: string): Promise<string> {
  await removeStale(dir, /^\.[a-z]+\.(\d+)\.[0-9a-f]+\.tmp$/);
  const path = join(dir, `.${what}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  removeOnInterrupt(path);
  return path;
}
