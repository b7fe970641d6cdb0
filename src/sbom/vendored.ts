// The libraries binship itself vendors for provided.al2023 zips (fallback-libs/, Debian 11's
// libstdc++6 and libgcc-s1): their manifest names the Debian package and version each file came
// from, so an SBOM can name them by content on any machine, Debian or not.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../paths.js";
import type { DebianPackage } from "./debian.js";

interface Manifest {
  source?: string; // "Debian 11 (bullseye) main"
  packages: { arch: string; package: string; version: string; deb: string }[];
  files: Record<string, string>; // "linux-x64/libstdc++.so.6" -> sha256
}

// Which package ships which soname (Debian's library package naming).
const packageOfFile: Record<string, string> = { "libstdc++.so.6": "libstdc++6", "libgcc_s.so.1": "libgcc-s1" };

/** sha256 of a vendored file -> its Debian package. Empty when the manifest is missing. */
export function vendoredPackagesBySha256(root = packageRoot()): Map<string, DebianPackage> {
  const found = new Map<string, DebianPackage>();
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, "fallback-libs", "manifest.json"), "utf8")) as Manifest;
  } catch {
    return found;
  }
  const release = /Debian (\d+)/.exec(manifest.source ?? "")?.[1];
  for (const [file, sha256] of Object.entries(manifest.files ?? {})) {
    const [dir, name] = file.split("/") as [string, string];
    const pkg = manifest.packages.find((p) => `linux-${p.arch}` === dir && p.package === packageOfFile[name]);
    // The .deb's file name carries Debian's architecture name (amd64, arm64).
    const debArch = pkg && /_([a-z0-9]+)\.deb$/.exec(pkg.deb)?.[1];
    if (pkg && debArch) found.set(sha256, { name: pkg.package, version: pkg.version, arch: debArch, ...(release ? { distro: `debian-${release}` } : {}) });
  }
  return found;
}
