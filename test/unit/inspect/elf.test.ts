// The ELF reader against small ELF files built here byte by byte (both classes, both byte
// orders), so every field it reports is known in advance.

import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BinshipError } from "../../../src/errors.js";
import { inspectFile } from "../../../src/inspect/index.js";
import { compareVersions } from "../../../src/util/versions.js";
import { tempDir } from "../../helpers/cli.js";

interface ElfSpec {
  is64: boolean;
  le: boolean;
  machine: number;
  interp?: string;
  needed?: string[];
  verneed?: { file: string; versions: string[] }[];
  notes?: { name: string; desc: Buffer }[];
  trailer?: string; // bytes appended at the end (fuse, version string)
}

const base = 0x400000;

/** A minimal ELF: header, PT_LOAD over the whole file, PT_INTERP, PT_DYNAMIC, PT_NOTE. */
function makeElf(spec: ElfSpec): Buffer {
  const { is64, le } = spec;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const hasDynamic = spec.needed !== undefined;
  const phnum = 1 + (spec.interp ? 1 : 0) + (hasDynamic ? 1 : 0) + (spec.notes ? 1 : 0);
  const parts: Buffer[] = [];
  let offset = ehsize + phentsize * phnum;
  const place = (b: Buffer, align = 8) => {
    const pad = (align - (offset % align)) % align;
    if (pad) parts.push(Buffer.alloc(pad));
    offset += pad;
    const at = offset;
    parts.push(b);
    offset += b.length;
    return at;
  };
  const u16 = (n: number) => {
    const b = Buffer.alloc(2);
    le ? b.writeUInt16LE(n) : b.writeUInt16BE(n);
    return b;
  };
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    le ? b.writeUInt32LE(n) : b.writeUInt32BE(n);
    return b;
  };
  const word = (n: number) => {
    if (!is64) return u32(n);
    const b = Buffer.alloc(8);
    le ? b.writeBigUInt64LE(BigInt(n)) : b.writeBigUInt64BE(BigInt(n));
    return b;
  };

  const phdrs: { type: number; off: number; size: number; align: number }[] = [];
  if (spec.interp) {
    const s = Buffer.from(`${spec.interp}\0`);
    phdrs.push({ type: 3, off: place(s, 1), size: s.length, align: 1 });
  }
  if (hasDynamic) {
    const strs = ["", ...(spec.needed ?? []), ...(spec.verneed ?? []).flatMap((v) => [v.file, ...v.versions])];
    const strOff = new Map<string, number>();
    let strtab = Buffer.alloc(0);
    for (const s of strs) {
      if (strOff.has(s)) continue;
      strOff.set(s, strtab.length);
      strtab = Buffer.concat([strtab, Buffer.from(`${s}\0`)]);
    }
    const strAt = place(strtab, 1);
    // Elf_Verneed + Elf_Vernaux entries, 16 bytes each, chained by relative offsets.
    const vn: Buffer[] = [];
    const needs = spec.verneed ?? [];
    needs.forEach((need, i) => {
      const size = 16 + 16 * need.versions.length;
      vn.push(Buffer.concat([u16(1), u16(need.versions.length), u32(strOff.get(need.file)!), u32(16), u32(i === needs.length - 1 ? 0 : size)]));
      need.versions.forEach((v, j) => {
        vn.push(Buffer.concat([u32(0), u16(0), u16(0), u32(strOff.get(v)!), u32(j === need.versions.length - 1 ? 0 : 16)]));
      });
    });
    const vnAt = needs.length ? place(Buffer.concat(vn), 4) : 0;
    const dyn: Buffer[] = [];
    for (const n of spec.needed ?? []) dyn.push(word(1), word(strOff.get(n)!));
    dyn.push(word(5), word(base + strAt), word(10), word(strtab.length));
    if (needs.length) dyn.push(word(0x6ffffffe), word(base + vnAt), word(0x6fffffff), word(needs.length));
    dyn.push(word(0), word(0));
    const d = Buffer.concat(dyn);
    phdrs.push({ type: 2, off: place(d), size: d.length, align: 8 });
  }
  if (spec.notes) {
    const pad4 = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
    const n = Buffer.concat(spec.notes.map((note) => Buffer.concat([u32(note.name.length + 1), u32(note.desc.length), u32(0), pad4(Buffer.from(`${note.name}\0`)), pad4(note.desc)])));
    phdrs.push({ type: 4, off: place(n, 4), size: n.length, align: 4 });
  }
  if (spec.trailer) place(Buffer.from(spec.trailer), 1);
  const total = offset;
  phdrs.unshift({ type: 1, off: 0, size: total, align: 0x1000 });

  const ident = Buffer.alloc(16);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1]).copy(ident);
  const header = Buffer.concat([
    ident,
    u16(2), // ET_EXEC
    u16(spec.machine),
    u32(1),
    word(base), // entry
    word(ehsize), // phoff
    word(0), // shoff: no section table at all
    u32(0),
    u16(ehsize),
    u16(phentsize),
    u16(phnum),
    u16(0),
    u16(0),
    u16(0),
  ]);
  const table = phdrs.map((p) =>
    is64
      ? Buffer.concat([u32(p.type), u32(4), word(p.off), word(base + p.off), word(base + p.off), word(p.size), word(p.size), word(p.align)])
      : Buffer.concat([u32(p.type), word(p.off), word(base + p.off), word(base + p.off), word(p.size), word(p.size), u32(4), word(p.align)]),
  );
  return Buffer.concat([header, ...table, ...parts]);
}

