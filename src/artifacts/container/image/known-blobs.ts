// Where a blob already is on a registry: after every push binship remembers which repositories
// of that registry hold each blob it pushed (one small file per registry host in binship's
// cache). The next push of a blob to another repository there asks for a cross-repository
// mount from the most recent one (OCI distribution spec, end-11) instead of uploading it: the
// Node layer shared by every service on one Node release is then sent once per registry, not
// once per repository. It is a hint only: the registry checks the source and the caller's pull
// access, and a wrong hint costs one declined mount, after which the blob is uploaded as usual.

import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../../util/atomic.js";

/** Repositories remembered per blob, most recent first; blobs remembered per registry host. */
const reposPerBlob = 3;
const blobsPerRegistry = 200;
const format = 1;

type Blobs = Record<string, string[]>; // digest -> repositories, the object's key order its recency order

export interface KnownBlobs {
  /** Repositories that held `digest` after an earlier push, most recent first. */
  sources(digest: string): string[];
  /** After a push: `repository` now holds these blobs. */
  remember(repository: string, digests: string[]): void;
  /** Writes the record back, merged into what other runs wrote meanwhile; a no-op without a directory. */
  save(): Promise<void>;
}

function valid(data: unknown): data is { format: number; blobs: Blobs } {
  if (!data || typeof data !== "object") return false;
  const d = data as { format?: unknown; blobs?: unknown };
  if (d.format !== format || !d.blobs || typeof d.blobs !== "object") return false;
  return Object.values(d.blobs as object).every((repos) => Array.isArray(repos) && repos.every((r) => typeof r === "string"));
}

/** The record's file for a registry host ("127.0.0.1:5000" -> "127.0.0.1_5000.json"). */
export const knownBlobsFile = (dir: string, registry: string) => join(dir, `${registry.replace(/[^A-Za-z0-9.-]/g, "_")}.json`);

async function read(file: string | undefined): Promise<Blobs> {
  if (!file) return {};
  const parsed = await readFile(file, "utf8")
    .then((t) => JSON.parse(t) as unknown)
    .catch(() => undefined);
  return valid(parsed) ? parsed.blobs : {};
}

function record(blobs: Blobs, repository: string, digests: string[]): Blobs {
  const out = { ...blobs };
  for (const d of digests) {
    const repos = [repository, ...(out[d] ?? []).filter((r) => r !== repository)].slice(0, reposPerBlob);
    delete out[d]; // re-inserted last: the most recent
    out[d] = repos;
  }
  const keys = Object.keys(out);
  for (const old of keys.slice(0, Math.max(0, keys.length - blobsPerRegistry))) delete out[old];
  return out;
}

/** What binship knows about `registry` (dir undefined: nothing, and nothing saved); an unreadable or foreign file reads as empty. */
export async function loadKnownBlobs(dir: string | undefined, registry: string): Promise<KnownBlobs> {
  const file = dir ? knownBlobsFile(dir, registry) : undefined;
  let blobs = await read(file);
  const pushed: { repository: string; digests: string[] }[] = [];
  return {
    sources: (digest) => [...(blobs[digest] ?? [])],
    remember(repository, digests) {
      pushed.push({ repository, digests });
      blobs = record(blobs, repository, digests);
    },
    async save() {
      if (!file || !dir || !pushed.length) return;
      // Another run may have saved since this one read: apply this run's pushes to the file as it is now.
      let now = await read(file);
      for (const p of pushed) now = record(now, p.repository, p.digests);
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(file, `${JSON.stringify({ format, blobs: now })}\n`);
    },
  };
}
