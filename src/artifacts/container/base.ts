// What the default base images hold, and whether an executable can start on one. The
// executable is checked before anything is written: a missing library would otherwise show up
// only as a CrashLoopBackOff ("error while loading shared libraries") after the deploy.

import type { Arch } from "../../config.js";
import { BinshipError } from "../../errors.js";
import { compareVersions, type ElfReport } from "../../inspect/index.js";

/** What a base image provides to a dynamically linked executable. */
export interface BaseContents {
  image: string; // repository the table describes, without tag or digest
  glibc: string; // glibc version of its libc6
  glibcxx: string; // highest GLIBCXX symbol version of its libstdc++6
  libraries: readonly string[]; // sonames on the loader's default path, loaders included
}

// gcr.io/distroless/cc-debian13 = base (libc6, libssl3t64, libzstd1, zlib1g; ca-certificates,
// tzdata, netbase, /etc/passwd with nonroot 65532) + libgcc-s1, libgomp1, libstdc++6,
// gcc-14-base (GoogleContainerTools/distroless: base/config.bzl, cc/config.bzl). Debian 13
// ships glibc 2.41 and GCC 14's libstdc++ (GLIBCXX_3.4.33). Not in it: libatomic1.
export const distrolessCc: BaseContents = {
  image: "gcr.io/distroless/cc-debian13",
  glibc: "2.41",
  glibcxx: "3.4.33",
  libraries: [
    // libc6
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
    "libc.so.6",
    "libm.so.6",
    "libmvec.so.1",
    "libdl.so.2",
    "libpthread.so.0",
    "librt.so.1",
    "libresolv.so.2",
    "libutil.so.1",
    "libanl.so.1",
    "libBrokenLocale.so.1",
    "libc_malloc_debug.so.0",
    "libnss_files.so.2",
    "libnss_dns.so.2",
    "libnss_compat.so.2",
    "libnss_hesiod.so.2",
    "libthread_db.so.1",
    // libgcc-s1, libstdc++6, libgomp1
    "libgcc_s.so.1",
    "libstdc++.so.6",
    "libgomp.so.1",
    // libssl3t64, zlib1g, libzstd1
    "libssl.so.3",
    "libcrypto.so.3",
    "libz.so.1",
    "libzstd.so.1",
  ],
};

export const defaultExecutableBase = `${distrolessCc.image}:nonroot`;

/** Node majors with a distroless Node image on Debian 13 (distroless nodejs/config.bzl). */
export const distrolessNodeMajors: readonly number[] = [22, 24];
export const distrolessNodeImage = (major: number): string => `gcr.io/distroless/nodejs${major}-debian13:nonroot`;

/** The repository part of an image reference: no tag, no digest. */
export function imageRepository(ref: string): string {
  const noDigest = ref.split("@")[0]!;
  const lastSlash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
}

/** The known contents of `base`, or undefined for an image binship has no table for. */
export function knownBaseContents(base: string): BaseContents | undefined {
  return imageRepository(base) === distrolessCc.image ? distrolessCc : undefined;
}

/** One reason an executable cannot start on a base, with the fix. */
export interface Incompatibility {
  problem: string;
  hint: string;
}

const libatomicHint =
  "Node 26 and later link libatomic.so.1. Use --layout bundle (Node from the distroless Node image), " +
  "build with --node 24, or pass --base with an image that has libatomic.so.1 (binship then skips this check).";

/**
 * Everything that keeps `report` from starting on `base` as `arch`; empty when it fits. Without
 * a table for the base (a custom --base) only the architecture can be checked.
 */
export function findIncompatibilities(report: ElfReport, arch: Arch, base: BaseContents | undefined, baseRef: string): Incompatibility[] {
  const out: Incompatibility[] = [];
  const file = report.path.split("/").pop();
  if (report.arch !== arch) {
    out.push({ problem: `${file} is built for ${report.machine}, not ${arch}`, hint: "Rebuild it for the requested --arch." });
  }
  if (!base) return out;
  const wanted = [...(report.interpreter ? [report.interpreter.split("/").pop()!] : []), ...report.needed];
  const missing = [...new Set(wanted.filter((lib) => !base.libraries.includes(lib)))];
  for (const lib of missing) {
    out.push({
      problem: `${file} needs ${lib}, which ${baseRef} does not contain`,
      hint: lib.startsWith("libatomic.so")
        ? libatomicHint
        : `Use --layout bundle, or pass --base with an image that has ${lib} (binship then skips this check).`,
    });
  }
  if (report.glibc && compareVersions(report.glibc, base.glibc) > 0) {
    out.push({
      problem: `${file} needs GLIBC_${report.glibc}, and ${baseRef} has glibc ${base.glibc}`,
      hint: "Build with an older --node, or use a base with a newer glibc (--base).",
    });
  }
  if (report.glibcxx && compareVersions(report.glibcxx, base.glibcxx) > 0) {
    out.push({
      problem: `${file} needs GLIBCXX_${report.glibcxx}, and ${baseRef} has GLIBCXX_${base.glibcxx}`,
      hint: "Build with an older --node, or use a base with a newer libstdc++ (--base).",
    });
  }
  return out;
}

/** Throws ARTIFACT_CHECK_FAILED naming every problem when `report` cannot start on `base`. */
export function checkBaseCompatibility(report: ElfReport, arch: Arch, base: BaseContents | undefined, baseRef: string): void {
  const problems = findIncompatibilities(report, arch, base, baseRef);
  if (problems.length === 0) return;
  throw new BinshipError("ARTIFACT_CHECK_FAILED", problems.length === 1 ? problems[0]!.problem : `the executable cannot start on ${baseRef}`, {
    diagnostics: problems.length === 1 ? [] : problems.map((p) => ({ text: p.problem })),
    hint: [...new Set(problems.map((p) => p.hint))].join(" "),
  });
}
