// ELF structure read through a file handle: the file header, program headers, PT_INTERP,
// the dynamic section (DT_NEEDED, version needs and definitions) and PT_NOTE notes. Only the bytes of those
// structures are read, never the whole binary (Node is ~120 MB). Everything is found through
// program headers, which the loader itself uses, so stripped section tables do not matter.
// Layouts follow the System V gABI and the LSB "Symbol Versioning" chapter.

import type { FileHandle } from "node:fs/promises";

export interface ProgramHeader {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
  align: number;
}

export interface ElfNote {
  name: string;
  type: number;
  descOffset: number; // file offset of the descriptor
  descSize: number;
}

export interface VersionNeed {
  file: string; // the library, e.g. libc.so.6
  versions: string[]; // e.g. GLIBC_2.28
}

export interface ElfStructure {
  elfClass: 32 | 64;
  littleEndian: boolean;
  type: number; // e_type: 2 EXEC, 3 DYN
  machineCode: number; // e_machine
  interpreter?: string;
  needed: string[];
  versionNeeds: VersionNeed[];
  versionDefinitions: string[]; // versions a shared library defines, e.g. GLIBC_2.34 in libc.so.6
  notes: ElfNote[];
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const PT_NOTE = 4;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_VERDEF = 0x6ffffffc;
const DT_VERDEFNUM = 0x6ffffffd;
const DT_VERNEED = 0x6ffffffe;
const DT_VERNEEDNUM = 0x6fffffff;

/** Reads fixed-size little- or big-endian fields at absolute file offsets. */
class Reader {
  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly le: boolean,
  ) {}

  async bytes(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || length < 0 || offset + length > this.size) throw new RangeError(`ELF structure at ${offset}+${length} lies outside the file`);
    const buf = Buffer.alloc(length);
    await this.fh.read(buf, 0, length, offset);
    return buf;
  }

  u16 = (b: Buffer, at: number) => (this.le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  u32 = (b: Buffer, at: number) => (this.le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  u64 = (b: Buffer, at: number) => Number(this.le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at));
}

/** True when the first bytes are the ELF magic. */
export function isElfMagic(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x7f && head.toString("latin1", 1, 4) === "ELF";
}

function cString(buf: Buffer, at: number): string {
  const end = buf.indexOf(0, at);
  return buf.toString("latin1", at, end === -1 ? buf.length : end);
}

async function programHeaders(r: Reader, head: Buffer, is64: boolean): Promise<ProgramHeader[]> {
  const phoff = is64 ? r.u64(head, 32) : r.u32(head, 28);
  const phentsize = r.u16(head, is64 ? 54 : 42);
  const phnum = r.u16(head, is64 ? 56 : 44);
  const table = await r.bytes(phoff, phentsize * phnum);
  const out: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = i * phentsize;
    out.push(
      is64
        ? { type: r.u32(table, p), offset: r.u64(table, p + 8), vaddr: r.u64(table, p + 16), filesz: r.u64(table, p + 32), align: r.u64(table, p + 48) }
        : { type: r.u32(table, p), offset: r.u32(table, p + 4), vaddr: r.u32(table, p + 8), filesz: r.u32(table, p + 16), align: r.u32(table, p + 28) },
    );
  }
  return out;
}

/** Dynamic-section addresses are virtual; PT_LOAD segments map them back to file offsets. */
function fileOffset(loads: ProgramHeader[], addr: number): number {
  const seg = loads.find((p) => addr >= p.vaddr && addr < p.vaddr + p.filesz);
  if (!seg) throw new RangeError(`address 0x${addr.toString(16)} is not in any loaded segment`);
  return addr - seg.vaddr + seg.offset;
}

async function readNotes(r: Reader, seg: ProgramHeader): Promise<ElfNote[]> {
  // Notes are 4-byte aligned, except in segments aligned to 8 (gABI, "Note Section").
  const align = seg.align === 8 ? 8 : 4;
  const pad = (n: number) => Math.ceil(n / align) * align;
  const notes: ElfNote[] = [];
  let at = seg.offset;
  const end = seg.offset + seg.filesz;
  while (at + 12 <= end) {
    const h = await r.bytes(at, 12);
    const namesz = r.u32(h, 0);
    const descsz = r.u32(h, 4);
    const name = namesz > 0 ? cString(await r.bytes(at + 12, namesz), 0) : "";
    const descOffset = at + 12 + pad(namesz);
    notes.push({ name, type: r.u32(h, 8), descOffset, descSize: descsz });
    at = descOffset + pad(descsz);
  }
  return notes;
}

