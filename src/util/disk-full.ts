// A full disk in words a user can act on: the file system that filled (its mount point, size
// and free space), the output that was being written rather than the temporary file beside it
// or the cache file it was copied from, and what to do: free space there, move the output, the
// cache or $TMPDIR to another disk, or remove binship's cache (its size is shown when it is on
// that disk). io-error.ts hands ENOSPC and EDQUOT here.

import { lstatSync, readdirSync, readFileSync, statfsSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { BinshipError } from "../errors.js";

const problems: Record<string, string> = { ENOSPC: "the disk is full", EDQUOT: "the disk quota is exhausted" };

/** Directories binship writes on its own (the cache, $TMPDIR), named in a full disk's hint. */
export interface OwnedDir {
  dir: string;
  label: string; // "$TMPDIR", "binship's cache"
  elsewhere: string; // how to move it to another disk: "set BINSHIP_CACHE_DIR to a directory on another disk"
  removable?: string; // set when all of it may go: "binship's cache", its size is then shown
  names?: RegExp; // only entries whose name matches are binship's (its scratch in $TMPDIR)
}

// Process-wide, like the interrupt registry: the writes that fill a disk happen deep inside
// stages, and only the CLI knows where the cache and $TMPDIR are.
const owned: OwnedDir[] = [];

const outputDirs = new Set<string>();

/** Called by each command (util/interrupt.ts): where its outputs go, for a full disk's list. */
export function noteOutputs(paths: readonly string[]): void {
  for (const p of paths) outputDirs.add(dirname(p));
}

/** Called once by the CLI: the directories a full disk's hint may point at. */
export function noteOwnedDirs(dirs: OwnedDir[]): void {
  owned.splice(0, owned.length, ...dirs);
}

/** The ENOSPC/EDQUOT error in `err` or its causes, if the disk filled. */
export function diskFullError(err: unknown): NodeJS.ErrnoException | undefined {
  for (let e = err as (NodeJS.ErrnoException & { cause?: unknown }) | undefined, depth = 0; e && depth < 8; e = e.cause as typeof e, depth++) {
    if (e.code === "ENOSPC" || e.code === "EDQUOT") return e;
  }
  return undefined;
}

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep));
};

/** The mount point holding `path` (the longest mount point that contains it), from /proc/self/mountinfo. */
function mountPointOf(path: string): string {
  let best = "/";
  try {
    for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
      // Field 5 is the mount point, with spaces and the like octal-escaped (proc(5)).
      const point = line.split(" ")[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      if (point && inside(point, path) && point.length > best.length) best = point;
    }
  } catch {
    // not Linux, or no /proc: the root is the honest fallback
  }
  return best;
}

/** The nearest existing directory at or above `path`. */
function existingDir(path: string): string {
  for (let p = resolve(path); ; p = dirname(p)) {
    try {
      if (lstatSync(p).isDirectory()) return p;
    } catch {
      // not there yet
    }
    if (dirname(p) === p) return p;
  }
}

/** Bytes under `dir` (a bounded walk: this runs once, on an error path). */
function bytesUnder(dir: string, budget = { entries: 20_000 }): number {
  let total = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (--budget.entries < 0) break;
    try {
      const st = lstatSync(join(dir, name));
      total += st.isDirectory() ? bytesUnder(join(dir, name), budget) : st.size;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

const mib = (n: number) => (n >= 10 * 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${(n / 1048576).toFixed(1)} MiB`);

/** What binship keeps on the file system at `mount` that may go whole (its cache), with sizes. */
function freeable(mount: string): string[] {
  return owned
    .filter((o) => o.removable && mountPointOf(existingDir(o.dir)) === mount)
    .map((o) => ({ what: o.removable!, dir: o.dir, bytes: bytesUnder(o.dir) }))
    .filter((o) => o.bytes > 0)
    .map((o) => `${o.what} (${o.dir}) holds ${mib(o.bytes)} there and can be removed; it refills as needed.`);
}

/**
 * `cannot write PATH: the disk is full (ENOSPC): the file system at /mnt holds …`, with what to
 * free, and for a copy the size it needs.
 */
export function diskFullFailure(path: string, err: unknown): BinshipError {
  const errno = diskFullError(err) as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  const code = errno?.code ?? "ENOSPC";
  const needed = errno?.dest && errno.path ? sizeOf(errno.path) : undefined; // copyFile: path is the source
  const here = existingDir(path);
  const mount = mountPointOf(here);
  let space = "";
  try {
    const fs = statfsSync(here);
    space = `: the file system at ${mount} holds ${mib(fs.blocks * fs.bsize)} in all, ${mib(fs.bavail * fs.bsize)} free now${needed ? `, and the file needs ${mib(needed)}` : ""}`;
  } catch {
    space = `: the file system mounted at ${mount}`;
  }
  const mine = owned.find((o) => inside(resolve(o.dir), resolve(path)) && (o.names?.test(relative(resolve(o.dir), resolve(path)).split(sep)[0]!) ?? true));
  // The output, not the temporary file beside it that was being written (util/atomic.ts).
  const shown = path.replace(/(^|\/)\.([^/]+)\.\d+\.[0-9a-f]+\.tmp$/, "$1$2");
  return new BinshipError("IO_FAILED", `cannot write ${shown}: ${problems[code]} (${code})${space}`, {
    cause: err,
    hint: [`Free space on ${mount}, or ${mine ? mine.elsewhere : "write the output to another disk (-o)"}.`, ...freeable(mount)].join(" "),
  });
}

function sizeOf(path: string): number | undefined {
  try {
    return lstatSync(path).size;
  } catch {
    return undefined;
  }
}

/** Free bytes of the file system holding `dir` (undefined where statfs fails). */
function freeBytes(dir: string): number | undefined {
  try {
    const fs = statfsSync(existingDir(dir));
    return fs.bavail * fs.bsize;
  } catch {
    return undefined;
  }
}

/**
 * A full disk where the failing write named no path (a write on an open file): the places
 * binship writes, each with its file system's free space, the fullest first.
 */
export function diskFullSomewhere(err: unknown, cwd: string): BinshipError {
  const code = diskFullError(err)?.code ?? "ENOSPC";
  const outputs = [...(outputDirs.size ? outputDirs : [cwd])].map((dir) => ({ dir, label: "the output directory", elsewhere: "write the output to another disk" }));
  const places = [...owned, ...outputs]
    .map((o) => ({ ...o, mount: mountPointOf(existingDir(o.dir)), free: freeBytes(o.dir) ?? Infinity }))
    .sort((a, b) => a.free - b.free);
  const fullest = places[0]!;
  const list = places.map((p) => `${p.label} ${p.dir} (on ${p.mount}, ${p.free === Infinity ? "free space unknown" : `${mib(p.free)} free`})`).join(", ");
  return new BinshipError("IO_FAILED", `${problems[code]} (${code}) while writing; binship writes to ${list}`, {
    cause: err,
    hint: [`Free space on ${fullest.mount}, or ${fullest.elsewhere}.`, ...freeable(fullest.mount)].join(" "),
  });
}
