// What the default base images hold. The executable layout checks its executables against it
// (artifacts/target.ts) before anything is written: a missing library would otherwise show up
// only as a CrashLoopBackOff ("error while loading shared libraries") after the deploy.

import type { Arch } from "../../config.js";
import type { DockerArch } from "./recipe.js";

/** What a base image provides to a dynamically linked executable (a TargetSystem, named by its reference). */
export interface BaseContents {
  image: string; // repository the table describes, without tag or digest
  glibc: string; // glibc version of its libc6
  glibcxx: string; // highest GLIBCXX symbol version of its libstdc++6
  libraries: readonly string[]; // sonames on the loader's default path, loaders included
}

export const dockerArchOf = (arch: Arch): DockerArch => (arch === "x64" ? "amd64" : "arm64");

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
