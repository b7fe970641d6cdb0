// Content-addressed executables. An executable is a function of the bundle's bytes, the target
// Node binary's bytes (which covers the version, the arch and whether it was stripped), the SEA
// options and the binship and pkg versions; so the same key means the same file, and a build
// whose bundle did not change never runs pkg again. Entries are bounded in total size and the
// least recently used are swept after each store.
//
// Layout: <dir>/<key> (the executable) and <dir>/<key>.json (its manifest and ELF report),
// written last, so an entry cut short is never used. A new entry is a hard link to the file the
// build made (which becomes the output): storing costs no copy. Hits are copies (reflinks where
// the filesystem has them), never links, so an output edited in place changes no other output.
// Every entry's bytes are checked against its sha256 before they are used (util/cache-object.ts):
// a hit as it is copied out, a template before a new blob goes into it; a corrupt entry is
// removed and the executable built again. So that an unchanged rebuild does not copy and compare
// 100 MB, the cache also remembers, per output path, which key and sha256 it last wrote there and
// the file's size, mtime, ctime and inode then; when all still match, the output is current. That
// trusts the output, not the cache's bytes; the ctime is what makes it safe where the two are one
// file (a new entry is a hard link to its output): any write to the inode moves it, and unlike the
// mtime no one can put it back, so a byte changed in place sends the build through the checked copy.

import { createRequire } from "node:module";
import { constants } from "node:fs";
import { chmod, copyFile, link, mkdir, readdir, readFile, rename, rm, stat, utimes } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { BuildInfo } from "../inspect/build-info.js";
import type { ElfReport } from "../inspect/index.js";
import type { Diagnostic } from "../diagnostic.js";
import { readCached } from "../node-dist/cache.js";
import { binshipVersion } from "../paths.js";
import { sha256, tempPathBeside, writeFileAtomic } from "../util/atomic.js";
import { checkFile, corruptWarning, discardEntry, markVerified, openRecord, sealRecord, verifyEntry } from "../util/cache-object.js";

const instead = "building the executable again";
import { removeStaleTemps } from "../util/stale.js";

export interface ExecutableCacheOptions {
  dir: string; // where entries live (default <cacheDir>/executables)
  maxBytes: number; // total size kept; older entries are swept past it (default 1 GiB, ~10 executables)
}

export const defaultExecutableCacheBytes = 1 << 30;

/** Everything the executable's bytes depend on. */
export interface ExecutableKeyParts {
  bundleSha256: string; // the bundle injected as the SEA main script
  targetSha256: string; // the Node binary the blob goes into (stripped or not)
  nodeVersion: string;
  arch: string;
  stripped: boolean;
  sea: Record<string, unknown>; // the SEA options handed to the packager
  contents: unknown; // the bundle's packages, recorded in the build info appended to the executable
}

interface Entry {
  version: string; // Node version (readCached's manifest field)
  bytes: number;
  sha256: string;
  source: string; // the key, for a readable manifest
  mtimeMs?: number;
  report: Omit<ElfReport, "path">; // what inspect said when it was stored, so a hit needs no re-read
  buildInfo: BuildInfo; // the record appended to it
  target?: string; // sha256 of the Node binary the blob went into: entries of one target serve as templates (reinject.ts)
  packager?: string; // pkg's version: the layout a template has is pkg's (postject's)
}

function pkgVersion(): string {
  const require = createRequire(import.meta.url);
  return (require("@yao-pkg/pkg/package.json") as { version: string }).version;
}

export function executableKey(parts: ExecutableKeyParts): string {
  return sha256(JSON.stringify({ binship: binshipVersion(), pkg: pkgVersion(), ...parts }));
}

export interface CacheHit {
  path: string; // the cached file
  bytes: number; // its size and sha256 as stored, which its bytes must match before use
  sha256: string;
  report: Omit<ElfReport, "path">;
  buildInfo: BuildInfo;
}

