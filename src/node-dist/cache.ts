// Cached Node binaries: <cacheDir>/node/<package>@<version>/<file> plus <file>.json, a manifest
// (size, sha256, mtime) written last. An entry counts only when its manifest exists and the
// file still matches it, so a download or copy cut short is never used: it is replaced. The
// sha256 is recomputed only when the file's mtime moved (anything that rewrote it), which keeps
// a warm build from hashing 120 MB files on every run.

import { randomBytes } from "node:crypto";
import { readFile, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import { sha256File, writeFileAtomic } from "../util/atomic.js";
import { removeOnInterrupt } from "../util/interrupt.js";
import { removeStale } from "../util/stale.js";

export interface CacheManifest {
  version: string; // Node version, "24.21.0"
  bytes: number;
  sha256: string;
  source: string; // where the bytes came from: tarball URL, or the file it was derived from
  mtimeMs?: number; // the file's mtime when the sha256 was last confirmed
}

export interface CachedFile extends CacheManifest {
  path: string;
}

export const entryDir = (cacheDir: string, pkg: string, version: string) => join(cacheDir, "node", `${pkg}@${version}`);

/** The cached file, when present and intact; undefined when missing, partial or corrupt. */
export async function readCached(path: string): Promise<CachedFile | undefined> {
  let manifest: CacheManifest;
  let mtimeMs: number;
  try {
    manifest = JSON.parse(await readFile(`${path}.json`, "utf8")) as CacheManifest;
    const st = await stat(path);
    if (!st.isFile() || st.size !== manifest.bytes) return undefined;
    mtimeMs = st.mtimeMs;
  } catch {
    return undefined;
  }
  if (manifest.mtimeMs !== mtimeMs) {
    if ((await sha256File(path)) !== manifest.sha256) return undefined;
    manifest = { ...manifest, mtimeMs }; // confirmed: the next use need not hash again
    await writeFileAtomic(`${path}.json`, `${JSON.stringify(manifest, null, 2)}\n`).catch(() => {});
  }
  return { ...manifest, path };
}

/** Moves a complete temporary file into the cache, then writes its manifest. */
export async function commitCached(tmp: string, path: string, manifest: CacheManifest): Promise<CachedFile> {
  await rename(tmp, path);
  const full = { ...manifest, mtimeMs: (await stat(path)).mtimeMs };
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
