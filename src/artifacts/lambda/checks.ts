// Checks run before a Lambda zip is written. Each is a plain function of what was inspected and
// the target, returning findings; `enforce` (artifacts/target.ts) turns errors into one failure
// and hands back the warnings.

import type { Arch, LambdaRuntime } from "../../config.js";
import type { ElfReport } from "../../inspect/index.js";
import { formatBytes } from "../../log.js";
import { checkArch, checkTarget, type Finding, type Shipped, type TargetHints, type TargetSystem } from "../target.js";
import { lambdaLimits, loaderNames, runtimeSpecs } from "./runtimes.js";

export { checkSea, enforce, type Finding } from "../target.js";

export interface LambdaTarget {
  arch: Arch;
  runtime: LambdaRuntime;
}

const awsArch: Record<Arch, string> = { arm64: "arm64", x64: "x86_64" };

/** The runtime as a target system: its libraries plus the arch's loader (x86-64 Node links it). */
export function lambdaSystem(target: LambdaTarget): TargetSystem {
  const spec = runtimeSpecs[target.runtime];
  return { name: `${target.runtime} (${spec.os})`, glibc: spec.glibc, glibcxx: spec.glibcxx, libraries: [...spec.libraries, loaderNames[target.arch]] };
}

function hints(target: LambdaTarget, shipped?: Shipped): TargetHints {
  return {
    arch: (built) => `Build the executable for ${target.arch}, or pack with --arch ${built} and set the function's architecture to ${awsArch[built]}.`,
    glibc: shipped?.glibc
      ? "Point --sysroot at libraries at least that new (e.g. the build host's own)."
      : target.runtime === "provided.al2023"
        ? "Use an official Node binary (they need glibc 2.28), or one built for glibc <= 2.34; a binary from a newer distribution cannot start on Lambda."
        : "Pack for --runtime provided.al2023 (glibc 2.34), or let binship bundle a loader and libraries (the default for provided.al2).",
    glibcxx: "Use an official Node binary (they need GLIBCXX_3.4.21 at most), or one built with an older C++ toolchain.",
    library: () => "Add the library to the sysroot (--sysroot DIR) so it is shipped in lib/.",
  };
}

/** The executable against the runtime and what the zip ships in lib/; the arch first, since a wrong one fails everything else too. */
export function checkExecutable(report: ElfReport, target: LambdaTarget, shipped?: Shipped): Finding[] {
  const arch = checkArch(report, target.arch, "the zip", hints(target));
  if (arch.length > 0) return arch;
  return checkTarget(report, lambdaSystem(target), hints(target, shipped), shipped);
}

export function checkUnzippedSize(unzippedBytes: number): Finding[] {
  if (unzippedBytes < lambdaLimits.unzipped) return [];
  return [{
    level: "error",
    text: `the package is ${formatBytes(unzippedBytes)} (${unzippedBytes} bytes) unzipped; Lambda refuses more than ${lambdaLimits.unzipped} bytes (250 MB)`,
    hint: "Keep strip on (--strip), drop unused dependencies from the bundle, or deploy as a container image (binship pack container).",
  }];
}

export function checkZippedSize(zippedBytes: number): Finding[] {
  if (zippedBytes <= lambdaLimits.zippedDirectUpload) return [];
  return [{
    level: "warning",
    text: `the zip is ${formatBytes(zippedBytes)}: over the 50 MB limit for direct upload, so Lambda needs it from S3`,
    hint: "Upload it to an S3 bucket and deploy with --s3-bucket/--s3-key (aws lambda update-function-code) or your IaC's S3 code source.",
  }];
}

/** `bootstrap` is what Lambda executes: it must be at the root and executable. */
export function checkBootstrap(entries: { name: string; mode: number }[]): Finding[] {
  const bootstrap = entries.find((e) => e.name === "bootstrap");
  if (!bootstrap) return [{ level: "error", text: "the package has no bootstrap at its root (a bug in binship)" }];
  if ((bootstrap.mode & 0o755) !== 0o755) return [{ level: "error", text: `bootstrap has mode ${bootstrap.mode.toString(8)}, Lambda needs 0755 (a bug in binship)` }];
  return [];
}
