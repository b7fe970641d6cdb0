// A new SEA blob into the layout postject gave an earlier one. pkg copies the Node binary and
// postject (LIEF) rewrites it around the blob, ~3 s per build. What it writes for a Linux target
// (both arches, checked on every template before use):
//
//   [Node's own segments, the fuse flipped, the program headers moved into the first segment's
//    padding] [an added PT_LOAD at a fixed offset, its size the notes' size rounded up to
//    64 KiB, holding one PT_NOTE: Node's build-id and ABI notes, then the NODE_SEA_BLOB note]
//   [the section header table] (+ binship's build info, appended after: inspect/build-info.ts)
//
// Only the blob note, the two segment sizes and the section table's offset depend on the blob.
// So with any earlier executable of the same target binary as the template, a new executable is
// the template's prefix, the new notes, zero padding and the same section table: byte-identical
// to what postject writes (test/integration/reinject.test.ts compares them at several sizes).
// A template that does not look exactly like this is refused, and pkg runs instead.

import { constants } from "node:fs";
import { copyFile, open, type FileHandle } from "node:fs/promises";

const seaNoteName = "NODE_SEA_BLOB";
const granule = 0x10000; // the added segment's size unit
const PT_LOAD = 1;
const PT_NOTE = 4;
const SHT_NOBITS = 8;

const align4 = (n: number) => (n + 3) & ~3;
const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

/** Where a template keeps what depends on the blob. */
export interface SeaLayout {
  loadEntry: number; // file offset of the added PT_LOAD's program header
  noteEntry: number; // ... and of its PT_NOTE's
  region: number; // file offset of both segments (the notes)
  seaNote: number; // offset of the SEA note within the region
  notesBefore: Buffer; // the notes before it (Node's build-id and ABI tag), which stay
  seaNoteType: number; // the note type postject used
  sectionTable: Buffer; // the section header table, moved after the region
  blob: Buffer; // the template's SEA blob (the note's content)
  seaSection?: number; // offset in sectionTable of the section LIEF adds over the SEA note (its size follows the blob)
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  if (bytesRead !== length) throw new Error("short read");
  return buf;
}

const u64 = (b: Buffer, at: number) => Number(b.readBigUInt64LE(at));

/** The template's layout, or why it is not one this module understands. */
export async function readSeaLayout(path: string): Promise<SeaLayout | string> {
  const fh = await open(path, "r");
  try {
    const size = (await fh.stat()).size;
    const h = await readAt(fh, 0, 64);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return "not a 64-bit little-endian ELF file";
    const phoff = u64(h, 0x20);
    const shoff = u64(h, 0x28);
    const phentsize = h.readUInt16LE(0x36);
    const phnum = h.readUInt16LE(0x38);
    const shentsize = h.readUInt16LE(0x3a);
    const shnum = h.readUInt16LE(0x3c);
    if (phentsize !== 56 || shentsize !== 64) return "unexpected header entry sizes";
    const ph = await readAt(fh, phoff, phnum * phentsize);
    const entries = Array.from({ length: phnum }, (_, i) => ({
      at: i * phentsize,
      type: ph.readUInt32LE(i * phentsize),
      offset: u64(ph, i * phentsize + 8),
      filesz: u64(ph, i * phentsize + 32),
      memsz: u64(ph, i * phentsize + 40),
    }));
    const notes = entries.filter((e) => e.type === PT_NOTE);
    if (notes.length !== 1) return `${notes.length} PT_NOTE segments, not 1`;
    const note = notes[0]!;
    const load = entries.find((e) => e.type === PT_LOAD && e.offset === note.offset);
    if (!load) return "the notes are not in a segment of their own";
    if (load.filesz !== load.memsz || note.filesz !== note.memsz) return "segment sizes in memory and file differ";
    if (load.filesz !== roundUp(note.filesz, granule)) return "the notes' segment is not rounded up to 64 KiB";
    if (shoff !== load.offset + load.filesz) return "the section table does not follow the notes";
    if (size < shoff + shnum * shentsize) return "the file ends inside the section table";
    if (entries.some((e) => e !== load && e.type === PT_LOAD && e.offset + e.filesz > load.offset)) return "a segment reaches into the notes";

    const region = await readAt(fh, load.offset, load.filesz);
    let at = 0;
    let sea: { at: number; type: number } | undefined;
    while (at < note.filesz) {
      const namesz = region.readUInt32LE(at);
      const descsz = region.readUInt32LE(at + 4);
      const name = region.toString("latin1", at + 12, at + 12 + namesz).replace(/\0+$/, "");
      const next = at + 12 + align4(namesz) + align4(descsz);
      if (name === seaNoteName) sea = { at, type: region.readUInt32LE(at + 8) };
      else if (sea) return "a note follows the SEA blob";
      at = next;
    }
    if (!sea || at !== note.filesz) return "no SEA blob note ending the notes";
    if (region.subarray(note.filesz).some((b) => b !== 0)) return "the notes' padding is not zero";

    // Sections end before the SEA note, except one that is exactly the SEA note.
    const descsz = region.readUInt32LE(sea.at + 4);
    const blobAt = sea.at + 12 + align4(region.readUInt32LE(sea.at));
    const blob = Buffer.from(region.subarray(blobAt, blobAt + descsz));
    const sectionTable = await readAt(fh, shoff, shnum * shentsize);
    const seaStart = load.offset + sea.at;
    let seaSection: number | undefined;
    for (let i = 0; i < shnum; i++) {
      const s = i * shentsize;
      if (sectionTable.readUInt32LE(s + 4) === SHT_NOBITS) continue;
      const start = u64(sectionTable, s + 24);
      const end = start + u64(sectionTable, s + 32);
      if (end <= seaStart || start >= shoff) continue;
      if (start !== seaStart || end !== load.offset + note.filesz || seaSection !== undefined) return "a section covers the SEA blob";
      seaSection = s;
    }
    return { loadEntry: phoff + load.at, noteEntry: phoff + note.at, region: load.offset, seaNote: sea.at, notesBefore: Buffer.from(region.subarray(0, sea.at)), seaNoteType: sea.type, sectionTable, blob, seaSection };
  } finally {
    await fh.close();
  }
}

