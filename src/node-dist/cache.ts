// Cached Node binaries: <cacheDir>/node/<package>@<version>/<file> plus <file>.json, a manifest
// (size, sha256) written last. An entry counts only when its manifest exists and the file
// still matches it, so a download or copy cut short is never used: it is replaced.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic.js";

export interface CacheManifest {
  version: string; // Node version, "24.21.0"
  bytes: number;
  sha256: string;
  source: string; // where the bytes came from: tarball URL, or the file it was derived from
}

export interface CachedFile extends CacheManifest {
  path: string;
}

export const entryDir = (cacheDir: string, pkg: string, version: string) => join(cacheDir, "node", `${pkg}@${version}`);

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The cached file, when present and intact; undefined when missing, partial or corrupt. */
export async function readCached(path: string): Promise<CachedFile | undefined> {
  let manifest: CacheManifest;
  try {
    manifest = JSON.parse(await readFile(`${path}.json`, "utf8")) as CacheManifest;
    const st = await stat(path);
    if (!st.isFile() || st.size !== manifest.bytes) return undefined;
  } catch {
    return undefined;
  }
  if ((await sha256File(path)) !== manifest.sha256) return undefined;
  return { ...manifest, path };
}

/** Moves a complete temporary file into the cache, then writes its manifest. */
export async function commitCached(tmp: string, path: string, manifest: CacheManifest): Promise<CachedFile> {
  await rename(tmp, path);
  await writeFileAtomic(`${path}.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  return { ...manifest, path };
}
