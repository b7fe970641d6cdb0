// Zips written byte by byte, with every field up to the test: the hostile-zip tests need sizes,
// CRCs, modes and offsets that no honest zip writer would produce (APPNOTE.TXT 4.3).

import { crc32, deflateRawSync } from "node:zlib";

export interface RawEntry {
  name: string;
  data?: Buffer; // the content (default empty)
  deflate?: boolean | Buffer; // true: deflate `data`; a Buffer: these bytes as the deflated data
  size?: number; // declared uncompressed size (default: data's length)
  crc?: number; // declared CRC-32 (default: data's)
  mode?: number; // st_mode in the external attributes (default 0o100644; 0o040755 for a name ending in /)
}

export interface RawZip {
  bytes: Buffer;
  centralStart: number; // byte offset of the central directory
  eocd: number; // byte offset of the end-of-central-directory record
}

export function rawZip(entries: RawEntry[]): RawZip {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    const stored = e.deflate === undefined || e.deflate === false ? data : e.deflate === true ? deflateRawSync(data) : e.deflate;
    const method = e.deflate ? 8 : 0;
    const name = Buffer.from(e.name, "utf8");
    const crc = e.crc ?? crc32(data);
    const size = e.size ?? data.length;
    const mode = e.mode ?? (e.name.endsWith("/") ? 0o040755 : 0o100644);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by unix: the external attributes hold st_mode
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(mode * 0x10000, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, stored);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return { bytes: Buffer.concat([...locals, cd, eocd]), centralStart: offset, eocd: offset + cd.length };
}
