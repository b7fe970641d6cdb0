// A ustar writer for the archives binship makes: image layers and the --tarball file. Every
// header field binship sets is fixed by the caller (owner, mode, mtime), names are plain ASCII
// under 100 bytes, so no pax or GNU extensions are needed and the bytes depend only on the input
// (POSIX.1-1988 ustar: 512-byte header, data padded to 512 bytes, two zero blocks at the end).

import { Readable } from "node:stream";

export interface TarEntry {
  name: string; // relative, "/"-separated; directories end with "/"
  type: "file" | "directory";
  mode: number; // permission bits
  uid: number;
  gid: number;
  mtime: number; // seconds since 1970
  size: number; // bytes of data (0 for directories)
  data?: () => AsyncIterable<Buffer> | Iterable<Buffer>; // the file's bytes, exactly `size` of them
}

const block = 512;

function octal(value: number, width: number): string {
  // width - 1 digits and a NUL, as GNU and BSD tar write them.
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

export function tarHeader(e: TarEntry): Buffer {
  if (Buffer.byteLength(e.name) > 100 || !/^[\x20-\x7e]+$/.test(e.name)) throw new Error(`tar: name not representable in ustar: ${e.name}`);
  if (e.size >= 8 ** 11) throw new Error(`tar: ${e.name} is too large for ustar (${e.size} bytes)`);
  const h = Buffer.alloc(block);
  h.write(e.name, 0, 100, "ascii");
  h.write(octal(e.mode, 8), 100, "ascii");
  h.write(octal(e.uid, 8), 108, "ascii");
  h.write(octal(e.gid, 8), 116, "ascii");
  h.write(octal(e.type === "file" ? e.size : 0, 12), 124, "ascii");
  h.write(octal(e.mtime, 12), 136, "ascii");
  h.write(" ".repeat(8), 148, "ascii"); // the checksum counts its own field as spaces
  h.write(e.type === "file" ? "0" : "5", 156, "ascii");
  h.write("ustar\0" + "00", 257, "ascii");
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  return h;
}

async function* entries(list: TarEntry[]): AsyncGenerator<Buffer> {
  for (const e of list) {
    yield tarHeader(e);
    if (e.type !== "file") continue;
    let written = 0;
    for await (const chunk of e.data?.() ?? []) {
      written += chunk.length;
      yield chunk;
    }
    if (written !== e.size) throw new Error(`tar: ${e.name} gave ${written} bytes, ${e.size} announced`);
    const pad = (block - (e.size % block)) % block;
    if (pad) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(block * 2);
}

/** The archive of `list`, in order, as a stream. */
export const tarStream = (list: TarEntry[]): Readable => Readable.from(entries(list), { objectMode: false });
