// What an executable needs and holds: ELF class and machine, loader, libraries, the highest
// GLIBC/GLIBCXX symbol versions it requires, whether a Node SEA blob is injected, and which
// Node it is. Every build checks its result with this reader before writing it.

import { open } from "node:fs/promises";
import type { Arch } from "../config.js";
import { BinshipError } from "../errors.js";
import { readBuildInfo, type BuildInfo } from "./build-info.js";
import { isElfMagic, readElf, type ElfStructure } from "./elf.js";
import { scanFile } from "./scan.js";
import { seaBlobFactsInFile } from "./sea-blob.js";
import { highestVersion } from "../util/versions.js";


export interface ElfReport {
  path: string;
  bytes: number;
  sha256: string;
  elfClass: 32 | 64;
  machine: string; // e.g. "x86-64", "AArch64"
  arch?: Arch; // "x64" | "arm64" when recognised
  interpreter?: string; // PT_INTERP, e.g. /lib/ld-linux-aarch64.so.1
  needed: string[]; // DT_NEEDED
  glibc?: string; // highest GLIBC_x.y required
  glibcxx?: string; // highest GLIBCXX_x.y.z required
  glibcProvided?: string; // highest GLIBC_x.y the file defines: the glibc version of a libc.so.6
  glibcxxProvided?: string; // highest GLIBCXX_x.y.z the file defines: the version of a libstdc++.so.6
  sea: boolean; // a NODE_SEA_BLOB note is present and the SEA fuse is set
  seaBlobBytes?: number; // size of the injected blob
  seaCodeCacheBytes?: number; // of which the V8 code cache of the main script (absent: none)
  nodeVersion?: string; // "24.21.0" for an official Node binary
  buildInfo?: BuildInfo; // what binship recorded when it built the file (inspect/build-info.ts)
  buildInfoBytes?: number; // size of that record at the end of the file
}

// e_machine values from the gABI's registry; names as binutils prints them.
const machines: Record<number, { name: string; arch?: Arch }> = {
  3: { name: "Intel 80386" },
  8: { name: "MIPS" },
  20: { name: "PowerPC" },
  21: { name: "PowerPC64" },
  22: { name: "IBM S/390" },
  40: { name: "ARM" },
  62: { name: "x86-64", arch: "x64" },
  183: { name: "AArch64", arch: "arm64" },
  243: { name: "RISC-V" },
  258: { name: "LoongArch" },
};

// postject's ELF note name for the blob (nodejs/postject, and node_sea.cc's lookup).
export const seaNoteName = "NODE_SEA_BLOB";

function highestOf(names: string[], prefix: string): string | undefined {
  const versions = names.filter((v) => v.startsWith(prefix) && /^\d+(\.\d+)*$/.test(v.slice(prefix.length)));
  return highestVersion(versions.map((v) => v.slice(prefix.length)));
}

async function readStructure(path: string): Promise<{ elf: ElfStructure; bytes: number }> {
  let fh;
  try {
    fh = await open(path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BinshipError(code === "ENOENT" ? "USAGE" : "IO_FAILED", `cannot read ${path}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`, {
      cause: err,
      hint: "Pass the path of a built executable, e.g. binship inspect dist/app-arm64.",
      exitCode: 2,
    });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new BinshipError("NOT_ELF", `${path} is not a regular file`, { hint: "Pass the path of a built executable." });
    const head = Buffer.alloc(64);
    const { bytesRead } = await fh.read(head, 0, 64, 0);
    const is64 = head[4] === 2;
    if (!isElfMagic(head) || bytesRead < (is64 ? 64 : 52) || (head[4] !== 1 && head[4] !== 2)) {
      throw new BinshipError("NOT_ELF", `${path} is not an ELF executable`, {
        hint: "binship inspect reads Linux executables, such as the output of binship build or bootstrap from a Lambda zip.",
      });
    }
    try {
      return { elf: await readElf(fh, st.size, head), bytes: st.size };
    } catch (err) {
      if (err instanceof RangeError) throw new BinshipError("NOT_ELF", `${path} is a damaged ELF file: ${err.message}`, { cause: err, hint: "Rebuild it; a truncated copy looks like this." });
      throw err;
    }
  } finally {
    await fh.close();
  }
}

/** The CPU an ELF file is built for, from its headers alone (nothing is hashed): "other" when binship does not target it. */
export async function elfArchOf(path: string): Promise<Arch | "other"> {
  const { elf } = await readStructure(path);
  return machines[elf.machineCode]?.arch ?? "other";
}

async function codeCacheOf(path: string, offset: number, size: number): Promise<number | undefined> {
  const fh = await open(path, "r");
  try {
    return (await seaBlobFactsInFile(fh, offset, size))?.codeCache?.bytes;
  } finally {
    await fh.close();
  }
}

export async function inspectFile(path: string): Promise<ElfReport> {
  const { elf, bytes } = await readStructure(path);
  const scan = await scanFile(path);
  const machine = machines[elf.machineCode];
  const blob = elf.notes.find((n) => n.name === seaNoteName);
  const report: ElfReport = {
    path,
    bytes,
    sha256: scan.sha256,
    elfClass: elf.elfClass,
    machine: machine?.name ?? `unknown (e_machine ${elf.machineCode})`,
    needed: elf.needed,
    sea: blob !== undefined && scan.fuse === "1",
  };
  if (machine?.arch) report.arch = machine.arch;
  if (elf.interpreter) report.interpreter = elf.interpreter;
  const required = elf.versionNeeds.flatMap((n) => n.versions);
  const glibc = highestOf(required, "GLIBC_");
  const glibcxx = highestOf(required, "GLIBCXX_");
  const glibcProvided = highestOf(elf.versionDefinitions, "GLIBC_");
  const glibcxxProvided = highestOf(elf.versionDefinitions, "GLIBCXX_");
  if (glibc) report.glibc = glibc;
  if (glibcxx) report.glibcxx = glibcxx;
  if (glibcProvided) report.glibcProvided = glibcProvided;
  if (glibcxxProvided) report.glibcxxProvided = glibcxxProvided;
  if (blob) report.seaBlobBytes = blob.descSize;
  const codeCache = blob && (await codeCacheOf(path, blob.descOffset, blob.descSize));
  if (codeCache) report.seaCodeCacheBytes = codeCache;
  if (scan.nodeVersion) report.nodeVersion = scan.nodeVersion;
  const recorded = await readBuildInfo(path);
  if (recorded) Object.assign(report, { buildInfo: recorded.info, buildInfoBytes: recorded.bytes });
  return report;
}
