// Pulls one file out of a (gunzipped) tar stream without buffering the archive: 512-byte
// headers, data padded to 512 bytes, names from ustar's prefix+name, or from a preceding
// pax "path" record or GNU long-name entry (POSIX.1-2001 pax format, GNU tar manual).

export interface TarSink {
  write(chunk: Buffer): Promise<void>;
}

const block = 512;

function octal(buf: Buffer, at: number, length: number): number {
  if (buf[at]! & 0x80) {
    // base-256 (GNU) for sizes above 8 GiB: big-endian after the marker bit
    let n = buf[at]! & 0x7f;
    for (let i = 1; i < length; i++) n = n * 256 + buf[at + i]!;
    return n;
  }
  const text = buf.toString("latin1", at, at + length).replace(/\0.*$/s, "").trim();
  return text ? parseInt(text, 8) : 0;
}

function field(buf: Buffer, at: number, length: number): string {
  const end = buf.indexOf(0, at);
  return buf.toString("utf8", at, end === -1 || end > at + length ? at + length : end);
}

function paxPath(data: Buffer): string | undefined {
  // records: "<len> key=value\n"
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const len = parseInt(data.toString("latin1", at, space), 10);
    if (!len) break;
    const record = data.toString("utf8", space + 1, at + len - 1);
    if (record.startsWith("path=")) return record.slice(5);
    at += len;
  }
  return undefined;
}

/** An entry's header: its name (ustar prefix + name), type flag and data size. */
export function parseHeader(h: Buffer): { name: string; type: string; size: number } {
  const ustar = h.toString("latin1", 257, 262) === "ustar";
  const prefix = ustar ? field(h, 345, 155) : "";
  const name = field(h, 0, 100);
  return { name: prefix ? `${prefix}/${name}` : name, type: String.fromCharCode(h[156]!), size: octal(h, 124, 12) };
}

/** True for the pax ("x") and GNU long-name ("L") entries that name the entry after them. */
export const namesNext = (type: string): boolean => type === "x" || type === "L";

/** The name a pax or GNU long-name entry's data gives the next entry (`previous` when it gives none). */
export const longNameFrom = (type: string, data: Buffer, previous?: string): string | undefined =>
  type === "x" ? (paxPath(data) ?? previous) : field(data, 0, data.length);

/**
 * Streams the entry named `wanted` into `sink`; returns its size, or undefined when absent.
 * Reads the stream to its end, so whoever feeds it is never left waiting.
 */
export async function extractEntry(stream: AsyncIterable<Buffer>, wanted: string, sink: TarSink): Promise<number | undefined> {
  let pending: Buffer = Buffer.alloc(0);
  let header: { name: string; type: string; size: number } | undefined;
  let remaining = 0; // data bytes of the current entry still to come
  let skip = 0; // padding after the data
  let longName: string | undefined;
  let meta: Buffer[] | undefined; // collecting a pax or GNU long-name entry
  let found: number | undefined;

  for await (const chunk of stream) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      if (skip > 0) {
        const n = Math.min(skip, pending.length);
        pending = pending.subarray(n);
        skip -= n;
        if (skip > 0) break;
      }
      if (header) {
        const n = Math.min(remaining, pending.length);
        const part = pending.subarray(0, n);
        if (meta) meta.push(Buffer.from(part));
        else if (header.name === wanted && (header.type === "0" || header.type === "\0")) await sink.write(part);
        pending = pending.subarray(n);
        remaining -= n;
        if (remaining > 0) break;
        if (meta) {
          longName = longNameFrom(header.type, Buffer.concat(meta), longName);
          meta = undefined;
        } else if (header.name === wanted) {
          found = header.size;
        }
        skip = (block - (header.size % block)) % block;
        header = undefined;
        continue;
      }
      if (pending.length < block) break;
      const h = pending.subarray(0, block);
      pending = pending.subarray(block);
      if (h.every((b) => b === 0)) continue; // end-of-archive blocks
      header = parseHeader(h);
      if (longName !== undefined && !namesNext(header.type)) {
        header.name = longName;
        longName = undefined;
      }
      remaining = header.size;
      if (namesNext(header.type)) meta = [];
    }
  }
  return found;
}
