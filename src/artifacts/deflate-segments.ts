// Deflate that can be reused across packs. The data is cut into fixed-size segments; each is
// compressed on its own (a fresh window) and ended with a full flush, which closes its blocks
// and aligns to a byte, so the segments' outputs concatenate into one valid raw deflate stream
// once a final empty block follows (RFC 1951, 3.2.3: a fixed-Huffman block holding only
// end-of-block, BFINAL=1, is the two bytes 03 00). A segment's output depends only on its bytes,
// the level and the zlib version, so it is cached under their sha256: between two packs of an
// executable only the segments around the injected blob and the headers differ, and only those
// are compressed again. New segments go through zlib's async calls, which run on the libuv
// threadpool, so both cores work. Cutting the window every MiB costs ~0.2% in size (BENCHMARKS.md).
// A file is read a segment at a time, in order (the CRC-32 runs over it as it is read): the
// executable is never held whole, and allocating 100 MB at once costs more than deflating it anew.
// Keys are BLAKE2b: collision-resistant like SHA-256, and about twice as fast here, which
// matters when every pack hashes 100 MB to find the segments it already has.
// A cached segment is its deflate output followed by that output's sha256 (32 bytes), checked
// before the segment goes into a zip (util/cache-object.ts): a segment changed on disk would
// otherwise become a zip whose CRC does not match its data. A mismatch is a miss.

import { createHash } from "node:crypto";
import { mkdir, open, readdir, readFile, rm, stat, utimes, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { constants, crc32, deflateRaw } from "node:zlib";
import { tempPathBeside } from "../util/atomic.js";
import { checkBytes } from "../util/cache-object.js";
import { removeStaleTemps } from "../util/stale.js";
import { writeFile, rename } from "node:fs/promises";

export const segmentBytes = 1 << 20;
const finalBlock = Buffer.from([0x03, 0x00]);
const deflate = promisify(deflateRaw);

export interface SegmentCache {
  dir: string; // <cacheDir>/zip-segments
  maxBytes: number; // total kept; least recently used segments are swept past it
}

export const defaultSegmentCacheBytes = 512 << 20;

export interface DeflateStats {
  segments: number;
  reused: number; // served from the cache
  corrupt: string[]; // cached segments whose bytes did not match their sha256: removed and compressed again
}

export interface Deflated {
  data: Buffer[]; // the raw deflate stream, in pieces
  compressedBytes: number;
  crc32: number;
  stats: DeflateStats;
}

const digestBytes = 32; // the sha256 after the deflate output
const format = 2; // 2: with the trailing sha256 (a segment of format 1 is never found, only swept)

function segmentKey(segment: Buffer, level: number): string {
  return createHash("blake2b512").update(`${format}\0${process.versions.zlib}\0${level}\0`).update(segment).digest("hex").slice(0, 64);
}

async function compressSegment(segment: Buffer, level: number, cache: SegmentCache | undefined, stats: DeflateStats): Promise<Buffer> {
  const key = cache ? segmentKey(segment, level) : "";
  const file = cache ? join(cache.dir, key.slice(0, 2), key) : "";
  if (cache) {
    const hit = await readFile(file).catch(() => undefined);
    const data = hit && hit.length >= digestBytes ? hit.subarray(0, hit.length - digestBytes) : undefined;
    if (hit && data && !checkBytes(data, { bytes: data.length, sha256: hit.subarray(data.length).toString("hex") })) {
      stats.reused++;
      const now = new Date();
      await utimes(file, now, now).catch(() => {}); // recency, for the sweep
      return data;
    }
    if (hit) {
      stats.corrupt.push(file);
      await rm(file, { force: true });
    }
  }
  const out = await deflate(segment, { level, finishFlush: constants.Z_FULL_FLUSH });
  if (cache) {
    // A segment that cannot be cached costs the next pack time, never this one its result.
    await mkdir(join(cache.dir, key.slice(0, 2)), { recursive: true })
      .then(async () => {
        const tmp = tempPathBeside(file);
        await writeFile(tmp, Buffer.concat([out, createHash("sha256").update(out).digest()]));
        await rename(tmp, file);
      })
      .catch(() => {});
  }
  return out;
}

async function readSegment(fh: FileHandle, index: number, size: number): Promise<Buffer> {
  const length = Math.min(segmentBytes, size - index * segmentBytes);
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, index * segmentBytes + done);
    if (bytesRead === 0) throw new Error("the file shrank while it was being zipped");
    done += bytesRead;
  }
  return buf;
}

/**
 * Raw deflate of `source` (a file, or bytes) in segments, up to `parallel` compressing at once;
 * the same data and level give the same bytes whatever the cache holds.
 */
export async function deflateSegmented(source: Buffer | string, level: number, cache?: SegmentCache, parallel = 4): Promise<Deflated & { bytes: number }> {
  const fh = typeof source === "string" ? await open(source, "r") : undefined;
  try {
    const size = fh ? (await fh.stat()).size : (source as Buffer).length;
    const count = Math.max(1, Math.ceil(size / segmentBytes));
    const outputs: Buffer[] = new Array(count);
    const stats: DeflateStats = { segments: count, reused: 0, corrupt: [] };
    const running = new Set<Promise<void>>();
    let failure: unknown;
    let crc = 0;
    for (let i = 0; i < count && failure === undefined; i++) {
      const segment = fh ? await readSegment(fh, i, size) : (source as Buffer).subarray(i * segmentBytes, (i + 1) * segmentBytes);
      crc = crc32(segment, crc);
      const job: Promise<void> = compressSegment(segment, level, cache, stats).then(
        (out) => void (outputs[i] = out),
        (err: unknown) => void (failure ??= err),
      );
      running.add(job);
      void job.finally(() => running.delete(job));
      if (running.size >= parallel) await Promise.race(running);
    }
    await Promise.all(running);
    if (failure !== undefined) throw failure;
    const pieces = [...outputs, finalBlock];
    return { data: pieces, compressedBytes: pieces.reduce((n, b) => n + b.length, 0), crc32: crc, stats, bytes: size };
  } finally {
    await fh?.close();
  }
}

/** Removes the least recently used segments until the total fits `maxBytes`. */
export async function sweepSegments(cache: SegmentCache): Promise<number> {
  const files: { path: string; bytes: number; used: number }[] = [];
  for (const sub of await readdir(cache.dir).catch(() => [] as string[])) {
    await removeStaleTemps(join(cache.dir, sub)); // segments a killed pack was writing
    for (const name of await readdir(join(cache.dir, sub)).catch(() => [] as string[])) {
      if (name.endsWith(".tmp")) continue; // being written by a live pack
      const path = join(cache.dir, sub, name);
      const st = await stat(path).catch(() => undefined);
      if (st?.isFile()) files.push({ path, bytes: st.size, used: st.mtimeMs });
    }
  }
  files.sort((a, b) => b.used - a.used || (a.path < b.path ? -1 : 1));
  let total = 0;
  let removed = 0;
  for (const f of files) {
    total += f.bytes;
    if (total <= cache.maxBytes) continue;
    await rm(f.path, { force: true });
    removed++;
  }
  return removed;
}
