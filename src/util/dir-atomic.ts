// Replaces a whole output directory at once: the new tree is built in a temporary directory
// beside the target and swapped in with two renames, so a failed or interrupted pack leaves
// the previous directory as it was. A tree identical to the one on disk is not swapped in at
// all, and unchanged files keep their mtime when it is. Leftovers of runs that were killed
// outright (no chance to clean up) are removed by the next run.

import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, rename, rm, stat, utimes } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { BinshipError } from "../errors.js";
import { sha256File } from "./atomic.js";
import { diskFullError, diskFullFailure } from "./disk-full.js";

export interface TreeEntry {
  path: string; // relative, with "/" separators
  bytes: number;
  sha256: string;
  mode: number; // permission bits, e.g. 0o755
}

export interface DirWriteResult {
  dir: string;
  changed: boolean; // false when the directory already held exactly this tree
  entries: TreeEntry[]; // every file, sorted by path
}

export interface DirWriteOptions {
  /**
   * Whether an existing non-empty `target` may be replaced (it looks like an earlier output).
   * Guards against `-o .` or `-o src` deleting a user's files.
   */
  replaceable: (dir: string) => Promise<boolean>;
  /** Named in the refusal's hint, e.g. "binship pack container". */
  producer: string;
  /** Told the temporary directory while it exists, for cleanup on interrupt. */
  onTemp?: (path: string | undefined) => void;
}

/** Every regular file under `root` with size, hash and mode, sorted by path. */
export async function listTree(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(dir, entry.name);
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(full, rel);
      else {
        const st = await lstat(full);
        out.push({ path: rel, bytes: st.size, sha256: entry.isFile() ? await sha256File(full) : "", mode: st.mode & 0o777 });
      }
    }
  };
  await walk(root, "");
  return out;
}

const sameEntry = (a: TreeEntry, b: TreeEntry) => a.path === b.path && a.sha256 === b.sha256 && a.mode === b.mode && a.bytes === b.bytes;

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Gives files whose bytes did not change their old mtime, so make and rsync see no change. */
async function keepMtimes(from: string, to: string, oldEntries: TreeEntry[], newEntries: TreeEntry[]): Promise<void> {
  const old = new Map(oldEntries.map((e) => [e.path, e]));
  for (const entry of newEntries) {
    const before = old.get(entry.path);
    if (!before || !sameEntry(before, entry)) continue;
    const st = await stat(join(from, entry.path));
    await utimes(join(to, entry.path), st.atime, st.mtime);
  }
}

/**
 * Builds `target` by calling `populate` on an empty temporary directory, then swaps it in.
 * On any failure the temporary directory is removed and `target` is untouched.
 */
export async function writeDirAtomic(target: string, populate: (tmp: string) => Promise<void>, options: DirWriteOptions): Promise<DirWriteResult> {
  const parent = dirname(target);
  const stamp = `${process.pid}.${randomBytes(4).toString("hex")}`;
  const tmp = join(parent, `.${basename(target)}.${stamp}.tmp`);
  const old = join(parent, `.${basename(target)}.${stamp}.old`);
  await mkdir(parent, { recursive: true });
  await removeStale(parent, basename(target));
  // Checked before the (slow) build, so a refused target costs nothing.
  const previous = await existingTree(target, options);
  options.onTemp?.(tmp); // before it exists: a signal in between would leave it
  await mkdir(tmp);
  try {
    await populate(tmp);
    const entries = await listTree(tmp);
    if (previous && previous.length === entries.length && previous.every((e, i) => sameEntry(e, entries[i]!))) {
      await rm(tmp, { recursive: true, force: true });
      options.onTemp?.(undefined);
      return { dir: target, changed: false, entries };
    }
    if (previous) {
      await keepMtimes(target, tmp, previous, entries);
      // Linux has no portable directory exchange in Node; the gap between these renames is a
      // moment in which `target` is absent, never one in which it is half written.
      await rename(target, old);
      try {
        await rename(tmp, target);
      } catch (err) {
        await rename(old, target);
        throw err;
      }
      options.onTemp?.(old);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, target);
    }
    options.onTemp?.(undefined);
    return { dir: target, changed: true, entries };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    options.onTemp?.(undefined);
    if (diskFullError(err) && !(err instanceof BinshipError)) throw diskFullFailure(target, err);
    throw err;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Temporary trees of earlier runs that were killed (SIGKILL, power loss) before cleaning up. */
async function removeStale(parent: string, name: string): Promise<void> {
  const pattern = new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(\\d+)\\.[0-9a-f]+\\.(tmp|old)$`);
  for (const entry of await readdir(parent)) {
    const pid = pattern.exec(entry)?.[1];
    if (pid && Number(pid) !== process.pid && !alive(Number(pid))) await rm(join(parent, entry), { recursive: true, force: true });
  }
}

async function existingTree(target: string, options: DirWriteOptions): Promise<TreeEntry[] | undefined> {
  if (!(await exists(target))) return undefined;
  const st = await lstat(target);
  if (!st.isDirectory()) {
    throw new BinshipError("USAGE", `${target} exists and is not a directory`, { hint: "Pass another output directory with -o." });
  }
  if ((await readdir(target)).length > 0 && !(await options.replaceable(target))) {
    throw new BinshipError("USAGE", `refusing to replace ${target}: it is not empty and was not written by ${options.producer}`, {
      hint: `${options.producer} replaces its output directory as a whole; pass an empty or new directory with -o.`,
    });
  }
  return listTree(target);
}
