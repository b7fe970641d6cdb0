// What went into the bundle, by who wrote it: each npm package that contributed bytes (from
// esbuild's metafile: an input with bytesInOutput > 0, mapped to the package.json above it,
// with the lockfile's integrity), the service's own files, and binship's runtime. Packages
// esbuild read but tree-shook away contribute nothing and are not listed.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { Metafile } from "esbuild";
import type { BundleContents, BundledPackage } from "../inspect/build-info.js";
import { packageRoot } from "../paths.js";

export type { BundleContents, BundledPackage } from "../inspect/build-info.js";

interface PackageJson {
  name?: string;
  version?: string;
  license?: string | { type?: string };
  licenses?: { type?: string }[];
}

interface LockEntry {
  version?: string;
  integrity?: string;
}

const posix = (p: string) => p.split(sep).join("/");

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** The directory of the nearest package-lock.json (or npm-shrinkwrap.json) at or above `dir`. */
function findLockfile(dir: string): { root: string; packages: Record<string, LockEntry> } | undefined {
  for (let d = dir; ; d = dirname(d)) {
    for (const name of ["npm-shrinkwrap.json", "package-lock.json"]) {
      const lock = readJson<{ packages?: Record<string, LockEntry> }>(join(d, name));
      if (lock?.packages) return { root: d, packages: lock.packages };
    }
    if (dirname(d) === d) return undefined;
  }
}

function licenseOf(pkg: PackageJson): string | undefined {
  if (typeof pkg.license === "string") return pkg.license;
  if (pkg.license?.type) return pkg.license.type;
  const old = (pkg.licenses ?? []).map((l) => l.type).filter((t): t is string => !!t);
  return old.length ? old.join(" OR ") : undefined;
}

/** "/p/node_modules/@a/b/lib/x.js" -> the package directory and the file inside it. */
function packageDirOf(file: string): { dir: string; inner: string } | undefined {
  const parts = file.split(sep);
  const at = parts.lastIndexOf("node_modules");
  if (at === -1 || at + 1 >= parts.length) return undefined;
  const width = parts[at + 1]!.startsWith("@") ? 2 : 1;
  const dir = parts.slice(0, at + 1 + width).join(sep);
  return { dir, inner: parts.slice(at + 1 + width).join("/") };
}

const sortedRecord = (r: Map<string, number>) => Object.fromEntries([...r].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The nearest directory at or above `dir` with a package.json. */
function findProjectDir(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, "package.json"))) return d;
    if (dirname(d) === d) return undefined;
  }
}

/**
 * Attributes every byte of the bundle's JavaScript output to a package, a source file or the
 * runtime. The project root (where paths are relative to, and whose lockfile is read) is found
 * from the entry module's directory, not the working directory.
 */
export function bundleContents(metafile: Metafile, cwd: string, entryDir: string, isShim: (input: string) => boolean): BundleContents {
  const output = Object.entries(metafile.outputs).find(([path]) => !path.endsWith(".map"))?.[1];
  const lock = findLockfile(entryDir);
  const root = lock?.root ?? findProjectDir(entryDir) ?? cwd;
  const runtimeDir = join(packageRoot(), "src", "runtime") + sep;
  const packages = new Map<string, BundledPackage>();
  const sources = new Map<string, number>();
  let runtimeBytes = 0;
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    if (bytesInOutput === 0) continue; // read, then tree-shaken away
    if (isShim(input)) {
      runtimeBytes += bytesInOutput;
      continue;
    }
    const file = resolve(cwd, input);
    if (file.startsWith(runtimeDir)) {
      runtimeBytes += bytesInOutput;
      continue;
    }
    const owner = packageDirOf(file);
    const pkgJson = owner && readJson<PackageJson>(join(owner.dir, "package.json"));
    if (!owner || !pkgJson?.name) {
      const key = posix(relative(root, file));
      sources.set(key, (sources.get(key) ?? 0) + bytesInOutput);
      continue;
    }
    const path = posix(relative(root, owner.dir));
    let pkg = packages.get(path);
    if (!pkg) {
      const locked = lock?.packages[path];
      pkg = { name: pkgJson.name, version: pkgJson.version ?? locked?.version ?? "0.0.0", path, bytes: 0, files: {} };
      const license = licenseOf(pkgJson);
      if (license) pkg.license = license;
      if (locked?.integrity) pkg.integrity = locked.integrity;
      packages.set(path, pkg);
    }
    pkg.bytes += bytesInOutput;
    pkg.files[owner.inner] = (pkg.files[owner.inner] ?? 0) + bytesInOutput;
  }
  const app = readJson<PackageJson>(join(root, "package.json"));
  const result: BundleContents = {
    packages: [...packages.values()]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map((p) => ({ ...p, files: sortedRecord(new Map(Object.entries(p.files))) })),
    sources: sortedRecord(sources),
    runtimeBytes,
  };
  if (app && existsSync(join(root, "package.json"))) result.app = { ...(app.name ? { name: app.name } : {}), ...(app.version ? { version: app.version } : {}) };
  return result;
}