/** The cached executable for `key`, when its manifest is there and the file has its size (its bytes are checked where they are used). */
export async function lookupExecutable(cache: ExecutableCacheOptions, key: string, warnings: Diagnostic[]): Promise<CacheHit | undefined> {
  const path = join(cache.dir, key);
  const hit = await readCached(path);
  if (!hit) return undefined;
  // The manifest's report decides the artifact's checks (arch, glibc needs): sealed, like the bytes.
  const entry = openRecord<Entry>(await readFile(`${path}.json`, "utf8").catch(() => ""));
  if (entry === "corrupt") {
    await discardEntry(`${path}.json`, path);
    warnings.push(corruptWarning("executable manifest", `${path}.json`, "sha256 mismatch", instead));
    return undefined;
  }
  if (entry === "unsealed" || entry.report.sha256 !== hit.sha256) return undefined; // written by an earlier binship
  // Recency for the sweep lives on the manifest: touching the executable would force a re-hash.
  const now = new Date();
  await utimes(`${path}.json`, now, now).catch(() => {});
  if (!entry.buildInfo) return undefined; // written by a binship without build info
  return { path, bytes: hit.bytes, sha256: hit.sha256, report: entry.report, buildInfo: entry.buildInfo };
}

/** Stores a finished executable (a hard link; a copy across filesystems; `file` stays where it is), then sweeps the cache down to its bound. */
export async function storeExecutable(cache: ExecutableCacheOptions, key: string, file: string, report: ElfReport, buildInfo: BuildInfo, target: string): Promise<void> {
  const path = join(cache.dir, key);
  await mkdir(cache.dir, { recursive: true });
  const tmp = tempPathBeside(path);
  try {
    await link(file, tmp).catch(() => copyFile(file, tmp, constants.COPYFILE_FICLONE));
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  const { path: _, ...rest } = report;
  const entry: Entry = { version: report.nodeVersion ?? "", bytes: report.bytes, sha256: report.sha256, source: key, mtimeMs: (await stat(path)).mtimeMs, report: rest, buildInfo, target, packager: pkgVersion() };
  await markVerified(path, report); // inspectFile hashed these bytes
  await writeFileAtomic(`${path}.json`, sealRecord(entry));
  await sweepExecutables(cache, key);
}

/**
 * An intact cached executable built into the same target binary by this pkg version, most
 * recently used first: its layout takes a new blob without running pkg (reinject.ts).
 */
export async function findTemplate(cache: ExecutableCacheOptions, target: string, warnings: Diagnostic[]): Promise<string | undefined> {
  const names = (await readdir(cache.dir).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{64}\.json$/.test(n));
  const candidates: { key: string; used: number }[] = [];
  for (const name of names) {
    const path = join(cache.dir, name);
    const entry = await readFile(path, "utf8")
      .then((t) => openRecord<Entry>(t))
      .catch(() => undefined);
    if (typeof entry !== "object" || entry.target !== target || entry.packager !== pkgVersion()) continue;
    candidates.push({ key: name.slice(0, -".json".length), used: (await stat(path).catch(() => ({ mtimeMs: 0 }))).mtimeMs });
  }
  for (const c of candidates.sort((a, b) => b.used - a.used)) {
    const path = join(cache.dir, c.key);
    // The template's bytes become the new executable's (all but the blob): checked in full.
    const entry = await readCached(path);
    if (entry && (await verifyEntry({ path, record: `${path}.json`, expected: entry, what: "executable", instead: "not using it as a template" }, warnings))) return path;
  }
  return undefined;
}

/** Removes least recently used entries until the total fits `maxBytes`; `keep` is never removed. Leftover temporary files go too. */
export async function sweepExecutables(cache: ExecutableCacheOptions, keep?: string): Promise<string[]> {
  await removeStaleTemps(cache.dir); // what builds that were killed were writing
  const names = await readdir(cache.dir).catch(() => [] as string[]);
  const entries: { key: string; bytes: number; used: number }[] = [];
  for (const name of names) {
    if (name.endsWith(".tmp")) continue; // being written by a live build
    if (!name.endsWith(".json")) continue;
    const key = name.slice(0, -".json".length);
    const [manifest, file] = await Promise.all([stat(join(cache.dir, name)).catch(() => undefined), stat(join(cache.dir, key)).catch(() => undefined)]);
    if (manifest && file) entries.push({ key, bytes: file.size, used: manifest.mtimeMs });
  }
  await sweepOutputRecords(cache);
  entries.sort((a, b) => b.used - a.used || (a.key < b.key ? -1 : 1)); // most recent first
  const removed: string[] = [];
  let total = 0;
  for (const e of entries) {
    total += e.bytes;
    if (total <= cache.maxBytes || e.key === keep) continue;
    await rm(join(cache.dir, `${e.key}.json`), { force: true }); // manifest first: a half-removed entry is a miss
    await rm(join(cache.dir, e.key), { force: true });
    total -= e.bytes;
    removed.push(e.key);
  }
  return removed;
}

/**
 * Puts the cached file at `tmp` (a reflink where the filesystem can, else a copy) and checks the
 * copy's bytes against the entry's sha256; the caller commits it. False when they differ: the
 * entry is removed, a warning added, and `tmp` must be built instead.
 */
export async function placeExecutable(hit: CacheHit, tmp: string, warnings: Diagnostic[]): Promise<boolean> {
  await mkdir(dirname(tmp), { recursive: true });
  await copyFile(hit.path, tmp, constants.COPYFILE_FICLONE);
  await chmod(tmp, 0o755); // the entry shares its mode with the output it was linked from, which a user may have changed
  const why = await checkFile(tmp, hit);
  if (!why) return true;
  await rm(tmp, { force: true });
  await discardEntry(`${hit.path}.json`, hit.path);
  warnings.push(corruptWarning("executable", hit.path, why, instead));
  return false;
}

interface OutputRecord {
  path?: string; // the output, so the sweep can drop records of outputs that are gone or replaced
  key: string;
  sha256?: string; // the file's, so a rebuild knows without hashing whether new bytes differ
  size: number;
  mtimeMs: number;
  ctimeMs?: number; // moved by any write or metadata change, and never set back: an edit that restored the mtime still shows
  ino: number;
}

const outputRecord = (cache: ExecutableCacheOptions, outfile: string) => join(cache.dir, "outputs", `${sha256(outfile)}.json`);

/** Drops records that can never match again: their output is gone or was replaced since (a record without its path: after 30 days). */
async function sweepOutputRecords(cache: ExecutableCacheOptions): Promise<void> {
  const dir = join(cache.dir, "outputs");
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const file = join(dir, name);
    const record = await readFile(file, "utf8")
      .then((t) => JSON.parse(t) as OutputRecord)
      .catch(() => undefined);
    let live: boolean;
    if (record?.path) {
      const st = await stat(record.path).catch(() => undefined);
      live = st !== undefined && describes(record, st);
    } else {
      live = Date.now() - ((await stat(file).catch(() => undefined))?.mtimeMs ?? 0) < 30 * 86_400_000;
    }
    if (!live) await rm(file, { force: true });
  }
}

