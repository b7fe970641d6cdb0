// provided.al2 has glibc 2.26 and official Node binaries need 2.28, so the zip carries its own
// loader and every library the executable needs, found in a sysroot: the host's own libraries for
// a same-arch build, the Debian cross packages for the other arch, or --sysroot DIR.

import { existsSync } from "node:fs";
import { readFile, realpath } from "node:fs/promises";
import { join } from "node:path";
import type { Arch } from "../../config.js";
import { BinshipError } from "../../errors.js";
import { compareVersions, inspectFile, type ElfReport } from "../../inspect/index.js";
import { loaderNames } from "./runtimes.js";

const triplets: Record<Arch, string> = { x64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu" };
const crossPackages: Record<Arch, string> = {
  x64: "libc6-amd64-cross libstdc++6-amd64-cross libgcc-s1-amd64-cross",
  arm64: "libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross",
};
const nativePackages = "libc6 libstdc++6 libgcc-s1";

export interface Sysroot {
  dirs: string[]; // library directories searched in order
  packages: string; // Debian packages that provide them, for messages
  explicit: boolean; // given with --sysroot
}

/** Library directories of a root laid out like Debian (multiarch), Fedora/Amazon Linux (lib64) or a cross dir. */
function dirsUnder(root: string, arch: Arch): string[] {
  const t = triplets[arch];
  return [join(root, "lib", t), join(root, "usr", "lib", t), join(root, "lib64"), join(root, "usr", "lib64"), join(root, "lib"), join(root, "usr", "lib")];
}

/** Where the libraries for `arch` are when building on `hostArch`. */
export function defaultSysroot(arch: Arch, hostArch: Arch, explicitRoot?: string): Sysroot {
  if (explicitRoot) return { dirs: dirsUnder(explicitRoot, arch), packages: arch === hostArch ? nativePackages : crossPackages[arch], explicit: true };
  if (arch === hostArch) return { dirs: dirsUnder("/", arch), packages: nativePackages, explicit: false };
  return { dirs: [join("/usr", triplets[arch], "lib")], packages: crossPackages[arch], explicit: false };
}

export interface BundledLibrary {
  name: string; // soname, the file name inside lib/
  path: string; // the real file it comes from (symlinks resolved)
}

export interface SysrootLibraries {
  loader: BundledLibrary; // ld-linux-*.so.*
  libraries: BundledLibrary[]; // everything the executable needs, transitively, loader included
  glibc: string; // highest GLIBC version the bundled libc.so.6 defines
}

async function find(name: string, sysroot: Sysroot): Promise<string | undefined> {
  for (const dir of sysroot.dirs) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return realpath(candidate);
  }
  return undefined;
}

function missing(names: string[], arch: Arch, sysroot: Sysroot): BinshipError {
  const where = sysroot.dirs.slice(0, 3).join(", ");
  return new BinshipError("TOOL_MISSING", `the ${arch} libraries for provided.al2 were not found: ${names.join(", ")} (looked in ${where}${sysroot.dirs.length > 3 ? ", …" : ""})`, {
    hint: sysroot.explicit
      ? `Point --sysroot at a root that holds the ${arch} glibc, libstdc++ and libgcc_s (Debian: ${sysroot.packages}).`
      : `Install them (Debian/Ubuntu: apt-get install ${sysroot.packages}), or pass --sysroot DIR.`,
  });
}

/** Highest GLIBC_x.y version a libc.so.6 defines: the version names sit in its dynamic string table. */
export function definedGlibc(libc: Buffer): string | undefined {
  let best: string | undefined;
  for (const m of libc.toString("latin1").matchAll(/GLIBC_(2\.\d+(?:\.\d+)?)\0/g)) {
    if (!best || compareVersions(m[1]!, best) > 0) best = m[1]!;
  }
  return best;
}

/** Resolves the executable's DT_NEEDED entries, and theirs, in the sysroot. */
export async function collectLibraries(executable: ElfReport, arch: Arch, sysroot: Sysroot): Promise<SysrootLibraries> {
  const loaderName = loaderNames[arch];
  const found = new Map<string, string>();
  const absent: string[] = [];
  const queue = [loaderName, ...executable.needed];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (found.has(name) || absent.includes(name)) continue;
    const path = await find(name, sysroot);
    if (!path) {
      absent.push(name);
      continue;
    }
    const report = await inspectFile(path);
    if (report.arch !== arch) {
      throw new BinshipError("ARTIFACT_CHECK_FAILED", `${path} is built for ${report.arch ?? report.machine}, not ${arch}`, {
        hint: `Point --sysroot at ${arch} libraries (Debian: ${sysroot.packages}).`,
      });
    }
    found.set(name, path);
    queue.push(...report.needed);
  }
  if (absent.length > 0) throw missing(absent, arch, sysroot);
  const libcPath = found.get("libc.so.6");
  const glibc = libcPath ? definedGlibc(await readFile(libcPath)) : undefined;
  if (!glibc) throw missing(["libc.so.6"], arch, sysroot);
  const libraries = [...found].map(([name, path]) => ({ name, path })).sort((a, b) => (a.name < b.name ? -1 : 1));
  return { loader: { name: loaderName, path: found.get(loaderName)! }, libraries, glibc };
}
