// Reads a zip the way Lambda unpacks a deployment package: every entry with its unix mode, so
// `binship invoke` can run a zip from a temporary task root with no unzip tool on the machine.
// Stored and deflated entries (APPNOTE.TXT 4.3); no ZIP64, which Lambda's 250 MB limit never needs.

import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, resolve, sep } from "node:path";
import { inflateRawSync } from "node:zlib";
import { BinshipError } from "../errors.js";

export interface ZipListing {
  name: string;
  mode: number; // unix permission bits (0 when the archive has none)
  directory: boolean;
  bytes: number; // uncompressed size
  compressedBytes: number; // size inside the archive
  data: () => Buffer; // the uncompressed content
}

const eocdSignature = 0x06054b50;
const centralSignature = 0x02014b50;
const localSignature = 0x04034b50;

function bad(path: string, why: string): BinshipError {
  return new BinshipError("USAGE", `${path} is not a readable zip: ${why}`, { hint: "Pass a zip made by binship pack lambda." });
}

export function readZip(buf: Buffer, path = "zip"): ZipListing[] {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65_535); i--) {
    if (buf.readUInt32LE(i) === eocdSignature) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad(path, "no end-of-central-directory record");
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || at === 0xffffffff) throw bad(path, "ZIP64 archives are not supported");
  const out: ZipListing[] = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(at) !== centralSignature) throw bad(path, `damaged central directory at byte ${at}`);
    const madeBy = buf.readUInt16LE(at + 4) >> 8; // 3 = unix: the high 16 bits of the external attributes are st_mode
    const method = buf.readUInt16LE(at + 10);
    const compressed = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const external = buf.readUInt32LE(at + 38);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString("utf8", at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (buf.readUInt32LE(local) !== localSignature) throw bad(path, `damaged local header for ${name}`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + compressed);
    if (method !== 0 && method !== 8) throw bad(path, `${name} uses compression method ${method}`);
    out.push({
      name,
      mode: madeBy === 3 ? (external >>> 16) & 0o7777 : 0,
      directory: name.endsWith("/"),
      bytes: size,
      compressedBytes: compressed,
      data: () => (method === 0 ? Buffer.from(raw) : inflateRawSync(raw)),
    });
  }
  return out;
}

/** Unpacks `zipPath` into the existing directory `dir`, keeping modes; refuses paths that leave it. */
export async function extractZip(zipPath: string, dir: string): Promise<ZipListing[]> {
  const entries = readZip(await readFile(zipPath), zipPath);
  const root = resolve(dir);
  for (const entry of entries) {
    const target = resolve(root, entry.name);
    if (target !== root && !target.startsWith(root + sep)) throw bad(zipPath, `entry ${entry.name} points outside the archive`);
    if (entry.directory) {
      await mkdir(target, { recursive: true });
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, entry.data());
    await chmod(target, entry.mode || 0o644);
  }
  return entries;
}
