// Checks run before a Lambda zip is written. Each is a plain function of what was inspected and
// the target, returning problems; the caller turns errors into one failure and prints warnings.

import { basename } from "node:path";
import type { Arch, LambdaRuntime } from "../../config.js";
import { BinshipError, type Diagnostic } from "../../errors.js";
import { compareVersions, type ElfReport } from "../../inspect/index.js";
import { formatBytes } from "../../log.js";
import { lambdaLimits, loaderNames, runtimeSpecs } from "./runtimes.js";

export interface LambdaTarget {
  arch: Arch;
  runtime: LambdaRuntime;
}

export interface Problem {
  level: "error" | "warning";
  text: string; // what is wrong
  hint?: string; // how to fix it
}

/** What the zip brings along in lib/: its own glibc (provided.al2) or only what the runtime lacks. */
export interface BundledLibraries {
  glibc?: string; // highest GLIBC version the bundled libc.so.6 defines, when libc is bundled
  names: string[]; // sonames in lib/
}

const awsArch: Record<Arch, string> = { arm64: "arm64", x64: "x86_64" };

export function checkArch(report: ElfReport, target: LambdaTarget): Problem[] {
  const name = basename(report.path);
  if (report.elfClass !== 64 || report.arch === undefined) {
    return [{ level: "error", text: `${name} is a ${report.elfClass}-bit ${report.machine} executable; Lambda runs only 64-bit arm64 or x86_64`, hint: "Build it with binship build --arch arm64 (or x64)." }];
  }
  if (report.arch === target.arch) return [];
  return [{
    level: "error",
    text: `${name} is a ${report.arch} (${report.machine}) executable, but the zip is for --arch ${target.arch} (${awsArch[target.arch]})`,
    hint: `Build the executable for ${target.arch}, or pack with --arch ${report.arch} and set the function's architecture to ${awsArch[report.arch]}.`,
  }];
}

/** The executable's required GLIBC/GLIBCXX versions and libraries against what will be there at run time. */
export function checkLibraries(report: ElfReport, target: LambdaTarget, bundled?: BundledLibraries): Problem[] {
  const spec = runtimeSpecs[target.runtime];
  const problems: Problem[] = [];
  const name = basename(report.path);
  const glibc = bundled?.glibc ?? spec.glibc;
  const where = bundled?.glibc ? "the libc.so.6 bundled from the sysroot" : `${target.runtime} (${spec.os})`;
  if (report.glibc && compareVersions(report.glibc, glibc) > 0) {
    problems.push({
      level: "error",
      text: `${name} requires GLIBC_${report.glibc}, but ${where} has glibc ${glibc}`,
      hint: bundled?.glibc
        ? "Point --sysroot at libraries at least that new (e.g. the build host's own)."
        : target.runtime === "provided.al2023"
          ? "Use an official Node binary (they need glibc 2.28), or one built for glibc <= 2.34; a binary from a newer distribution cannot start on Lambda."
          : "Pack for --runtime provided.al2023 (glibc 2.34), or let binship bundle a loader and libraries (the default for provided.al2).",
    });
  }
  const systemLibstdcxx = !bundled?.names.includes("libstdc++.so.6");
  if (report.glibcxx && systemLibstdcxx && compareVersions(report.glibcxx, spec.glibcxx) > 0) {
    problems.push({
      level: "error",
      text: `${name} requires GLIBCXX_${report.glibcxx}, but ${target.runtime} has libstdc++ up to GLIBCXX_${spec.glibcxx}`,
      hint: "Use an official Node binary (they need GLIBCXX_3.4.21 at most), or one built with an older C++ toolchain.",
    });
  }
  // The loader is a library too: x86-64 Node links against it (__tls_get_addr).
  const present = new Set([...spec.libraries, loaderNames[target.arch], ...(bundled?.names ?? [])]);
  const missing = report.needed.filter((lib) => !present.has(lib));
  if (missing.length > 0) {
    problems.push({
      level: "error",
      text: `${name} needs ${missing.join(", ")}, which ${target.runtime} (${spec.os}) does not have`,
      hint: "Add the library to the sysroot (--sysroot DIR) so it is shipped in lib/.",
    });
  }
  const loader = report.interpreter ? basename(report.interpreter) : undefined;
  if (loader && loader !== loaderNames[target.arch]) {
    problems.push({ level: "error", text: `${name} asks for the loader ${report.interpreter}, which Lambda's ${awsArch[target.arch]} runtimes do not have`, hint: "Use an executable linked against glibc (binship build)." });
  }
  return problems;
}

/** Node SEA is what makes the binary a binship service; without it the runtime never starts. */
export function checkSea(report: ElfReport): Problem[] {
  if (report.sea) return [];
  return [{ level: "warning", text: `${basename(report.path)} has no Node single-executable blob; it will not run the binship runtime loop`, hint: "Pack an executable made by binship build, or pack from source." }];
}

export function checkUnzippedSize(unzippedBytes: number): Problem[] {
  if (unzippedBytes < lambdaLimits.unzipped) return [];
  return [{
    level: "error",
    text: `the package is ${formatBytes(unzippedBytes)} (${unzippedBytes} bytes) unzipped; Lambda refuses more than ${lambdaLimits.unzipped} bytes (250 MB)`,
    hint: "Keep strip on (--strip), drop unused dependencies from the bundle, or deploy as a container image (binship pack container).",
  }];
}

export function checkZippedSize(zippedBytes: number): Problem[] {
  if (zippedBytes <= lambdaLimits.zippedDirectUpload) return [];
  return [{
    level: "warning",
    text: `the zip is ${formatBytes(zippedBytes)}: over the 50 MB limit for direct upload, so Lambda needs it from S3`,
    hint: "Upload it to an S3 bucket and deploy with --s3-bucket/--s3-key (aws lambda update-function-code) or your IaC's S3 code source.",
  }];
}

/** `bootstrap` is what Lambda executes: it must be at the root and executable. */
export function checkBootstrap(entries: { name: string; mode: number }[]): Problem[] {
  const bootstrap = entries.find((e) => e.name === "bootstrap");
  if (!bootstrap) return [{ level: "error", text: "the package has no bootstrap at its root (a bug in binship)" }];
  if ((bootstrap.mode & 0o755) !== 0o755) return [{ level: "error", text: `bootstrap has mode ${bootstrap.mode.toString(8)}, Lambda needs 0755 (a bug in binship)` }];
  return [];
}

/** Throws one ARTIFACT_CHECK_FAILED for all errors; returns the warnings. */
export function enforce(problems: Problem[], artifact: string): Problem[] {
  const errors = problems.filter((p) => p.level === "error");
  if (errors.length === 0) return problems.filter((p) => p.level === "warning");
  const diagnostics: Diagnostic[] = errors.map((p) => ({ text: p.text, suggestion: p.hint }));
  const first = errors[0]!;
  return fail(artifact, errors.length === 1 ? first.text : `${errors.length} problems`, diagnostics.length > 1 ? diagnostics : [], first.hint);
}

function fail(artifact: string, what: string, diagnostics: Diagnostic[], hint?: string): never {
  throw new BinshipError("ARTIFACT_CHECK_FAILED", `${artifact} was not written: ${what}`, { diagnostics, hint });
}
