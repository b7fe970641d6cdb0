// The system an artifact will run on, and the one check of an executable against it. A Lambda
// OS-only runtime and a container base image are the same thing to a dynamically linked Node
// binary: a glibc, a libstdc++, and a set of libraries on the loader's default path. Every
// check runs on finished inputs before a byte of the artifact is written.

import { basename } from "node:path";
import type { Arch } from "../config.js";
import type { Diagnostic } from "../diagnostic.js";
import { BinshipError } from "../errors.js";
import type { ElfReport } from "../inspect/index.js";
import { compareVersions } from "../util/versions.js";

/** What a target system gives a dynamically linked executable. */
export interface TargetSystem {
  name: string; // how messages name it: "provided.al2023 (Amazon Linux 2023)", an image reference
  glibc: string; // highest GLIBC_x.y symbol version its libc defines
  glibcxx: string; // highest GLIBCXX_x.y.z its libstdc++ defines
  libraries: readonly string[]; // sonames on the loader's default path, the loaders included
}

/** What the artifact brings along beside the executable (a Lambda zip's lib/). */
export interface Shipped {
  glibc?: string; // the shipped libc.so.6's highest GLIBC version, when libc itself is shipped (then only shipped libraries are used)
  glibcxx?: string; // the shipped libstdc++.so.6's highest GLIBCXX version
  libraries: readonly string[]; // sonames shipped
}

/** How each kind of incompatibility is fixed for this kind of artifact. */
export interface TargetHints {
  arch: (built: Arch) => string; // the executable is for the other CPU
  glibc: string;
  glibcxx: string;
  library: (soname: string) => string;
}

/** A check's outcome: an error stops the artifact, a warning is returned with the result. */
export interface Finding extends Diagnostic {
  level: "error" | "warning";
}

const awsArch: Record<Arch, string> = { arm64: "arm64", x64: "x86_64" };
const error = (text: string, hint?: string): Finding => ({ level: "error", text, ...(hint ? { hint } : {}) });

/** 64-bit arm64 or x86-64, and the CPU the artifact is for. `what` names the artifact: "the zip". */
export function checkArch(report: ElfReport, arch: Arch, what: string, hints: Pick<TargetHints, "arch">): Finding[] {
  const name = basename(report.path);
  if (report.elfClass !== 64 || report.arch === undefined) {
    return [error(`${name} is a ${report.elfClass}-bit ${report.machine} executable; binship targets only 64-bit arm64 or x86_64`, "Build it with binship build --arch arm64 (or x64).")];
  }
  if (report.arch === arch) return [];
  return [error(`${name} is a ${report.arch} (${report.machine}) executable, but ${what} is for --arch ${arch} (${awsArch[arch]})`, hints.arch(report.arch))];
}

/** The executable's GLIBC/GLIBCXX needs, libraries and loader against the target plus what is shipped. */
export function checkTarget(report: ElfReport, target: TargetSystem, hints: TargetHints, shipped?: Shipped): Finding[] {
  const name = basename(report.path);
  const findings: Finding[] = [];
  const glibc = shipped?.glibc ?? target.glibc;
  const where = shipped?.glibc ? "the libc.so.6 bundled from the sysroot" : target.name;
  if (report.glibc && compareVersions(report.glibc, glibc) > 0) {
    findings.push(error(`${name} needs GLIBC_${report.glibc}, but ${where} has glibc ${glibc}`, hints.glibc));
  }
  const shippedNames = new Set(shipped?.libraries ?? []);
  // With its own glibc the artifact uses only its own libraries; otherwise the system's libstdc++
  // comes first and a shipped one is the fallback, so either may be the one loaded.
  const ownsLibstdcxx = shippedNames.has("libstdc++.so.6");
  if (report.glibcxx && !(ownsLibstdcxx && shipped?.glibc) && compareVersions(report.glibcxx, target.glibcxx) > 0) {
    findings.push(error(`${name} needs GLIBCXX_${report.glibcxx}, but ${target.name} has libstdc++ up to GLIBCXX_${target.glibcxx}`, hints.glibcxx));
  }
  if (report.glibcxx && ownsLibstdcxx && shipped?.glibcxx && compareVersions(report.glibcxx, shipped.glibcxx) > 0) {
    findings.push(error(`${name} needs GLIBCXX_${report.glibcxx}, but the libstdc++.so.6 shipped in lib/ has GLIBCXX_${shipped.glibcxx}`, hints.glibcxx));
  }
  const present = new Set([...target.libraries, ...shippedNames]);
  const missing = report.needed.filter((lib) => !present.has(lib));
  for (const lib of missing) findings.push(error(`${name} needs ${lib}, which ${target.name} does not have`, hints.library(lib)));
  const loader = report.interpreter ? basename(report.interpreter) : undefined;
  if (loader && !present.has(loader)) {
    findings.push(error(`${name} asks for the loader ${report.interpreter}, which ${target.name} does not have`, "Use an executable linked against glibc (binship build)."));
  }
  return findings;
}

/** Node SEA is what makes the binary a binship service: without the blob the runtime never starts. */
export function checkSea(report: ElfReport): Finding[] {
  if (report.sea) return [];
  return [error(`${basename(report.path)} has no Node single-executable blob, so it would not run the binship runtime`, "Pass an executable made by binship build, or build from source.")];
}

/** Throws one ARTIFACT_CHECK_FAILED naming every error; returns the warnings as diagnostics. */
export function enforce(findings: Finding[], artifact: string): Diagnostic[] {
  const toDiagnostic = ({ level: _level, ...d }: Finding): Diagnostic => d;
  const errors = findings.filter((f) => f.level === "error");
  if (errors.length === 0) return findings.filter((f) => f.level === "warning").map(toDiagnostic);
  const what = errors.length === 1 ? errors[0]!.text : `${errors.length} problems`;
  // One error: its hint is the error's. Several: each diagnostic carries its own.
  throw new BinshipError("ARTIFACT_CHECK_FAILED", `${artifact} was not written: ${what}`, {
    diagnostics: errors.length > 1 ? errors.map(toDiagnostic) : [],
    hint: errors.length === 1 ? errors[0]!.hint : undefined,
  });
}
