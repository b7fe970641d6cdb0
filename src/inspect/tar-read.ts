// Reading a layer's tar (POSIX ustar, as binship writes them, and the pax/GNU long names other
// tools add) from memory: the entries' names, types and data. For `inspect` of an image, which
// looks at the few files binship put in its own layers.

export interface TarRead {
  name: string; // as stored, without a leading "./"
  type: "file" | "directory" | "other";
  data: Buffer; // a file's bytes (empty for the rest)
}

const block = 512;

const field = (h: Buffer, at: number, len: number) => {
  const raw = h.subarray(at, at + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? len : end).toString("utf8");
};
const octal = (h: Buffer, at: number, len: number) => parseInt(field(h, at, len).trim() || "0", 8);

/** A pax extended header's `path` record ("<len> path=<value>\n"), if it has one. */
function paxPath(data: Buffer): string | undefined {
  for (const rec of data.toString("utf8").split("\n")) {
    const m = /^\d+ path=(.*)$/.exec(rec);
    if (m) return m[1];
  }
  return undefined;
}

/** Every entry of an uncompressed tar, in order; a truncated archive throws a RangeError (after the entries it holds). */
export function* readTar(tar: Buffer): Generator<TarRead> {
  let at = 0;
  let longName: string | undefined;
  while (at + block <= tar.length) {
    const h = tar.subarray(at, at + block);
    if (h.every((b) => b === 0)) return; // the end-of-archive blocks
    const size = octal(h, 124, 12);
    const flag = String.fromCharCode(h[156]!);
    const start = at + block;
    if (start + size > tar.length) throw new RangeError(`tar entry ${field(h, 0, 100)} runs past the end of the layer`);
    const data = tar.subarray(start, start + size);
    at = start + Math.ceil(size / block) * block;
    if (flag === "x" || flag === "L") {
      longName = flag === "x" ? paxPath(data) : field(data, 0, data.length);
      continue;
    }
    const prefix = field(h, 345, 155);
    const name = (longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100))).replace(/^\.\//, "");
    longName = undefined;
    const type = flag === "0" || flag === "\0" ? "file" : flag === "5" ? "directory" : "other";
    yield { name, type, data: type === "file" ? data : Buffer.alloc(0) };
  }
  // Every tar writer ends with zero blocks: without them the layer was cut short.
  throw new RangeError("the layer ends without the tar end-of-archive blocks (truncated)");
}
