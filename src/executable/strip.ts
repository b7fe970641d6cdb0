// Official Node binaries carry a full symbol table and some DWARF (~18 MiB). `--strip-all`
// removes .symtab/.strtab and .debug_*; the dynamic symbol table stays, so native addons still
// link. Stripping happens before injection: postject then adds the blob's note to the stripped
// file, and a strip after injection could not be trusted to keep it. The registry's binaries
// are stripped once into the cache, keyed by the source's sha256; the source's bytes are checked
// against that sha256 before they are stripped.

import { execFile } from "node:child_process";
import { rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Diagnostic } from "../diagnostic.js";
import { cacheTempPath, commitCached, readCached, requireCached, type CachedFile } from "../node-dist/cache.js";
import { sha256File } from "../util/atomic.js";
import { endOnInterrupt } from "../util/interrupt.js";

/** Runs the strip tool; an interrupt ends it. */
function run(tool: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(tool, args, (err) => (err ? reject(err) : resolve()));
    endOnInterrupt(child);
  });
}

/** Writes a stripped copy of `source` to `out` (through a temporary file). */
export async function stripFile(tool: string, source: string, out: string): Promise<void> {
  const tmp = await cacheTempPath(dirname(out), "stripping");
  try {
    await run(tool, ["--strip-all", "-o", tmp, source]);
    await rename(tmp, out);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * The stripped copy of a cached binary, made once and kept beside it. A hit passes the cheap
 * check only (its user checks the bytes it uses); a corrupt source throws CorruptEntry.
 */
export async function stripCached(tool: string, source: CachedFile, warnings: Diagnostic[]): Promise<CachedFile> {
  const out = join(dirname(source.path), "node-stripped");
  const hit = await readCached(out);
  if (hit && hit.source === `sha256:${source.sha256}`) return hit;
  await requireCached(source, "Node binary", "downloading it again", warnings);
  const tmp = await cacheTempPath(dirname(out), "stripped");
  try {
    await stripFile(tool, source.path, tmp);
    const bytes = (await stat(tmp)).size;
    return await commitCached(tmp, out, { version: source.version, bytes, sha256: await sha256File(tmp), source: `sha256:${source.sha256}` });
  } finally {
    await rm(tmp, { force: true });
  }
}
