// Reads a zip the way Lambda unpacks a deployment package: every entry with its unix mode, so
// `binship invoke` can run a zip from a temporary task root with no unzip tool on the machine.
// Stored and deflated entries (APPNOTE.TXT 4.3); no ZIP64, which Lambda's 250 MB limit never needs.
//
// A zip is untrusted input (anyone can hand one to `binship invoke`): every offset and length is
// checked against the buffer before it is read, every entry inflates to exactly its declared size
// (never more: inflate stops there) with its declared CRC-32, and unpacking refuses what a
// deployment package cannot be: paths leaving the task root, device or fifo entries, symlinks
// pointing out of it, more than Lambda's unzipped limit. Set-id and sticky bits are dropped, as
// Info-ZIP's unzip does unless told otherwise (-K): a set-uid `bootstrap` unpacked by a root
// user into a shared /tmp would be a way in for anyone.

import { chmod, mkdir, readFile, realpath, stat, symlink, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { crc32, inflateRawSync } from "node:zlib";
import { lambdaLimits } from "../artifacts/lambda/runtimes.js";
import { BinshipError } from "../errors.js";
import { formatBytes } from "../log.js";

export type ZipEntryType = "file" | "directory" | "symlink" | "special";

export interface ZipListing {
  name: string;
  mode: number; // unix permission bits, set-id and sticky included (0 when the archive has none)
  type: ZipEntryType; // from the unix file type bits; "special": a device, fifo or socket
  directory: boolean;
  bytes: number; // uncompressed size, as declared
  compressedBytes: number; // size inside the archive
  data: () => Buffer; // the uncompressed content, checked against its size and CRC-32
}

const eocdSignature = 0x06054b50;
const centralSignature = 0x02014b50;
const localSignature = 0x04034b50;
const eocdBytes = 22;
const centralBytes = 46;
const localBytes = 30;

function bad(path: string, why: string): BinshipError {
  return new BinshipError("USAGE", `${path} is not a valid zip: ${why}`, { hint: "Pass a zip made by binship pack lambda (or rebuild it: the file may be damaged or truncated)." });
}

function refused(path: string, why: string, hint: string): BinshipError {
  return new BinshipError("USAGE", `${path} cannot be unpacked as a Lambda deployment package: ${why}`, { hint });
}

function findEocd(buf: Buffer, path: string): number {
  if (buf.length < eocdBytes) throw bad(path, `${buf.length} bytes is too short for a zip`);
  // The record ends the file, followed only by its comment (at most 65535 bytes).
  for (let i = buf.length - eocdBytes; i >= Math.max(0, buf.length - eocdBytes - 65_535); i--) {
    if (buf.readUInt32LE(i) === eocdSignature) return i;
  }
  throw bad(path, "no end-of-central-directory record");
}

function typeOf(madeBy: number, external: number, name: string): { type: ZipEntryType; mode: number } {
  if (madeBy !== 3) return { type: name.endsWith("/") ? "directory" : "file", mode: 0 }; // 3 = unix: the high 16 bits of the external attributes are st_mode
  const st = external >>> 16;
  const format = st & 0o170000;
  const mode = st & 0o7777;
  if (name.endsWith("/") || format === 0o040000) return { type: "directory", mode };
  if (format === 0 || format === 0o100000) return { type: "file", mode };
  return { type: format === 0o120000 ? "symlink" : "special", mode };
}

function inflateEntry(path: string, name: string, method: number, raw: Buffer, size: number, crc: number): Buffer {
  let data: Buffer;
  if (method === 0) {
    data = Buffer.from(raw);
  } else {
    try {
      // Never more than the declared size: a bomb declared small stops there instead of filling memory.
      data = inflateRawSync(raw, { maxOutputLength: Math.max(1, size) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw bad(path, `${name} inflates to more than its declared ${size} bytes`);
      throw bad(path, `${name} holds damaged deflate data (${(err as Error).message})`);
    }
  }
  if (data.length !== size) throw bad(path, `${name} inflates to ${data.length} bytes, its header declares ${size}`);
  if (crc32(data) >>> 0 !== crc) throw bad(path, `bad CRC for ${name}`);
  return data;
}

const limitHint = "Lambda refuses a function whose package and layers unpack to more than 250 MB; ship less (binship pack lambda checks this).";

/** "Lambda's 262144000-byte (250 MB) unzipped limit", or what is left of it beside the function. */
const limitText = (limitBytes: number) =>
  `${limitBytes === lambdaLimits.unzipped ? "" : `the ${limitBytes} bytes left of `}Lambda's ${lambdaLimits.unzipped}-byte (250 MB) unzipped limit`;

function checkSize(path: string, entries: ZipListing[], limitBytes: number): void {
  const total = entries.reduce((n, e) => n + e.bytes, 0);
  if (total > limitBytes) {
    throw refused(path, `its entries declare ${total} bytes (${formatBytes(total)}) unzipped, more than ${limitText(limitBytes)}`, limitHint);
  }
}

export interface ReadOptions {
  limitBytes?: number; // most bytes the entries may declare, together (default: Lambda's unzipped limit)
}

/** The entries of the zip in `buf`; refused when they declare more than `limitBytes`, so no caller inflates a bomb. */
export function readZip(buf: Buffer, path = "zip", options: ReadOptions = {}): ZipListing[] {
  const eocd = findEocd(buf, path);
  if (buf.readUInt16LE(eocd + 4) !== 0 || buf.readUInt16LE(eocd + 6) !== 0) throw bad(path, "multi-part (split) archives are not supported");
  const count = buf.readUInt16LE(eocd + 10);
  const cdBytes = buf.readUInt32LE(eocd + 12);
  const cdStart = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdStart === 0xffffffff || cdBytes === 0xffffffff) throw bad(path, "ZIP64 archives are not supported");
  const cdEnd = cdStart + cdBytes;
  if (cdEnd > eocd) throw bad(path, `the central directory (bytes ${cdStart} to ${cdEnd}) lies past the end of the archive (its end record is at byte ${eocd} of ${buf.length})`);
  const out: ZipListing[] = [];
  let at = cdStart;
  for (let n = 0; n < count; n++) {
    if (at + centralBytes > cdEnd) throw bad(path, `the central directory is truncated: entry ${n + 1} of ${count} would start at byte ${at}, past its end at ${cdEnd}`);
    if (buf.readUInt32LE(at) !== centralSignature) throw bad(path, `damaged central directory at byte ${at}`);
    const madeBy = buf.readUInt16LE(at + 4) >> 8;
    const flags = buf.readUInt16LE(at + 8);
    const method = buf.readUInt16LE(at + 10);
    const crc = buf.readUInt32LE(at + 16);
    const compressed = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const external = buf.readUInt32LE(at + 38);
    const local = buf.readUInt32LE(at + 42);
    const next = at + centralBytes + nameLength + extraLength + commentLength;
    if (next > cdEnd) throw bad(path, `the central directory is truncated: entry ${n + 1} of ${count} runs past its end at byte ${cdEnd}`);
    const name = buf.toString("utf8", at + centralBytes, at + centralBytes + nameLength);
    at = next;
    if (flags & 1) throw bad(path, `${name} is encrypted`);
    if (method !== 0 && method !== 8) throw bad(path, `${name} uses compression method ${method}`);
    if (method === 0 && compressed !== size) throw bad(path, `${name} is stored, but its sizes differ (${compressed} and ${size} bytes)`);
    // An entry's local header and data lie before the central directory.
    if (local + localBytes > cdStart) throw bad(path, `the local header of ${name} (byte ${local}) lies past the entries' end at byte ${cdStart}`);
    if (buf.readUInt32LE(local) !== localSignature) throw bad(path, `damaged local header for ${name}`);
    const start = local + localBytes + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (start + compressed > cdStart) throw bad(path, `the data of ${name} (${compressed} bytes from byte ${start}) runs past the entries' end at byte ${cdStart}`);
    const raw = buf.subarray(start, start + compressed);
    const { type, mode } = typeOf(madeBy, external, name);
    out.push({ name, mode, type, directory: type === "directory", bytes: size, compressedBytes: compressed, data: () => inflateEntry(path, name, method, raw, size, crc) });
  }
  checkSize(path, out, options.limitBytes ?? lambdaLimits.unzipped);
  return out;
}

export interface ExtractOptions {
  limitBytes?: number; // most bytes the entries may unpack to (default: Lambda's unzipped limit)
}

/** Why `name` cannot be a path inside the task root, or undefined when it can. */
function unsafeName(name: string): string | undefined {
  if (name === "" || name.includes("\0")) return "an empty or NUL-holding name";
  if (name.includes("\\")) return "a backslash in its name (a Windows path separator)";
  if (name.startsWith("/")) return "an absolute path";
  if (name.split("/").includes("..")) return "a \"..\" in its path";
  return undefined;
}


/** Checks every entry against what a deployment package may hold, before a byte is written. */
function checkEntries(zipPath: string, entries: ZipListing[]): void {
  const seen = new Set<string>();
  const links = new Set(entries.filter((e) => e.type === "symlink").map((e) => e.name));
  for (const entry of entries) {
    const why = unsafeName(entry.name);
    if (why) throw refused(zipPath, `entry ${JSON.stringify(entry.name)} has ${why}, so it would land outside the task root`, "Lambda unpacks every entry under /var/task; store paths relative to the zip's root.");
    if (entry.type === "special") throw refused(zipPath, `entry ${entry.name} is a device, fifo or socket`, "A deployment package holds files, directories and symlinks only.");
    // Unpacking never goes through a link: one could lead anywhere.
    const parts = entry.name.split("/");
    const via = parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("/")).find((p) => links.has(p));
    if (via) throw refused(zipPath, `entry ${entry.name} lies under the symlink ${via}`, "Store the files under their real directory, not through a symlink.");
    const key = entry.name.replace(/\/+$/, "");
    if (seen.has(key)) throw refused(zipPath, `it has two entries named ${key}`, "Each path may appear once; rebuild the zip.");
    seen.add(key);
  }
}

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

const conflicts = new Set(["EEXIST", "ENOTDIR", "EISDIR"]);

/** Unpacks `zipPath` into the existing empty directory `dir`, keeping permission bits (set-id and sticky dropped). */
export async function extractZip(zipPath: string, dir: string, options: ExtractOptions = {}): Promise<ZipListing[]> {
  const limitBytes = options.limitBytes ?? lambdaLimits.unzipped;
  // Headroom for headers: a zip this much larger than the limit cannot be a package within it.
  const { size } = await stat(zipPath);
  if (size > limitBytes + 16 * 1024 * 1024) throw refused(zipPath, `it is ${size} bytes (${formatBytes(size)}), more than ${limitText(limitBytes)} leaves room for`, limitHint);
  const entries = readZip(await readFile(zipPath), zipPath, { limitBytes });
  checkEntries(zipPath, entries);
  const root = resolve(dir);
  const links: { target: string; link: string; name: string }[] = [];
  let current = "";
  try {
    for (const entry of entries) {
      current = entry.name;
      const target = join(root, entry.name);
      if (entry.type === "directory") {
        await mkdir(target, { recursive: true });
      } else if (entry.type === "symlink") {
        links.push({ target: entry.data().toString("utf8"), link: target, name: entry.name }); // made last: nothing is ever written through one
      } else {
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, entry.data(), { flag: "wx" });
        await chmod(target, entry.mode & 0o777 || 0o644);
      }
    }
    for (const { target, link, name } of links) {
      current = name;
      if (isAbsolute(target)) throw refused(zipPath, `symlink ${name} points to ${target}, outside the task root`, "Symlinks in a deployment package must point to files inside it, by a relative path.");
      await mkdir(dirname(link), { recursive: true });
      await symlink(target, link);
    }
  } catch (err) {
    if (conflicts.has((err as NodeJS.ErrnoException).code ?? "")) throw refused(zipPath, `entry ${current} collides with another entry (a file where a directory is, or the other way round)`, "Rebuild the zip.");
    throw err;
  }
  // Every link exists now, so the kernel resolves each chain in full: one that ends outside, or nowhere, is refused.
  const realRoot = links.length ? await realpath(root) : root;
  for (const { target, link, name } of links) {
    const real = await realpath(link).catch(() => undefined);
    if (real === undefined || !within(realRoot, real)) {
      throw refused(zipPath, `symlink ${name} points to ${target}, which is ${real ? "outside the task root" : "not in the zip"}`, "Symlinks in a deployment package must point to files inside it, by a relative path.");
    }
  }
  return entries;
}
