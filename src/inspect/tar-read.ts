// Reading a layer's tar (POSIX ustar, as binship writes them, and the pax/GNU long names other
// tools add) from memory: the entries' names, types and data. For `inspect` of an image, which
// looks at the few files binship put in its own layers. The header rules are node-dist/tar.ts's.

import { longNameFrom, namesNext, parseHeader } from "../node-dist/tar.js";

export interface TarRead {
  name: string; // as stored, without a leading "./"
  type: "file" | "directory" | "other";
  data: Buffer; // a file's bytes (empty for the rest)
}

const block = 512;

/** Every entry of an uncompressed tar, in order; a truncated archive throws a RangeError (after the entries it holds). */
export function* readTar(tar: Buffer): Generator<TarRead> {
  let at = 0;
  let longName: string | undefined;
  while (at + block <= tar.length) {
    const h = tar.subarray(at, at + block);
    if (h.every((b) => b === 0)) return; // the end-of-archive blocks
    const header = parseHeader(h);
    const start = at + block;
    if (start + header.size > tar.length) throw new RangeError(`tar entry ${header.name} runs past the end of the layer`);
    const data = tar.subarray(start, start + header.size);
    at = start + Math.ceil(header.size / block) * block;
    if (namesNext(header.type)) {
      longName = longNameFrom(header.type, data, longName);
      continue;
    }
    const name = (longName ?? header.name).replace(/^\.\//, "");
    longName = undefined;
    const flag = header.type;
    const type = flag === "0" || flag === "\0" ? "file" : flag === "5" ? "directory" : "other";
    yield { name, type, data: type === "file" ? data : Buffer.alloc(0) };
  }
  // Every tar writer ends with zero blocks: without them the layer was cut short.
  throw new RangeError("the layer ends without the tar end-of-archive blocks (truncated)");
}
