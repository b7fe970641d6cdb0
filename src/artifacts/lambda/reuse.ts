// The same entries give the same zip, and deflating a 100 MB executable again costs seconds. So a
// stamp beside the intermediate executable records a digest of everything that goes into the zip
// and the zip it gave; when both still match, the zip on disk is the answer and is left alone.

import { readFile, stat } from "node:fs/promises";
import { binshipVersion } from "../../paths.js";
import { sha256, sha256File, writeFileAtomic } from "../../util/atomic.js";
import type { ZipEntry, ZipResult } from "../zip.js";

interface Stamp {
  key: string; // digest of the zip's inputs
  result: Omit<ZipResult, "changed">; // what writeZip produced for them
}

/** Digest of the archive's content and format: entries (bytes, names, modes), time, level, binship version. */
export async function zipKey(entries: ZipEntry[], known: Map<string, string>, settings: { mtime: Date; level: number }): Promise<string> {
  const parts = await Promise.all(
    entries.map(async (e) => {
      const sha = typeof e.source === "string" ? (known.get(e.source) ?? (await sha256File(e.source))) : sha256(e.source);
      return [e.name, e.mode, sha];
    }),
  );
  return sha256(JSON.stringify([binshipVersion(), settings.mtime.toISOString(), settings.level, parts.sort()]));
}

/** The earlier result when the stamp's key matches and the zip on disk is still exactly that zip (at `outfile`, when given: a layer's name comes from the stamp). */
export async function reusableZip(stampFile: string, key: string, outfile: string | undefined): Promise<ZipResult | undefined> {
  let stamp: Stamp;
  try {
    stamp = JSON.parse(await readFile(stampFile, "utf8")) as Stamp;
    if (stamp.key !== key || (outfile !== undefined && stamp.result.path !== outfile)) return undefined;
    if ((await stat(stamp.result.path)).size !== stamp.result.bytes) return undefined;
  } catch {
    return undefined;
  }
  return (await sha256File(stamp.result.path)) === stamp.result.sha256 ? { ...stamp.result, changed: false } : undefined;
}

export async function saveStamp(stampFile: string, key: string, result: ZipResult): Promise<void> {
  const { changed: _, ...rest } = result;
  await writeFileAtomic(stampFile, `${JSON.stringify({ key, result: rest } satisfies Stamp)}\n`);
}
