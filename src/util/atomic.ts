// Outputs are written to a temporary file beside the target and renamed into place, so an
// interrupted build never leaves a truncated file that make would treat as up to date.
// Unchanged content is not rewritten, so the mtime stays and make sees nothing new.

import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { removeOnInterrupt } from "./interrupt.js";
import { removeStaleBeside } from "./stale.js";

export interface WriteResult {
  path: string;
  bytes: number;
  sha256: string;
  changed: boolean; // false when the file already held these bytes
}

export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** sha256 of a file, streamed: executables are ~100 MB. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * A unique path beside `target`, on the same filesystem so rename is atomic. It carries this
 * run's pid (so a later run can tell it is stale) and is removed if the command is interrupted.
 */
export function tempPathBeside(target: string): string {
  const path = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  removeOnInterrupt(path); // harmless once renamed: the name is unique to this run
  return path;
}

/** tempPathBeside, after removing what killed runs left beside `target`. */
export async function freshTempBeside(target: string): Promise<string> {
  await removeStaleBeside(dirname(target), basename(target));
  return tempPathBeside(target);
}

async function sameContent(path: string, data: Buffer): Promise<boolean> {
  try {
    const st = await stat(path);
    if (!st.isFile() || st.size !== data.length) return false;
    return (await readFile(path)).equals(data);
  } catch {
    return false;
  }
}

export interface WriteOptions {
  mode?: number; // file mode, default 0o644
}

/** Writes `data` to `path` atomically unless the file already holds exactly these bytes. */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: WriteOptions = {},
): Promise<WriteResult> {
  const buf = typeof data === "string" ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const result = { path, bytes: buf.length, sha256: sha256(buf) };
  const mode = options.mode ?? 0o644;
  if (await sameContent(path, buf)) {
    const st = await stat(path);
    if ((st.mode & 0o777) === mode) return { ...result, changed: false };
  }
  await mkdir(dirname(path), { recursive: true });
  const tmp = await freshTempBeside(path);
  try {
    const fh = await open(tmp, "wx", mode);
    try {
      await fh.writeFile(buf);
      await fh.chmod(mode); // umask must not change the declared mode
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { ...result, changed: true };
}

/**
 * Moves an already complete temporary file into place, unless `path` holds the same content
 * and mode (then the temporary file is removed and the existing file keeps its mtime). Files
 * are compared by streamed sha256, never read whole: executables are ~100 MB. Pass the
 * temporary file's sha256 when it is known already, and the existing file's when the caller
 * knows it (executable/cache.ts records what it wrote).
 */
export async function commitFile(tmp: string, path: string, tmpSha256?: string, existingSha256?: string): Promise<WriteResult> {
  const st = await stat(tmp);
  const result = { path, bytes: st.size, sha256: tmpSha256 ?? (await sha256File(tmp)) };
  const existing = await stat(path).catch(() => undefined);
  const unchanged =
    existing?.isFile() &&
    existing.size === st.size &&
    (existing.mode & 0o777) === (st.mode & 0o777) &&
    (existingSha256 ?? (await sha256File(path))) === result.sha256;
  if (unchanged) {
    await rm(tmp, { force: true });
    return { ...result, changed: false };
  }
  await mkdir(dirname(path), { recursive: true });
  await rename(tmp, path);
  return { ...result, changed: true };
}
