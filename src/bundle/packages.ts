// What went into the bundle, by who wrote it: each npm package that contributed bytes (from
// esbuild's metafile: an input with bytesInOutput > 0, mapped to the package.json above it,
// with the lockfile's integrity), the service's own files, and binship's runtime. Packages
// esbuild read but tree-shook away contribute nothing and are not listed. Code under
// node_modules in a folder without a package.json of its own (Prisma's generated
// `.prisma/client`) belongs to the package that imports it.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { Metafile } from "esbuild";
import type { BundleContents, BundledPackage } from "../inspect/build-info.js";

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

/** The nearest package-lock.json (or npm-shrinkwrap.json) at or above `dir`, and its directory. */
function findLockfile(dir: string): { root: string; path: string; packages: Record<string, LockEntry> } | undefined {
  for (let d = dir; ; d = dirname(d)) {
    for (const name of ["npm-shrinkwrap.json", "package-lock.json"]) {
      const lock = readJson<{ packages?: Record<string, LockEntry> }>(join(d, name));
      if (lock?.packages) return { root: d, path: join(d, name), packages: lock.packages };
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
 * The project root, found from the entry module's directory (not the working directory): the
 * lockfile's directory, else the nearest package.json's; a project with neither is the working
 * directory when the entry is inside it, else the entry's directory. Bundle paths (esbuild's
 * working directory, the SBOM's source files) are relative to it.
 */
export function projectRoot(entryDir: string, cwd: string): string {
  const found = findLockfile(entryDir)?.root ?? findProjectDir(entryDir);
  if (found) return found;
  return entryDir === cwd || entryDir.startsWith(cwd.endsWith(sep) ? cwd : cwd + sep) ? cwd : entryDir;
}

const named = (dir: string) => {
  const pkg = readJson<PackageJson>(join(dir, "package.json"));
  return pkg?.name ? pkg : undefined;
};

function importersOf(metafile: Metafile): Map<string, string[]> {
  const importers = new Map<string, string[]>();
  for (const [from, { imports }] of Object.entries(metafile.inputs)) {
    for (const { path } of imports) importers.set(path, [...(importers.get(path) ?? []), from]);
  }
  return importers;
}

/**
 * The package (with a name) whose module imports `input`, directly or through other files
 * without a package of their own; breadth-first over importers in name order, so the answer
 * does not depend on the metafile's order.
 */
function importingPackage(input: string, importers: Map<string, string[]>, root: string): { dir: string; pkg: PackageJson } | undefined {
  const seen = new Set([input]);
  for (let queue = [input]; queue.length > 0; ) {
    const next: string[] = [];
    for (const at of queue) {
      for (const from of (importers.get(at) ?? []).sort()) {
        if (seen.has(from)) continue;
        seen.add(from);
        const owner = packageDirOf(resolve(root, from));
        const pkg = owner && named(owner.dir);
        if (owner && pkg) return { dir: owner.dir, pkg };
        if (owner) next.push(from); // another generated file: keep climbing
      }
    }
    queue = next;
  }
  return undefined;
}

/**
 * Attributes every byte of the bundle's JavaScript output to a package, a source file or the
 * runtime. Metafile inputs are relative to `root` (esbuild's working directory, from
 * projectRoot). `lockfile` is the file whose versions and integrity were read: the bundle's
 * record depends on it as on a source.
 */
export function bundleContents(metafile: Metafile, root: string, isRuntime: (input: string) => boolean): { contents: BundleContents; lockfile?: string } {
  const output = Object.entries(metafile.outputs).find(([path]) => !path.endsWith(".map"))?.[1];
  const lock = findLockfile(root);
  const packages = new Map<string, BundledPackage>();
  const sources = new Map<string, number>();
  let runtimeBytes = 0;
  let importers: Map<string, string[]> | undefined;
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    if (bytesInOutput === 0) continue; // read, then tree-shaken away
    if (isRuntime(input)) {
      runtimeBytes += bytesInOutput;
      continue;
    }
    const file = resolve(root, input);
    let owner = packageDirOf(file);
    let pkgJson = owner && named(owner.dir);
    if (owner && !pkgJson) {
      // A generated folder inside node_modules: attributed to its nearest importing package,
      // its files keyed by their path from the project root.
      importers ??= importersOf(metafile);
      const importer = importingPackage(input, importers, root);
      if (importer) {
        owner = { dir: importer.dir, inner: posix(relative(root, file)) };
        pkgJson = importer.pkg;
      }
    }
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
  return { contents: result, ...(lock ? { lockfile: lock.path } : {}) };
}
