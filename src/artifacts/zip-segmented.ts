// A deterministic zip writer whose deflate is reusable across packs (deflate-segments.ts): for
// Lambda zips, where a ~100 MB executable is nearly the same from one pack to the next. It
// writes the same kind of archive as zip.ts (sorted entries, parent directories, DOS time in UTC,
// unix modes, no extra fields) with the sizes and CRC-32 in the local headers, so no data
// descriptors: APPNOTE.TXT 4.3.7 (local header), 4.3.12 (central directory), 4.3.16 (end record).
// Only for archives under 4 GiB with fewer than 65535 entries (no zip64): Lambda allows 250 MB.

import { open, rm, mkdir } from "node:fs/promises";
import { dirname, posix } from "node:path";
import { BinshipError } from "../errors.js";
import { commitFile, freshTempBeside } from "../util/atomic.js";
import { deflateSegmented, sweepSegments, type DeflateStats, type SegmentCache } from "./deflate-segments.js";
import { checkName, type ZipEntry, type ZipOptions, type ZipResult } from "./zip.js";
import { diskFullError, diskFullFailure } from "../util/disk-full.js";

export interface SegmentedZipOptions extends ZipOptions {
  cache?: SegmentCache; // compressed segments kept between packs; absent: compress everything
}

export interface SegmentedZipResult extends ZipResult {
  deflate: DeflateStats; // segments compressed vs reused, over all entries
}

const unixMadeBy = (3 << 8) | 20; // "made by" UNIX, spec 2.0: external attributes hold the mode
const s_ifreg = 0o100000;
const s_ifdir = 0o040000;

function dosDateTime(d: Date): { time: number; date: number } {
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2);
  const date = ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  return { time, date };
}

interface Record {
  name: Buffer;
  method: 0 | 8;
  crc: number;
  compressed: number;
  size: number;
  external: number;
  offset: number;
}

/** Method, time, date, CRC, sizes and name length: the same run of fields in both headers, at `at`. */
function writeEntryFields(h: Buffer, at: number, r: Record, when: { time: number; date: number }): void {
  h.writeUInt16LE(r.method, at);
  h.writeUInt16LE(when.time, at + 2);
  h.writeUInt16LE(when.date, at + 4);
  h.writeUInt32LE(r.crc, at + 6);
  h.writeUInt32LE(r.compressed, at + 10);
  h.writeUInt32LE(r.size, at + 14);
  h.writeUInt16LE(r.name.length, at + 18);
}

function localHeader(r: Record, when: { time: number; date: number }): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4); // version needed: deflate
  h.writeUInt16LE(0, 6); // flags: sizes are in this header
  writeEntryFields(h, 8, r, when);
  h.writeUInt16LE(0, 28); // no extra fields
  return Buffer.concat([h, r.name]);
}

function centralHeader(r: Record, when: { time: number; date: number }): Buffer {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(unixMadeBy, 4);
  h.writeUInt16LE(20, 6);
  h.writeUInt16LE(0, 8);
  writeEntryFields(h, 10, r, when);
  // extra 30, comment 32, disk 34, internal attributes 36: all zero
  h.writeUInt32LE(r.external >>> 0, 38);
  h.writeUInt32LE(r.offset, 42);
  return Buffer.concat([h, r.name]);
}

function endRecord(count: number, size: number, offset: number): Buffer {
  const h = Buffer.alloc(22);
  h.writeUInt32LE(0x06054b50, 0);
  h.writeUInt16LE(count, 8);
  h.writeUInt16LE(count, 10);
  h.writeUInt32LE(size, 12);
  h.writeUInt32LE(offset, 16);
  return h;
}

function sortedItems(entries: ZipEntry[]): ({ name: string; dir: true } | { name: string; dir: false; entry: ZipEntry })[] {
  const dirs = new Set<string>();
  for (const e of entries) for (let d = posix.dirname(e.name); d !== "."; d = posix.dirname(d)) dirs.add(d);
  const items = [...[...dirs].map((name) => ({ name, dir: true as const })), ...entries.map((entry) => ({ name: entry.name, dir: false as const, entry }))];
  return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Writes the archive next to the target, then moves it into place (or drops it when unchanged). */
export async function writeSegmentedZip(options: SegmentedZipOptions): Promise<SegmentedZipResult> {
  for (const e of options.entries) checkName(e.name);
  const names = options.entries.map((e) => e.name).sort();
  const dupe = names.find((n, i) => i > 0 && names[i - 1] === n);
  if (dupe) throw new BinshipError("IO_FAILED", `zip entry "${dupe}" is listed twice (a bug in binship)`);
  const when = dosDateTime(options.mtime);
  await mkdir(dirname(options.outfile), { recursive: true });
  const tmp = await freshTempBeside(options.outfile);
  options.onTemp?.(tmp);
  const stats: DeflateStats = { segments: 0, reused: 0, corrupt: [] };
  const listed: ZipResult["entries"] = [];
  try {
    const fh = await open(tmp, "w", 0o644);
    const records: Record[] = [];
    let offset = 0;
    try {
      const write = async (bufs: Buffer[]) => {
        for (const b of bufs) {
          await fh.write(b);
          offset += b.length;
        }
      };
      for (const item of sortedItems(options.entries)) {
        if (item.dir) {
          const r: Record = { name: Buffer.from(`${item.name}/`), method: 0, crc: 0, compressed: 0, size: 0, external: ((s_ifdir | 0o755) << 16) | 0x10, offset };
          records.push(r);
          await write([localHeader(r, when)]);
          continue;
        }
        const { source, mode } = item.entry;
        const deflated = await deflateSegmented(source, options.level, options.cache);
        stats.segments += deflated.stats.segments;
        stats.reused += deflated.stats.reused;
        stats.corrupt.push(...deflated.stats.corrupt);
        const r: Record = { name: Buffer.from(item.name), method: 8, crc: deflated.crc32, compressed: deflated.compressedBytes, size: deflated.bytes, external: (s_ifreg | (mode & 0o7777)) << 16, offset };
        records.push(r);
        listed.push({ name: item.name, bytes: deflated.bytes, mode: mode & 0o7777, zippedBytes: deflated.compressedBytes });
        await write([localHeader(r, when), ...deflated.data]);
      }
      const central = Buffer.concat(records.map((r) => centralHeader(r, when)));
      const start = offset;
      await write([central, endRecord(records.length, central.length, start)]);
      if (offset > 0xffffffff) throw new Error("the archive is over 4 GiB (zip64 is not written)");
    } finally {
      await fh.close();
    }
    const written = await commitFile(tmp, options.outfile);
    options.onTemp?.(undefined);
    if (options.cache) await sweepSegments(options.cache).catch(() => 0);
    return { ...written, unzippedBytes: listed.reduce((n, e) => n + e.bytes, 0), entries: listed, deflate: stats };
  } catch (err) {
    await rm(tmp, { force: true });
    options.onTemp?.(undefined);
    if (err instanceof BinshipError) throw err;
    if (diskFullError(err)) throw diskFullFailure(options.outfile, err); // fd writes name no path
    throw new BinshipError("IO_FAILED", `writing ${options.outfile} failed: ${(err as Error).message}`, { cause: err });
  }
}
