// The same entries give the same zip, and deflating a 100 MB executable again costs seconds. So a
// stamp beside the intermediate executable records a digest of everything that goes into the zip
// and the zip it gave; when both still match, the zip on disk is the answer and is left alone.
// "Still that zip" is judged as git judges its index: the same size, inode, mtime and ctime as
// when it was written (any write or rename moves ctime, which no user can set back); only when
// those moved is the zip hashed.

import { readFile, stat } from "node:fs/promises";
import { binshipVersion } from "../../paths.js";
import { sha256, sha256File, writeFileAtomic } from "../../util/atomic.js";
import type { ZipEntry, ZipResult } from "../zip.js";

interface FileIdentity {
  size: number;
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
}

interface Stamp {
  key: string; // digest of the zip's inputs
  result: Omit<ZipResult, "changed">; // what writeZip produced for them
  file?: FileIdentity; // the zip as written
}

const identity = (st: FileIdentity): FileIdentity => ({ size: st.size, ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs });
const sameFile = (a: FileIdentity, b: FileIdentity) => a.size === b.size && a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

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
  let now: FileIdentity;
  try {
    stamp = JSON.parse(await readFile(stampFile, "utf8")) as Stamp;
    if (stamp.key !== key || (outfile !== undefined && stamp.result.path !== outfile)) return undefined;
    now = identity(await stat(stamp.result.path));
    if (now.size !== stamp.result.bytes) return undefined;
  } catch {
    return undefined;
  }
  if (stamp.file && sameFile(stamp.file, now)) return { ...stamp.result, changed: false };
  return (await sha256File(stamp.result.path)) === stamp.result.sha256 ? { ...stamp.result, changed: false } : undefined;
}

/** The stamp files in a pack's work directory: the function zip's, and the layer's (layout "layer"). */
export const stampNames = { function: "zip-stamp.json", layer: "layer-stamp.json" } as const;

/** The zip a stamp records, if any (a layer's stamp names the layer file: layer-prune.ts). */
export async function stampedPath(stampFile: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(stampFile, "utf8")) as Stamp).result?.path;
  } catch {
    return undefined;
  }
}

export async function saveStamp(stampFile: string, key: string, result: ZipResult): Promise<void> {
  const { changed: _, ...rest } = result;
  const file = identity(await stat(result.path));
  await writeFileAtomic(stampFile, `${JSON.stringify({ key, result: rest, file } satisfies Stamp)}\n`);
}
