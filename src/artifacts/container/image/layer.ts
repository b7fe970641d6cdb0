// The one layer binship adds to the base: /app/ and the app file in it, as a gzip'd tar with
// fixed owners, modes and mtimes, so the same file always gives the same layer digest. Written
// to a file while two hashes are taken: the blob digest (compressed bytes) and the diff ID
// (uncompressed bytes, which the config's rootfs lists; image-spec config.md "Layer DiffID").

import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createGzip } from "node:zlib";
import { tarStream, type TarEntry } from "./tar.js";

export interface LayerFile {
  source: string; // the file to put in the layer
  path: string; // where it goes in the image, e.g. app/svc (relative to /)
  mode: number; // e.g. 0o755
}

export interface LayerOptions {
  files: LayerFile[];
  uid: number; // owner of the files (the directories stay root's, as COPY makes them)
  gid: number;
  mtime: number; // seconds since 1970 for every entry (SOURCE_DATE_EPOCH)
  outfile: string; // where the gzip'd tar is written
}

export interface BuiltLayer {
  path: string; // the gzip'd tar
  digest: string; // sha256 of the compressed bytes
  diffId: string; // sha256 of the uncompressed tar
  size: number; // compressed bytes
}

function hashing(hash: ReturnType<typeof createHash>, count?: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      if (count) count.bytes += chunk.length;
      done(null, chunk);
    },
  });
}

export async function buildLayer(o: LayerOptions): Promise<BuiltLayer> {
  const dirs = new Set<string>();
  for (const f of o.files) {
    const parts = f.path.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(`${parts.slice(0, i).join("/")}/`);
  }
  const list: TarEntry[] = [...dirs].sort().map((name) => ({ name, type: "directory", mode: 0o755, uid: 0, gid: 0, mtime: o.mtime, size: 0 }));
  for (const f of [...o.files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const { size } = await stat(f.source);
    list.push({ name: f.path, type: "file", mode: f.mode, uid: o.uid, gid: o.gid, mtime: o.mtime, size, data: () => createReadStream(f.source) });
  }
  const diff = createHash("sha256");
  const blob = createHash("sha256");
  const count = { bytes: 0 };
  // Level 6, zlib's default: level 9 is much slower for a few per cent on an executable. The gzip
  // header Node writes has no name and mtime 0, so it depends on nothing but the data.
  await pipeline(tarStream(list), hashing(diff), createGzip({ level: 6, strategy: constants.Z_DEFAULT_STRATEGY }), hashing(blob, count), createWriteStream(o.outfile));
  return { path: o.outfile, digest: `sha256:${blob.digest("hex")}`, diffId: `sha256:${diff.digest("hex")}`, size: count.bytes };
}
