// The one integrity rule for everything binship keeps in its cache (Node binaries, stripped
// copies, executables, deflate segments, image layers): an object is stored with its size and
// sha256, and its bytes are checked against them before they go into anything binship writes.
// A cheap check (the size, from a stat) decides whether an entry exists; the full check (the
// sha256 of every byte) runs where the bytes are used, once per process and file. A mismatch is
// a miss: the entry is removed, the caller makes or fetches the object again, and the command
// prints one warning. Costs are in BENCHMARKS.md ("Verifying the cache"): sha256 reads about
// 1.5 GB/s here, ~85 ms for a 120 MB Node binary.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { diagnostic, type Diagnostic } from "../diagnostic.js";

export interface ObjectDigest {
  bytes: number;
  sha256: string; // hex
}

/** Size and sha256 of a file, streamed (executables are ~100 MB). */
export async function digestFile(path: string): Promise<ObjectDigest> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest("hex") };
}

// Files whose bytes this process has hashed and found intact, by what a write would change.
const verified = new Set<string>();
// The ctime too: any write moves it, and no one can set it back as `touch -d` does the mtime.
const identity = (path: string, st: { size: number; mtimeMs: number; ctimeMs: number; ino: number; dev: number }, sha256: string) =>
  `${path}\0${st.dev}:${st.ino}\0${st.size}\0${st.mtimeMs}\0${st.ctimeMs}\0${sha256}`;

/** Records that `path` was just written with `expected` (its bytes were hashed on the way in): no need to read it again. */
export async function markVerified(path: string, expected: ObjectDigest): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (st?.size === expected.bytes) verified.add(identity(path, st, expected.sha256));
}

/** Why a cached object is not what its record says; undefined when it is intact. */
export type Mismatch = "missing" | "size mismatch" | "sha256 mismatch";

/** The full check: size, then every byte's sha256. */
export async function checkFile(path: string, expected: ObjectDigest): Promise<Mismatch | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) return "missing";
  if (st.size !== expected.bytes) return "size mismatch";
  const key = identity(path, st, expected.sha256);
  if (verified.has(key)) return undefined;
  const actual = await digestFile(path).catch(() => undefined);
  if (!actual) return "missing";
  if (actual.bytes !== expected.bytes) return "size mismatch";
  if (actual.sha256 !== expected.sha256) return "sha256 mismatch";
  verified.add(key);
  return undefined;
}

/** The full check on bytes held in memory. */
export function checkBytes(data: Uint8Array, expected: ObjectDigest): Mismatch | undefined {
  if (data.length !== expected.bytes) return "size mismatch";
  return createHash("sha256").update(data).digest("hex") === expected.sha256 ? undefined : "sha256 mismatch";
}

/** The one-line warning for a corrupt entry: what it was, where, why, and what happens instead. */
export function corruptWarning(what: string, path: string, why: Mismatch, instead: string): Diagnostic {
  return diagnostic(`cached ${what} ${path} is corrupt (${why}); ${instead}`);
}

/** Removes a corrupt entry, its record first (an entry without one is a miss, never a hit). */
export async function discardEntry(record: string | undefined, ...files: string[]): Promise<void> {
  if (record) await rm(record, { force: true });
  for (const f of files) await rm(f, { force: true });
}

/**
 * Checks a cache entry in full before its bytes are used. Intact: true. Otherwise the entry is
 * removed (`record`, then the file), the warning goes into `warnings`, and the answer is false:
 * the caller treats it as a miss.
 */
export async function verifyEntry(entry: { path: string; record?: string; expected: ObjectDigest; what: string; instead: string }, warnings: Diagnostic[]): Promise<boolean> {
  const why = await checkFile(entry.path, entry.expected);
  if (!why) return true;
  await discardEntry(entry.record, entry.path);
  if (why !== "missing") warnings.push(corruptWarning(entry.what, entry.path, why, entry.instead));
  return false;
}

/** verifyEntry when the caller has just hashed the file itself (e.g. while inspecting it): compares instead of reading it again. */
export async function verifyDigest(entry: { path: string; record?: string; expected: ObjectDigest; what: string; instead: string }, actual: ObjectDigest, warnings: Diagnostic[]): Promise<boolean> {
  const why: Mismatch | undefined = actual.bytes !== entry.expected.bytes ? "size mismatch" : actual.sha256 !== entry.expected.sha256 ? "sha256 mismatch" : undefined;
  if (!why) return true;
  await discardEntry(entry.record, entry.path);
  warnings.push(corruptWarning(entry.what, entry.path, why, entry.instead));
  return false;
}

/**
 * Thrown where an input found corrupt was already half used (a Node binary about to go into
 * pkg): the entry is gone and warned about, and the stage starts again from provisioning, which
 * now misses and fetches or makes it anew. Never reaches the user: a stage retries once.
 */
export class CorruptEntry extends Error {
  constructor(readonly path: string) {
    super(`cache entry ${path} was corrupt and has been removed`);
  }
}

/** verifyEntry for inputs that cannot simply be skipped: throws CorruptEntry instead of answering false. */
export async function requireIntact(entry: Parameters<typeof verifyEntry>[0], warnings: Diagnostic[]): Promise<void> {
  if (!(await verifyEntry(entry, warnings))) throw new CorruptEntry(entry.path);
}

/** Runs `attempt`; when it meets a corrupt entry (removed by then), once more. */
export async function retryOnCorrupt<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    if (!(err instanceof CorruptEntry)) throw err;
    return attempt();
  }
}

/** A record (a manifest) as JSON text carrying the sha256 of its own content, `seal`. */
export function sealRecord(record: object): string {
  return `${JSON.stringify({ ...record, seal: createHash("sha256").update(JSON.stringify(record)).digest("hex") }, null, 2)}\n`;
}

/** The record in `text` when its seal matches; "corrupt" when it does not (or the text is no JSON object); "unsealed" for a record without one. */
export function openRecord<T extends object>(text: string): T | "corrupt" | "unsealed" {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "corrupt";
  }
  if (typeof parsed !== "object" || parsed === null) return "corrupt";
  const { seal, ...rest } = parsed as { seal?: unknown };
  if (seal === undefined) return "unsealed";
  return seal === createHash("sha256").update(JSON.stringify(rest)).digest("hex") ? (rest as T) : "corrupt";
}
