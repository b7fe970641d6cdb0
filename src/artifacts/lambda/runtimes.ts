// What each OS-only Lambda runtime offers a binary, and Lambda's size quotas. Plain data, so
// the checks stay plain functions.

import type { Arch, LambdaRuntime } from "../../config.js";
import { diagnostic, type Diagnostic } from "../../diagnostic.js";

export interface RuntimeSpec {
  os: string; // for messages
  glibc: string; // highest GLIBC_x.y symbol version the system libc defines
  glibcxx: string; // highest GLIBCXX_x.y.z the system libstdc++ defines
  libraries: readonly string[]; // sonames a binary may rely on finding in the system
  deprecated?: { date: string; note: string }; // AWS deprecation, for the warning
}

// glibc 2.26 (AL2) and 2.34 (AL2023): "Improved toolchain: gcc, binutils, and glibc",
// https://docs.aws.amazon.com/linux/al2023/ug/glibc-gcc-and-binutils.html (gcc 7.3 and 11 give
// GLIBCXX_3.4.24 and 3.4.29; AL2023 moved its libstdc++ to gcc 14's in 2025, so 3.4.29 is the
// floor every provided.al2023 function has). provided.al2023 is built from the AL2023 minimal
// container image (https://docs.aws.amazon.com/linux/al2023/ug/lambda.html), which holds glibc,
// libgcc and libstdc++ (its package manager's libdnf is C++) but not libatomic.
const glibcLibraries = ["libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libresolv.so.2", "libutil.so.1"];

export const runtimeSpecs: Record<LambdaRuntime, RuntimeSpec> = {
  "provided.al2023": {
    os: "Amazon Linux 2023",
    glibc: "2.34",
    glibcxx: "3.4.29",
    libraries: [...glibcLibraries, "libstdc++.so.6", "libgcc_s.so.1"],
  },
  "provided.al2": {
    os: "Amazon Linux 2",
    glibc: "2.26",
    glibcxx: "3.4.24",
    libraries: [...glibcLibraries, "libstdc++.so.6", "libgcc_s.so.1"],
    // "When to use Lambda's OS-only runtimes", https://docs.aws.amazon.com/lambda/latest/dg/runtimes-provided.html
    deprecated: { date: "2026-07-31", note: "AWS blocks creating, then updating, functions on it after that" },
  },
};

/** The dynamic loader each arch's executables name as their interpreter. */
export const loaderNames: Record<Arch, string> = {
  x64: "ld-linux-x86-64.so.2",
  arm64: "ld-linux-aarch64.so.1",
};

// "Lambda quotas", https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html:
// 50 MB zipped when uploaded directly (larger goes through S3), 250 MB unzipped in all cases;
// the API's error names the byte count: "Unzipped size must be smaller than 262144000 bytes".
export const lambdaLimits = {
  zippedDirectUpload: 50 * 1024 * 1024, // bytes
  unzipped: 262_144_000, // bytes
} as const;

/** A warning for a runtime AWS has deprecated; empty for a current one. */
export function runtimeWarnings(runtime: LambdaRuntime): Diagnostic[] {
  const deprecated = runtimeSpecs[runtime].deprecated;
  return deprecated ? [diagnostic(`${runtime} is deprecated by AWS since ${deprecated.date} (${deprecated.note})`, "Use --runtime provided.al2023.")] : [];
}