/** The record was written for the file `st` describes: same size, mtime, ctime and inode (a record without a ctime describes nothing). */
const describes = (record: OutputRecord, st: { size: number; mtimeMs: number; ctimeMs: number; ino: number }) =>
  record.size === st.size && record.mtimeMs === st.mtimeMs && record.ctimeMs === st.ctimeMs && record.ino === st.ino;

/** The record of what this cache last wrote at `outfile`, when the file is still that one (same size, mtime, ctime and inode). */
async function currentRecord(cache: ExecutableCacheOptions, outfile: string): Promise<OutputRecord | undefined> {
  try {
    const [record, st] = await Promise.all([readFile(outputRecord(cache, outfile), "utf8").then((t) => JSON.parse(t) as OutputRecord), stat(outfile)]);
    return describes(record, st) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** True when `outfile` is still the file this cache wrote there for `key` (nothing has written to it since). */
export async function outputIsCurrent(cache: ExecutableCacheOptions, outfile: string, key: string): Promise<boolean> {
  return (await currentRecord(cache, outfile))?.key === key;
}

/** The sha256 of what is at `outfile`, when this cache wrote it and it is untouched since; else undefined (hash it). */
export async function outputSha256(cache: ExecutableCacheOptions, outfile: string): Promise<string | undefined> {
  return (await currentRecord(cache, outfile))?.sha256;
}

export async function recordOutput(cache: ExecutableCacheOptions, outfile: string, key: string, sha256: string): Promise<void> {
  const st = await stat(outfile);
  const record: OutputRecord = { path: outfile, key, sha256, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
  await mkdir(join(cache.dir, "outputs"), { recursive: true });
  await writeFileAtomic(outputRecord(cache, outfile), `${JSON.stringify(record)}\n`);
}