/** Writes to `out` the template with `blob` in place of its blob; returns the file's size. */
export async function reinjectBlob(template: string, layout: SeaLayout, blob: Buffer, out: string): Promise<number> {
  const name = Buffer.alloc(align4(seaNoteName.length + 1));
  name.write(seaNoteName, "latin1");
  const header = Buffer.alloc(12);
  header.writeUInt32LE(seaNoteName.length + 1, 0);
  header.writeUInt32LE(blob.length, 4);
  header.writeUInt32LE(layout.seaNoteType, 8);
  const notesBytes = layout.seaNote + 12 + name.length + align4(blob.length);
  const regionBytes = roundUp(notesBytes, granule);
  const notes = Buffer.concat([layout.notesBefore, header, name, blob], regionBytes); // zero-filled to the segment's end
  const shoff = layout.region + regionBytes;

  // The kernel copies the unchanged 100 MB (copy_file_range, or a reflink); only the tail is written.
  await copyFile(template, out, constants.COPYFILE_FICLONE);
  const fh = await open(out, "r+");
  try {
    const sizes = (filesz: number) => {
      const b = Buffer.alloc(16);
      b.writeBigUInt64LE(BigInt(filesz), 0);
      b.writeBigUInt64LE(BigInt(filesz), 8);
      return b;
    };
    const shoffBytes = Buffer.alloc(8);
    shoffBytes.writeBigUInt64LE(BigInt(shoff));
    await fh.write(shoffBytes, 0, 8, 0x28);
    await fh.write(sizes(regionBytes), 0, 16, layout.loadEntry + 32);
    await fh.write(sizes(notesBytes), 0, 16, layout.noteEntry + 32);
    await fh.write(notes, 0, notes.length, layout.region);
    const table = Buffer.from(layout.sectionTable);
    if (layout.seaSection !== undefined) table.writeBigUInt64LE(BigInt(notesBytes - layout.seaNote), layout.seaSection + 32);
    await fh.write(table, 0, table.length, shoff);
    const size = shoff + layout.sectionTable.length;
    await fh.truncate(size);
    return size;
  } finally {
    await fh.close();
  }
}

// The SEA preparation blob of a CommonJS main with pkg's defaults, as Node 22-24 write it
// (observed, and checked against the generator's own output in test/integration/reinject.test.ts):
// u32 magic 0x0143da20, u32 flags (1: the experimental warning disabled, nothing else), the code
// path as u8 1 + u64 length + bytes, the main script as u64 length + its bytes.
const blobMagic = 0x0143da20;

/**
 * The blob the generator would write for `code` under the template blob's code path, or
 * undefined when the template blob is anything but that plain form (pkg's generator then runs).
 */
export function spliceBlob(template: Buffer, codePath: string, code: Buffer): Buffer | undefined {
  if (template.length < 17 || template.readUInt32LE(0) !== blobMagic || template.readUInt32LE(4) !== 1 || template[8] !== 1) return undefined;
  const pathEnd = 17 + Number(template.readBigUInt64LE(9));
  if (pathEnd + 8 > template.length || template.toString("latin1", 17, pathEnd) !== codePath) return undefined;
  if (Number(template.readBigUInt64LE(pathEnd)) !== template.length - pathEnd - 8) return undefined;
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(code.length));
  return Buffer.concat([template.subarray(0, pathEnd), length, code]);
}
