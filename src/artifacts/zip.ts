// Deterministic zip archives: the same entries give the same bytes, whatever the machine, its
// time zone or the files' mtimes, so Terraform's source_code_hash and CDK asset hashes only
// change when the content does. archiver (zip-stream) writes no extra fields unless asked:
// no extended-timestamp or unix uid/gid fields here, only the DOS time and the unix mode.

import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { dirname, posix } from "node:path";
import { finished } from "node:stream/promises";
import { BinshipError } from "../errors.js";
import { commitFile, freshTempBeside, type WriteResult } from "../util/atomic.js";
import { diskFullError, diskFullFailure } from "../util/disk-full.js";

/** One file in the archive. Directories are added for every parent automatically. */
export interface ZipEntry {
  name: string; // path inside the archive, "/"-separated, no leading "/"
  source: string | Buffer; // a file on disk (read at write time) or the bytes themselves
  mode: number; // unix permission bits, e.g. 0o755 for executables, 0o644 otherwise
}

export interface ZipOptions {
  outfile: string; // absolute path of the zip to write (atomically; unchanged bytes keep the old file)
  entries: ZipEntry[]; // the files; order does not matter, they are sorted by name
  mtime: Date; // the time stored for every entry (UTC; DOS time starts 1980-01-01)
  level: number; // deflate level 0-9 (9: smallest)
  onTemp?: (path: string | undefined) => void; // told the temporary file while it exists, for cleanup on interrupt
}

export interface ZipResult extends WriteResult {
  unzippedBytes: number; // sum of the entries' sizes
  entries: { name: string; bytes: number; mode: number; zippedBytes?: number }[]; // zippedBytes: the entry's compressed size, where the writer tells it
}

/** DOS time has no zone and no year before 1980: times are stored as UTC, clamped to 1980-01-01. */
export const zipEpoch = new Date(Date.UTC(1980, 0, 1, 0, 0, 0));

/** The time every entry gets: SOURCE_DATE_EPOCH (seconds) when given, else the 1980 epoch. */
export function zipTime(sourceDateEpoch: string | undefined): Date {
  if (sourceDateEpoch === undefined || sourceDateEpoch === "") return zipEpoch;
  if (!/^\d+$/.test(sourceDateEpoch)) {
    throw new BinshipError("CONFIG_INVALID", `SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, got "${sourceDateEpoch}"`, {
      hint: "Set it to e.g. $(git log -1 --format=%ct), or unset it.",
    });
  }
  const date = new Date(Number(sourceDateEpoch) * 1000);
  return date < zipEpoch ? zipEpoch : date;
}

export function checkName(name: string): void {
  const clean = posix.normalize(name);
  if (name === "" || name.startsWith("/") || clean !== name || clean.startsWith("..") || name.endsWith("/")) {
    throw new BinshipError("IO_FAILED", `bad zip entry name "${name}" (a bug in binship)`);
  }
}

function parentDirs(names: string[]): string[] {
  const dirs = new Set<string>();
  for (const name of names) {
    for (let dir = posix.dirname(name); dir !== "."; dir = posix.dirname(dir)) dirs.add(dir);
  }
  return [...dirs];
}

async function sizeOf(source: string | Buffer): Promise<number> {
  return typeof source === "string" ? (await stat(source)).size : source.length;
}

/** Writes the archive next to the target, then moves it into place (or drops it when unchanged). */
export async function writeZip(options: ZipOptions): Promise<ZipResult> {
  const entries = [...options.entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) checkName(e.name);
  const dupe = entries.find((e, i) => i > 0 && entries[i - 1]!.name === e.name);
  if (dupe) throw new BinshipError("IO_FAILED", `zip entry "${dupe.name}" is listed twice (a bug in binship)`);

  const listed = await Promise.all(entries.map(async (e) => ({ name: e.name, bytes: await sizeOf(e.source), mode: e.mode & 0o7777 }))).catch((err: Error) => {
    throw new BinshipError("IO_FAILED", `cannot read a file for ${options.outfile}: ${err.message}`, { cause: err });
  });
  await mkdir(dirname(options.outfile), { recursive: true });
  const tmp = await freshTempBeside(options.outfile);
  options.onTemp?.(tmp);
  try {
    // Loaded here, not at the top: archiver costs ~0.3 s to load, which every command would pay.
    const { ZipArchive } = await import("archiver");
    const archive = new ZipArchive({ zlib: { level: options.level }, forceLocalTime: false });
    const out = createWriteStream(tmp, { mode: 0o644 });
    const failed = new Promise<never>((_, reject) => {
      archive.on("error", reject);
      archive.on("warning", reject); // a missing file is a failure, never a smaller zip
      out.on("error", reject);
    });
    archive.pipe(out);
    // Directories first within each level is not required by unzip; one sorted list is simpler.
    const items = [
      ...parentDirs(entries.map((e) => e.name)).map((name) => ({ name, dir: true as const })),
      ...entries.map((e) => ({ name: e.name, dir: false as const, entry: e })),
    ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const item of items) {
      if (item.dir) {
        archive.append(Buffer.alloc(0), { name: `${item.name}/`, type: "directory", date: options.mtime, mode: 0o755 });
      } else {
        const { source, mode } = item.entry;
        const body = typeof source === "string" ? createReadStream(source) : source;
        archive.append(body, { name: item.name, date: options.mtime, mode: mode & 0o7777 });
      }
    }
    await Promise.race([archive.finalize().then(() => finished(out)), failed]);
    const written = await commitFile(tmp, options.outfile);
    options.onTemp?.(undefined);
    return { ...written, unzippedBytes: listed.reduce((n, e) => n + e.bytes, 0), entries: listed };
  } catch (err) {
    await rm(tmp, { force: true });
    options.onTemp?.(undefined);
    if (err instanceof BinshipError) throw err;
    if (diskFullError(err)) throw diskFullFailure(options.outfile, err); // fd writes name no path
    throw new BinshipError("IO_FAILED", `writing ${options.outfile} failed: ${(err as Error).message}`, { cause: err });
  }
}
