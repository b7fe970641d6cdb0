// One streaming pass over the file: its sha256, the state of Node's SEA fuse and the Node
// version string. Memory stays at one chunk plus a small overlap, whatever the file size.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

// The fuse postject flips from ":0" to ":1" when it injects a blob; Node only looks for the
// NODE_SEA_BLOB resource when it reads ":1" (nodejs/node src/node_sea.cc).
const fuse = Buffer.from("NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:");
// Official builds carry process.release.sourceUrl, ".../download/release/v24.21.0/node-v24.21.0.tar.gz".
const release = Buffer.from("/download/release/v");
const overlap = 64;

export interface ScanResult {
  sha256: string;
  fuse?: "0" | "1"; // absent when the binary has no SEA fuse (not a Node binary)
  nodeVersion?: string; // "24.21.0"
}

function versionAt(buf: Buffer, at: number): string | undefined {
  const m = /^(\d+\.\d+\.\d+)\//.exec(buf.toString("latin1", at, Math.min(buf.length, at + 24)));
  return m?.[1];
}

/** The fuse state and the version in `buf`, filling what `result` still lacks. */
function search(buf: Buffer, result: ScanResult): void {
  if (result.fuse === undefined) {
    const at = buf.indexOf(fuse);
    if (at !== -1 && at + fuse.length < buf.length) result.fuse = buf[at + fuse.length] === 0x31 ? "1" : "0";
  }
  for (let at = buf.indexOf(release); at !== -1 && result.nodeVersion === undefined; at = buf.indexOf(release, at + 1)) {
    if (at + release.length + 24 > buf.length) break; // finish it with the next chunk
    result.nodeVersion = versionAt(buf, at + release.length);
  }
}

export async function scanFile(path: string): Promise<ScanResult> {
  const hash = createHash("sha256");
  const result: ScanResult = { sha256: "" };
  let tail = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    if (result.fuse !== undefined && result.nodeVersion !== undefined) continue;
    // A match across the chunk boundary is in the seam; one inside the chunk, in the chunk
    // (searched in place: copying 100 MB of chunks costs more than hashing them).
    search(Buffer.concat([tail, chunk.subarray(0, overlap)]), result);
    search(chunk, result);
    tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - overlap)));
  }
  result.sha256 = hash.digest("hex");
  return result;
}
