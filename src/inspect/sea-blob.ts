// What a Node SEA preparation blob holds, as Node 22-24 write it (observed; the generator's own
// output is the reference in test/integration/code-cache.test.ts): u32 magic 0x0143da20, u32
// flags, the code path (u8 1 + u64 length + bytes), the main script (u64 length + bytes), then,
// when flag 4 (useCodeCache) is set, the V8 code cache (u64 length + bytes), then assets and
// execArgv when their flags are set.

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
  if (size < 17) return undefined;
  const head = await read(0, 17);
  if (head.readUInt32LE(0) !== seaBlobMagic || head[8] !== 1) return undefined;
  const flags = head.readUInt32LE(4);
  const mainAt = 17 + Number(head.readBigUInt64LE(9));
  if (mainAt + 8 > size) return undefined;
  const mainBytes = Number((await read(mainAt, 8)).readBigUInt64LE(0));
  const facts: SeaBlobFacts = { flags, mainBytes };
  if (!(flags & seaFlagUseCodeCache)) return mainAt + 8 + mainBytes <= size ? facts : undefined;
  const cacheAt = mainAt + 8 + mainBytes;
  if (cacheAt + 8 > size) return undefined;
  const bytes = Number((await read(cacheAt, 8)).readBigUInt64LE(0));
  if (cacheAt + 8 + bytes > size) return undefined;
  return { ...facts, codeCache: { offset: cacheAt + 8, bytes } };
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