const dir = tempDir("binship-elf-");
let n = 0;
function write(data: Buffer | string): string {
  const path = join(dir, `file-${n++}`);
  writeFileSync(path, data);
  return path;
}

const fuse = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

const nodeLike: ElfSpec = {
  is64: true,
  le: true,
  machine: 183,
  interp: "/lib/ld-linux-aarch64.so.1",
  needed: ["libstdc++.so.6", "libc.so.6"],
  verneed: [
    { file: "libstdc++.so.6", versions: ["GLIBCXX_3.4.9", "GLIBCXX_3.4.21", "CXXABI_1.3.9"] },
    { file: "libc.so.6", versions: ["GLIBC_2.17", "GLIBC_2.28", "GLIBC_2.4", "GLIBC_PRIVATE"] },
  ],
};

describe("inspectFile", () => {
  it("reports class, machine, arch, interpreter and needed libraries of a 64-bit little-endian ELF", async () => {
    const path = write(makeElf(nodeLike));
    const r = await inspectFile(path);
    expect(r).toMatchObject({ path, elfClass: 64, machine: "AArch64", arch: "arm64", interpreter: "/lib/ld-linux-aarch64.so.1", needed: ["libstdc++.so.6", "libc.so.6"] });
  });

  it("reports the highest GLIBC and GLIBCXX versions, compared numerically", async () => {
    const r = await inspectFile(write(makeElf(nodeLike)));
    expect(r.glibc).toBe("2.28"); // not "2.4" (string order) and not GLIBC_PRIVATE
    expect(r.glibcxx).toBe("3.4.21"); // not "3.4.9"
  });

  it("reads 32-bit big-endian files", async () => {
    const r = await inspectFile(write(makeElf({ ...nodeLike, is64: false, le: false, machine: 20, interp: "/lib/ld.so.1" })));
    expect(r).toMatchObject({ elfClass: 32, machine: "PowerPC", interpreter: "/lib/ld.so.1", glibc: "2.28", glibcxx: "3.4.21" });
    expect(r.arch).toBeUndefined();
  });

  it("reports a static executable as needing nothing", async () => {
    const r = await inspectFile(write(makeElf({ is64: true, le: true, machine: 62 })));
    expect(r).toMatchObject({ machine: "x86-64", arch: "x64", needed: [], sea: false });
    expect(r.interpreter).toBeUndefined();
    expect(r.glibc).toBeUndefined();
  });

  it("finds a SEA blob only when the NODE_SEA_BLOB note exists and the fuse is set", async () => {
    const blob = Buffer.from("x".repeat(1000));
    const armed = await inspectFile(write(makeElf({ ...nodeLike, notes: [{ name: "GNU", desc: Buffer.alloc(20) }, { name: "NODE_SEA_BLOB", desc: blob }], trailer: `${fuse}:1` })));
    expect(armed.sea).toBe(true);
    expect(armed.seaBlobBytes).toBe(1000);
    const unarmed = await inspectFile(write(makeElf({ ...nodeLike, notes: [{ name: "NODE_SEA_BLOB", desc: blob }], trailer: `${fuse}:0` })));
    expect(unarmed.sea).toBe(false);
    const plainNode = await inspectFile(write(makeElf({ ...nodeLike, notes: [{ name: "GNU", desc: Buffer.alloc(20) }], trailer: `${fuse}:0` })));
    expect(plainNode.sea).toBe(false);
  });

  it("reads the Node version from the release URL an official binary carries", async () => {
    const r = await inspectFile(write(makeElf({ ...nodeLike, trailer: "https://nodejs.org/download/release/v24.21.0/node-v24.21.0-headers.tar.gz" })));
    expect(r.nodeVersion).toBe("24.21.0");
  });

  it("finds strings that straddle the 1 MiB read boundary", async () => {
    const elf = makeElf(nodeLike);
    const filler = Buffer.alloc((1 << 20) - elf.length - 10, 0x20);
    const r = await inspectFile(write(Buffer.concat([elf, filler, Buffer.from(`/download/release/v22.23.3/ ${fuse}:1`)])));
    expect(r.nodeVersion).toBe("22.23.3");
  });

  it("reports size and sha256 of the whole file", async () => {
    const data = makeElf({ ...nodeLike, trailer: "tail" });
    const r = await inspectFile(write(data));
    expect(r.bytes).toBe(data.length);
    expect(r.sha256).toBe(createHash("sha256").update(data).digest("hex"));
  });

  it("rejects a file that is not ELF with NOT_ELF and exit code 2", async () => {
    for (const content of ["#!/bin/sh\necho hi\n", "", "\x7fEL"]) {
      const err = await inspectFile(write(content)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BinshipError);
      expect((err as BinshipError).code).toBe("NOT_ELF");
      expect((err as BinshipError).exitCode).toBe(2);
      expect((err as BinshipError).message).toMatch(/is not an ELF executable/);
    }
  });

  it("rejects a truncated ELF file as damaged instead of crashing", async () => {
    const whole = makeElf(nodeLike);
    const err = (await inspectFile(write(whole.subarray(0, 100))).catch((e: unknown) => e)) as BinshipError;
    expect(err.code).toBe("NOT_ELF");
    expect(err.message).toMatch(/damaged ELF/);
  });

  it("rejects a directory and a missing path with exit code 2", async () => {
    const sub = join(dir, "a-directory");
    mkdirSync(sub);
    expect(((await inspectFile(sub).catch((e: unknown) => e)) as BinshipError).exitCode).toBe(2);
    const missing = (await inspectFile(join(dir, "missing")).catch((e: unknown) => e)) as BinshipError;
    expect(missing.exitCode).toBe(2);
    expect(missing.message).toMatch(/no such file/);
  });
});

describe("compareVersions", () => {
  it("compares dotted versions part by part, numerically", () => {
    expect(compareVersions("2.28", "2.34")).toBeLessThan(0);
    expect(compareVersions("2.34", "2.4")).toBeGreaterThan(0);
    expect(compareVersions("3.4.30", "3.4.9")).toBeGreaterThan(0);
    expect(compareVersions("24.21.0", "24.21")).toBe(0);
    expect(compareVersions("24.9.0", "24.10.0")).toBeLessThan(0);
  });
});