async function readDynamic(r: Reader, seg: ProgramHeader, is64: boolean): Promise<Map<number, number[]>> {
  const size = is64 ? 16 : 8;
  const buf = await r.bytes(seg.offset, seg.filesz);
  const tags = new Map<number, number[]>();
  for (let p = 0; p + size <= buf.length; p += size) {
    const tag = is64 ? r.u64(buf, p) : r.u32(buf, p);
    if (tag === DT_NULL) break;
    const value = is64 ? r.u64(buf, p + 8) : r.u32(buf, p + 4);
    tags.set(tag, [...(tags.get(tag) ?? []), value]);
  }
  return tags;
}

/** Elf_Verneed / Elf_Vernaux chains: 16 bytes each in both classes (LSB, "Symbol Versioning"). */
async function readVersionNeeds(r: Reader, at: number, count: number, strtab: Buffer): Promise<VersionNeed[]> {
  const out: VersionNeed[] = [];
  for (let i = 0; i < count; i++) {
    const vn = await r.bytes(at, 16);
    const need: VersionNeed = { file: cString(strtab, r.u32(vn, 4)), versions: [] };
    let aux = at + r.u32(vn, 8);
    for (let j = 0; j < r.u16(vn, 2); j++) {
      const va = await r.bytes(aux, 16);
      need.versions.push(cString(strtab, r.u32(va, 8)));
      aux += r.u32(va, 12);
    }
    out.push(need);
    const next = r.u32(vn, 12);
    if (next === 0) break;
    at += next;
  }
  return out;
}

/** Elf_Verdef (20 bytes) chains, each named by its first Elf_Verdaux (LSB, "Symbol Versioning"). */
async function readVersionDefinitions(r: Reader, at: number, count: number, strtab: Buffer): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const vd = await r.bytes(at, 20);
    const aux = await r.bytes(at + r.u32(vd, 12), 8);
    out.push(cString(strtab, r.u32(aux, 0)));
    const next = r.u32(vd, 16);
    if (next === 0) break;
    at += next;
  }
  return out;
}

/** Parses the structures of an ELF file; the caller has checked the magic. */
export async function readElf(fh: FileHandle, size: number, head: Buffer): Promise<ElfStructure> {
  const is64 = head[4] === 2;
  const r = new Reader(fh, size, head[5] !== 2);
  const phdrs = await programHeaders(r, head, is64);
  const loads = phdrs.filter((p) => p.type === PT_LOAD);
  const result: ElfStructure = {
    elfClass: is64 ? 64 : 32,
    littleEndian: head[5] !== 2,
    type: r.u16(head, 16),
    machineCode: r.u16(head, 18),
    needed: [],
    versionNeeds: [],
    versionDefinitions: [],
    notes: [],
  };
  const interp = phdrs.find((p) => p.type === PT_INTERP);
  if (interp) result.interpreter = cString(await r.bytes(interp.offset, interp.filesz), 0);
  for (const seg of phdrs.filter((p) => p.type === PT_NOTE)) result.notes.push(...(await readNotes(r, seg)));
  const dynamic = phdrs.find((p) => p.type === PT_DYNAMIC);
  if (!dynamic) return result; // a static executable
  const tags = await readDynamic(r, dynamic, is64);
  const strtabAddr = tags.get(DT_STRTAB)?.[0];
  const strsz = tags.get(DT_STRSZ)?.[0];
  if (strtabAddr === undefined || strsz === undefined) return result;
  const strtab = await r.bytes(fileOffset(loads, strtabAddr), strsz);
  result.needed = (tags.get(DT_NEEDED) ?? []).map((off) => cString(strtab, off));
  const verneed = tags.get(DT_VERNEED)?.[0];
  const verneedNum = tags.get(DT_VERNEEDNUM)?.[0];
  if (verneed !== undefined && verneedNum) result.versionNeeds = await readVersionNeeds(r, fileOffset(loads, verneed), verneedNum, strtab);
  const verdef = tags.get(DT_VERDEF)?.[0];
  const verdefNum = tags.get(DT_VERDEFNUM)?.[0];
  if (verdef !== undefined && verdefNum) result.versionDefinitions = await readVersionDefinitions(r, fileOffset(loads, verdef), verdefNum, strtab);
  return result;
}
