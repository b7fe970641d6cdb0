// What a Node SEA preparation blob holds, as Node writes it (observed; the generator's own output
// is the reference in test/integration/code-cache.test.ts): u32 magic 0x0143da20, u32 flags, one
// byte (Node 22-24) or two (Node 26: the main's format too), the code path (u64 length + bytes),
// the main script (u64 length + bytes), then, when flag 4 (useCodeCache) is set, the V8 code
// cache (u64 length + bytes, starting with V8's magic, whose upper bytes are 0xc0de), then
// assets and execArgv when their flags are set.

import type { FileHandle } from "node:fs/promises";

export const seaBlobMagic = 0x0143da20;
export const seaFlagUseCodeCache = 4;

export interface SeaBlobFacts {
  flags: number;
  mainBytes: number; // the main script
  codeCache?: { offset: number; bytes: number }; // within the blob
}

/** The blob's layout from `read(offset, length)`, or undefined when it is not one this reader knows. */
async function factsFrom(size: number, read: (at: number, length: number) => Promise<Buffer>): Promise<SeaBlobFacts | undefined> {
  if (size < 18) return undefined;
  const head = await read(0, 18);
  if (head.readUInt32LE(0) !== seaBlobMagic) return undefined;
  for (const lengthAt of [9, 10]) {
    const facts = await layoutWith(head, lengthAt, size, read);
    if (facts) return facts;
  }
  return undefined;
}

async function layoutWith(head: Buffer, lengthAt: number, size: number, read: (at: number, length: number) => Promise<Buffer>): Promise<SeaBlobFacts | undefined> {
  const flags = head.readUInt32LE(4);
  const pathBytes = Number(head.readBigUInt64LE(lengthAt));
  const mainAt = lengthAt + 8 + pathBytes;
  if (pathBytes === 0 || pathBytes > 4096 || mainAt + 8 > size) return undefined;
  const mainBytes = Number((await read(mainAt, 8)).readBigUInt64LE(0));
  const cacheAt = mainAt + 8 + mainBytes;
  if (!(flags & seaFlagUseCodeCache)) return cacheAt <= size ? { flags, mainBytes } : undefined;
  if (cacheAt + 12 > size) return undefined;
  const cacheHead = await read(cacheAt, 12);
  const bytes = Number(cacheHead.readBigUInt64LE(0));
  if (cacheHead[10] !== 0xde || cacheHead[11] !== 0xc0 || cacheAt + 8 + bytes > size) return undefined;
  return { flags, mainBytes, codeCache: { offset: cacheAt + 8, bytes } };
}

export function seaBlobFacts(blob: Buffer): Promise<SeaBlobFacts | undefined> {
  return factsFrom(blob.length, async (at, length) => blob.subarray(at, at + length));
}

/** The same for a blob inside a file (an executable's SEA note), reading only its headers. */
export function seaBlobFactsInFile(fh: FileHandle, offset: number, size: number): Promise<SeaBlobFacts | undefined> {
  return factsFrom(size, async (at, length) => {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset + at);
    return buf.subarray(0, bytesRead);
  });
}
