// An output never overwrites an input. Every command names its outputs (the artifact, a depfile,
// a metafile, a work directory) and checks them against its inputs twice: before any work,
// against the inputs known from the command line and the config (the entry, the config file,
// package.json, a given executable or Node binary), and again once the bundle has listed every
// file it read, before the first byte of an output is written. Paths are compared after
// resolving symlinks, so `-o ./src/../src/index.ts` or a link to the entry is caught too.

import { randomBytes } from "node:crypto";
import { realpathSync } from "node:fs";
import { open, rm, stat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { BinshipError } from "../errors.js";
import { removeOnInterrupt } from "./interrupt.js";
import { writeFailure } from "./io-error.js";

export interface Output {
  flag: string; // how the user named it: "-o", "--depfile", "the work directory"
  path: string; // absolute
  dir?: boolean; // a directory the command replaces as a whole: no input may lie inside it
}

/** The path with every existing ancestor's symlinks resolved (the file itself may not exist yet). */
function canonical(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(canonical(parent), basename(abs));
  }
}

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep);
};

/** Throws a usage error (exit 2) when an output is an input, holds one, or is another output. */
export function checkOutputs(outputs: Output[], inputs: Iterable<string>, cwd: string): void {
  const shown = (p: string) => relative(cwd, p) || ".";
  const ins = new Map<string, string>();
  for (const input of inputs) ins.set(canonical(input), input);
  const seen = new Map<string, Output>();
  for (const out of outputs) {
    const path = canonical(out.path);
    // The same output handed down twice (the command's list and a stage's own) is one output.
    if (seen.get(path)?.flag === out.flag) continue;
    const same = ins.get(path);
    if (same !== undefined) {
      throw new BinshipError("USAGE", `${out.flag} ${shown(out.path)} would overwrite an input of this build (${shown(same)})`, {
        hint: "Write outputs outside the sources and config, e.g. under dist/.",
      });
    }
    if (out.dir) {
      const held = [...ins.keys()].find((i) => inside(path, i));
      if (held !== undefined) {
        throw new BinshipError("USAGE", `${out.flag} ${shown(out.path)} would replace a directory holding an input of this build (${shown(ins.get(held)!)})`, {
          hint: "Pass a directory of its own for the output, e.g. -o dist/container.",
        });
      }
    }
    const twice = seen.get(path);
    if (twice) {
      throw new BinshipError("USAGE", `${out.flag} and ${twice.flag} name the same file ${shown(out.path)}`, { hint: "Give each output its own path." });
    }
    seen.set(path, out);
  }
}

/**
 * Throws a usage error (exit 2) when an output is, is inside or holds binship's cache: a build
 * reads the cache's Node binaries and segments, so writing there corrupts this and every later build.
 */
export function checkOutsideCache(outputs: Output[], cache: string, cwd: string): void {
  const dir = canonical(cache);
  for (const out of outputs) {
    const path = canonical(out.path);
    if (path === dir || inside(dir, path) || (out.dir && inside(path, dir))) {
      throw new BinshipError("USAGE", `${out.flag} ${relative(cwd, out.path) || "."} is inside binship's cache (${dir}) or holds it`, {
        hint: "Write outputs outside the cache, e.g. under dist/; the cache is BINSHIP_CACHE_DIR, else $XDG_CACHE_HOME/binship, else ~/.cache/binship.",
      });
    }
  }
}

/** The nearest directory at or above `path` that exists (outputs create the rest). */
async function nearestDir(path: string): Promise<string> {
  for (let dir = path; ; dir = dirname(dir)) {
    const st = await stat(dir).catch(() => undefined);
    if (st?.isDirectory() || dirname(dir) === dir) return dir;
  }
}

/**
 * Fails early, naming the directory and the reason (EACCES, EROFS), when an output could not be
 * written, instead of after minutes of building or inside a tool that misreports it (pkg).
 */
export async function checkWritable(outputs: Output[]): Promise<void> {
  const dirs = new Set<string>();
  for (const out of outputs) dirs.add(await nearestDir(dirname(out.path)));
  for (const dir of dirs) {
    const probe = join(dir, `.binship-probe.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
    const release = removeOnInterrupt(probe);
    try {
      await (await open(probe, "wx")).close();
    } catch (err) {
      throw writeFailure(dir, err, "Make the directory writable, or choose an output path in a writable directory (-o).");
    }
    await rm(probe, { force: true });
    release();
  }
}
