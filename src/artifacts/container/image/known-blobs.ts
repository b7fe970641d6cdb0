// Where a blob already is on a registry: after every push binship remembers, per registry host,
// which repositories hold each blob it pushed (kept in binship's cache). The next push of a blob
// to another repository on that host asks for a cross-repository mount from the most recent one
// (OCI distribution spec, end-11) instead of uploading it: the Node layer shared by every service
// on one Node release is then sent once per registry, not once per repository. It is a hint
// only: the registry checks the source and the caller's pull access, and a wrong hint costs one
// 202 answer, after which the blob is uploaded as usual.

import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { writeFileAtomic } from "../../../util/atomic.js";

/** Repositories remembered per blob, most recent first; blobs remembered per registry host. */
const reposPerBlob = 3;
const blobsPerRegistry = 200;
const format = 1;

type Record_ = Record<string, Record<string, string[]>>; // registry -> digest -> repositories

export interface KnownBlobs {
  /** Repositories on `registry` that held `digest` after an earlier push, most recent first. */
  sources(registry: string, digest: string): string[];
  /** After a push: `repository` on `registry` now holds these blobs. */
  remember(registry: string, repository: string, digests: string[]): void;
  /** Writes the record back (atomically); a no-op without a file. */
  save(): Promise<void>;
}

function valid(data: unknown): data is { format: number; registries: Record_ } {
  if (!data || typeof data !== "object") return false;
  const d = data as { format?: unknown; registries?: unknown };
  if (d.format !== format || !d.registries || typeof d.registries !== "object") return false;
  return Object.values(d.registries as object).every((blobs) => blobs && typeof blobs === "object" && Object.values(blobs as object).every((repos) => Array.isArray(repos) && repos.every((r) => typeof r === "string")));
}

/** The record in `file` (undefined: nothing remembered, nothing saved); an unreadable or foreign file starts empty. */
export async function loadKnownBlobs(file: string | undefined): Promise<KnownBlobs> {
  let registries: Record_ = {};
  if (file) {
    const parsed = await readFile(file, "utf8")
      .then((t) => JSON.parse(t) as unknown)
      .catch(() => undefined);
    if (valid(parsed)) registries = parsed.registries;
  }
  let changed = false;
  return {
    sources: (registry, digest) => [...(registries[registry]?.[digest] ?? [])],
    remember(registry, repository, digests) {
      const blobs = { ...registries[registry] };
      for (const d of digests) {
        // Re-inserted: the object's key order is its recency order.
        const repos = [repository, ...(blobs[d] ?? []).filter((r) => r !== repository)].slice(0, reposPerBlob);
        delete blobs[d];
        blobs[d] = repos;
      }
      const keys = Object.keys(blobs);
      for (const old of keys.slice(0, Math.max(0, keys.length - blobsPerRegistry))) delete blobs[old];
      registries = { ...registries, [registry]: blobs };
      changed = true;
    },
    async save() {
      if (!file || !changed) return;
      await mkdir(dirname(file), { recursive: true });
      await writeFileAtomic(file, `${JSON.stringify({ format, registries })}\n`);
    },
  };
}
