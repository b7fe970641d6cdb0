// provided.al2 has glibc 2.26 and official Node binaries need 2.28, so the zip carries its own
// loader and every library the executable needs, found in a sysroot: the host's own libraries for
// a same-arch build, the Debian cross packages for the other arch, or --sysroot DIR. For
// provided.al2023 only what it lacks is taken from there (Node 26's libatomic).

import { existsSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { join } from "node:path";
import type { Arch } from "../../config.js";
import { BinshipError } from "../../errors.js";
import { inspectFile, type ElfReport } from "../../inspect/index.js";
import { loaderNames } from "./runtimes.js";

const triplets: Record<Arch, string> = { x64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu" };
const crossPackages: Record<Arch, string> = {
  x64: "libc6-amd64-cross libstdc++6-amd64-cross libgcc-s1-amd64-cross",
  arm64: "libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross",
};
const nativePackages = "libc6 libstdc++6 libgcc-s1";
const crossSuffix: Record<Arch, string> = { x64: "-amd64-cross", arm64: "-arm64-cross" };
// Debian packages of libraries beyond glibc/libstdc++/libgcc_s that Node binaries may need.
const otherPackages: Record<string, string> = { "libatomic.so.1": "libatomic1" };

export interface Sysroot {
  dirs: string[]; // library directories searched in order
  packages: string; // Debian packages that provide them, for messages
  explicit: boolean; // given with --sysroot
  suffix: string; // "" for the host's own packages, "-arm64-cross" etc. for a cross root
}

/** Library directories of a root laid out like Debian (multiarch), Fedora/Amazon Linux (lib64) or a cross dir. */
function dirsUnder(root: string, arch: Arch): string[] {
  const t = triplets[arch];
  return [join(root, "lib", t), join(root, "usr", "lib", t), join(root, "lib64"), join(root, "usr", "lib64"), join(root, "lib"), join(root, "usr", "lib")];
}

/** Where the libraries for `arch` are when building on `hostArch`. */
export function defaultSysroot(arch: Arch, hostArch: Arch, explicitRoot?: string): Sysroot {
  const native = arch === hostArch;
  const packaging = native ? { packages: nativePackages, suffix: "" } : { packages: crossPackages[arch], suffix: crossSuffix[arch] };
  if (explicitRoot) return { dirs: dirsUnder(explicitRoot, arch), ...packaging, explicit: true };
  if (native) return { dirs: dirsUnder("/", arch), ...packaging, explicit: false };
  return { dirs: [join("/usr", triplets[arch], "lib")], ...packaging, explicit: false };
}

export interface BundledLibrary {
  name: string; // soname, the file name inside lib/
  path: string; // the real file it comes from (symlinks resolved)
}

export interface SysrootLibraries {
  loader?: BundledLibrary; // ld-linux-*.so.*, when the zip brings its own glibc (provided.al2)
  libraries: BundledLibrary[]; // what goes into lib/ (with the loader, everything the executable needs)
  glibc?: string; // highest GLIBC version the bundled libc.so.6 defines, when libc is bundled
  glibcxx?: string; // highest GLIBCXX version the bundled libstdc++.so.6 defines, when it is bundled
}

async function find(name: string, sysroot: Sysroot): Promise<string | undefined> {
  for (const dir of sysroot.dirs) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return realpath(candidate);
  }
  return undefined;
}

function missing(names: string[], arch: Arch, sysroot: Sysroot, runtime: string): BinshipError {
  const where = sysroot.dirs.slice(0, 3).join(", ");
  const extra = names.filter((n) => otherPackages[n]).map((n) => `${otherPackages[n]}${sysroot.suffix}`);
  const packages = [...(runtime === "provided.al2" ? [sysroot.packages] : []), ...extra].join(" ") || sysroot.packages;
  return new BinshipError("TOOL_MISSING", `the ${arch} libraries for ${runtime} were not found: ${names.join(", ")} (looked in ${where}${sysroot.dirs.length > 3 ? ", …" : ""})`, {
    hint: sysroot.explicit
      ? `Point --sysroot at a root that holds the ${arch} ${names.join(", ")} (Debian: ${packages}).`
      : `Install them (Debian/Ubuntu: apt-get install ${packages}), or pass --sysroot DIR.`,
  });
}

/** Walks DT_NEEDED from `roots` through the sysroot, skipping what `provided` already has. */
async function resolveNeeded(roots: string[], arch: Arch, sysroot: Sysroot, provided: ReadonlySet<string>, runtime: string): Promise<Map<string, ElfReport>> {
  const found = new Map<string, ElfReport>();
  const absent: string[] = [];
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (provided.has(name) || found.has(name) || absent.includes(name)) continue;
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
    found.set(name, report);
    queue.push(...report.needed);
  }
  if (absent.length > 0) throw missing(absent, arch, sysroot, runtime);
  return found;
}

const sorted = (found: Map<string, ElfReport>): BundledLibrary[] =>
  [...found].map(([name, report]) => ({ name, path: report.path })).sort((a, b) => (a.name < b.name ? -1 : 1));

/** A zip that brings its own loader and glibc (provided.al2). */
export interface OwnGlibc extends SysrootLibraries {
  loader: BundledLibrary;
  glibc: string;
}

/** provided.al2: the loader, glibc and everything else the executable needs, transitively. */
export async function collectLibraries(executable: ElfReport, arch: Arch, sysroot: Sysroot): Promise<OwnGlibc> {
  const loaderName = loaderNames[arch];
  const found = await resolveNeeded([loaderName, ...executable.needed], arch, sysroot, new Set(), "provided.al2");
  const glibc = found.get("libc.so.6")?.glibcProvided;
  if (!glibc) throw missing(["libc.so.6"], arch, sysroot, "provided.al2");
  const glibcxx = found.get("libstdc++.so.6")?.glibcxxProvided;
  return { loader: { name: loaderName, path: found.get(loaderName)!.path }, libraries: sorted(found), glibc, ...(glibcxx ? { glibcxx } : {}) };
}

/**
 * provided.al2023: only what the runtime lacks (Node 26 needs libatomic.so.1). Lambda's
 * LD_LIBRARY_PATH includes $LAMBDA_TASK_ROOT/lib ("Defined runtime environment variables",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html), so lib/ is enough.
 */
export async function collectMissing(executable: ElfReport, arch: Arch, sysroot: Sysroot, provided: ReadonlySet<string>): Promise<BundledLibrary[]> {
  return sorted(await resolveNeeded(executable.needed, arch, sysroot, provided, "provided.al2023"));
}

export interface LibraryChoice {
  arch: Arch; // target CPU
  runtime: "provided.al2023" | "provided.al2"; // target runtime
  hostArch: Arch; // the build machine's CPU: picks the default sysroot
  sysroot?: string; // --sysroot
  present: ReadonlySet<string>; // sonames the runtime has (its libraries and loader)
}

/** lib/ for the zip: a whole glibc for provided.al2, else only what the runtime lacks (often nothing). */
export async function librariesFor(report: ElfReport, choice: LibraryChoice): Promise<SysrootLibraries | undefined> {
  const sysroot = () => defaultSysroot(choice.arch, choice.hostArch, choice.sysroot);
  if (choice.runtime === "provided.al2") return collectLibraries(report, choice.arch, sysroot());
  // A wrong arch fails its check later, with a clearer message than a library search would give.
  if (report.arch !== choice.arch || report.needed.every((lib) => choice.present.has(lib))) return undefined;
  return { libraries: await collectMissing(report, choice.arch, sysroot(), choice.present) };
}
