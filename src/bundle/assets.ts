// Runtime files ("assets"): files the service reads at run time, shipped beside the bundle or
// the executable at their path from the project root, so `__dirname`/`process.cwd()`-relative
// reads find them as in the project (relocate.ts gives every bundled module the __dirname it had
// there). The list is the user's globs plus what binship knows packages read (known-assets.ts),
// sorted by name, with fixed modes: every artifact gets the same files for the same tree.

import { existsSync, realpathSync, statSync } from "node:fs";
import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, rmdir } from "node:fs/promises";
import { sha256, writeFileAtomic } from "../util/atomic.js";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { BinshipError } from "../errors.js";
import { globFiles, isGlob, literalBase } from "../util/glob.js";
import type { Output } from "../util/outputs.js";
import { shownPath } from "../util/shown-path.js";

/** One file shipped with the artifact. */
export interface Asset {
  name: string; // its path in the artifact, '/'-separated, relative to the bundle's (the executable's) directory
  source: string; // absolute path of the file in the project
  bytes: number;
  mode: number; // 0o644, or 0o755 when the owner may execute it (a script the service runs)
  origin: string; // what asked for it: the glob as the user wrote it, or the package binship knows reads it
}

/** A glob and who asked for it. */
export interface AssetRequest {
  pattern: string; // absolute (config.ts resolves "assets" against the config file's directory, flags against cwd)
  origin: string; // for messages: the glob as written, or "swagger-ui-dist (built in)"
  optional?: boolean; // a built-in request matching nothing is no error
}

/** The path with symlinks resolved, as far as it exists. */
const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
};

const outside = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel === ".." || rel.startsWith(`..${sep}`) || rel.startsWith(sep);
};

/**
 * A project file's path in the artifact ('/'-separated), relative to the bundle's directory:
 * from the project directory (where the config is, the service's working directory in the
 * project) when the file is inside it, else from the project root (the lockfile's directory, for
 * packages hoisted above a workspace); undefined outside both. The artifact's directory is the
 * service's working directory on Lambda (/var/task) and in the image (WORKDIR), so
 * `process.cwd()`-relative paths resolve as they did in the project directory too.
 */
export function artifactName(file: string, cwd: string, root: string): string | undefined {
  const base = !outside(cwd, file) ? cwd : !outside(root, file) ? root : undefined;
  if (base === undefined) return undefined;
  const rel = relative(base, file);
  return rel === "" ? undefined : rel.split(sep).join("/");
}

/**
 * The files the requests name, checked: a glob that matches nothing, or names a path outside
 * the project root, is a CONFIG_INVALID error (exit 2) naming it. `outputs` are the command's:
 * a directory output (binship's own, replaced as a whole) is never searched, so a `**` glob
 * cannot pick up the last run's recipe; a file output a request matches is a usage error naming
 * both (exit 2): that file is the user's to ship, and writing the output would destroy it.
 */
export function collectAssets(requests: AssetRequest[], root: string, cwd: string, outputs: Output[] = [], copyDirs: string[] = []): Asset[] {
  const exclude = outputs.filter((o) => o.dir).map((o) => o.path);
  const fileOutputs = new Map(outputs.filter((o) => !o.dir).map((o) => [real(o.path), o]));
  const realRoot = real(root);
  const realCwd = real(cwd);
  // A file in a directory assets are copied to, mirroring a project file of the same name, is the last run's copy.
  const copied = (p: string) =>
    copyDirs.some((d) => {
      if (!p.startsWith(d + sep)) return false;
      if (dirname(p) === d && /^\..+\.assets\.json$/.test(basename(p))) return true; // placeAssets' record (copiesManifest)
      const rel = relative(d, p);
      return [join(cwd, rel), join(root, rel)].some((orig) => orig !== p && existsSync(orig));
    });
  const byName = new Map<string, Asset>();
  for (const req of requests) {
    const base = isGlob(req.pattern) ? literalBase(req.pattern) : req.pattern;
    if (outside(root, base) && outside(cwd, base)) {
      throw new BinshipError("CONFIG_INVALID", `asset ${JSON.stringify(req.origin)} names ${shownPath(cwd, base)}, outside the project root ${shownPath(cwd, root)}`, {
        hint: "Assets keep their path from the project root in the artifact, so each must lie inside it: move the files into the project, or copy them there before building.",
      });
    }
    // node_modules and .git are entered only when the pattern itself points into them.
    const enters = (dir: string) => req.pattern.includes(`/${dir}/`) || req.pattern.endsWith(`/${dir}`);
    const skip = (p: string) =>
      exclude.some((e) => p === e || p.startsWith(e + sep)) || copied(p) || (basename(p) === "node_modules" && !enters("node_modules")) || (basename(p) === ".git" && !enters(".git"));
    const files = globFiles(req.pattern, skip).filter((f) => artifactName(f, cwd, root) !== undefined);
    if (files.length === 0) {
      if (req.optional) continue;
      throw new BinshipError("CONFIG_INVALID", `asset ${JSON.stringify(req.origin)} matches no file (looked for ${shownPath(cwd, req.pattern)})`, {
        hint: 'Check the glob: it is relative to the config file (a --asset flag: to the current directory); "public/**" ships the folder public/ and everything in it.',
      });
    }
    for (const source of files) {
      const target = real(source);
      // A link is shipped as the file it points to: one leaving the project would ship a file the
      // project does not hold (/etc/passwd, another checkout), so it is refused like a path outside.
      if (target !== source && outside(realRoot, target) && outside(realCwd, target)) {
        throw new BinshipError("CONFIG_INVALID", `asset ${JSON.stringify(req.origin)} matches ${shownPath(cwd, source)}, which a symbolic link resolves to ${target}, outside the project root ${shownPath(cwd, root)}`, {
          hint: "Assets ship only the project's own files: copy the file into the project instead of linking it, or narrow the glob so it does not match the link.",
        });
      }
      const output = fileOutputs.get(target);
      if (output) {
        throw new BinshipError("USAGE", `${output.flag} ${shownPath(cwd, output.path)} would overwrite an input of this build: it is the asset ${artifactName(source, cwd, root)} (from ${JSON.stringify(req.origin)})`, {
          hint: isGlob(req.pattern)
            ? `Narrow the glob so it does not reach ${shownPath(cwd, dirname(output.path))}/ (e.g. "public/**" rather than "**"), or write the output outside the files it matches.`
            : "Write the output somewhere else (e.g. under dist/): this file is one the assets ship.",
        });
      }
      const name = artifactName(source, cwd, root)!;
      if (byName.has(name)) continue;
      const st = statSync(source);
      byName.set(name, { name, source, bytes: st.size, mode: st.mode & 0o100 ? 0o755 : 0o644, origin: req.origin });
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A name the artifact itself uses beside the assets (the bootstrap, the executable, lib/). */
export interface ReservedName {
  name: string; // '/'-separated, relative to the same directory as the assets' names
  what: string; // "the executable (bootstrap)"
}

const clash = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

/** An asset at (or above, or below) a name the artifact uses itself is an error naming both (exit 2). */
export function checkAssetNames(assets: Asset[], reserved: ReservedName[], artifact: string): void {
  for (const asset of assets) {
    const hit = reserved.find((r) => clash(asset.name, r.name));
    if (!hit) continue;
    throw new BinshipError("CONFIG_INVALID", `asset ${asset.name} (from ${JSON.stringify(asset.origin)}) collides with ${hit.what} in ${artifact}`, {
      hint: `Rename or move the file, or narrow the glob so it does not match it; ${hit.name} is binship's own in this artifact.`,
    });
  }
}

/** Total bytes of the assets (the size report and the command lines). */
export const assetBytes = (assets: Asset[]): number => assets.reduce((n, a) => n + a.bytes, 0);

export interface PlaceContext {
  inputs: string[]; // every input of the build: a copy never lands on one
  outputs: { flag: string; path: string }[]; // the command's outputs: an asset named like one is a collision
  cwd: string; // for messages
  artifact: string; // how messages name the directory
  manifest?: string; // the record of what the last run copied (copiesManifest): copies no longer shipped are removed
}

/**
 * Throws (exit 2) when copying the assets under `dir` would land on an output of the command or
 * an input of the build. Run before the first output is written, so a refusal leaves nothing.
 */
export function checkPlacement(dir: string, assets: Asset[], ctx: PlaceContext): void {
  const within = ctx.outputs.filter((o) => {
    const rel = relative(dir, o.path);
    return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
  });
  checkAssetNames(assets, within.map((o) => ({ name: relative(dir, o.path).split(sep).join("/"), what: `the ${o.flag} output ${shownPath(ctx.cwd, o.path)}` })), ctx.artifact);
  const inputs = new Set(ctx.inputs.map(real));
  for (const asset of assets) {
    const dest = join(dir, ...asset.name.split("/"));
    if (real(dest) === real(asset.source)) continue;
    if (inputs.has(real(dest))) {
      throw new BinshipError("USAGE", `asset ${asset.name} would be copied onto ${shownPath(ctx.cwd, dest)}, an input of this build`, {
        hint: "Write the output somewhere the project's files are not, e.g. -o dist/app.cjs.",
      });
    }
  }
}

/**
 * Copies the assets under `dir` at their names (binship bundle, binship build: beside the file
 * written). A file already holding the same bytes is left alone (make sees no change); an asset
 * that is its own destination (the bundle written into the project root) is already there.
 */
export async function placeAssets(dir: string, assets: Asset[], ctx: PlaceContext): Promise<void> {
  checkPlacement(dir, assets, ctx);
  const copied: Record<string, string> = {};
  for (const asset of assets) {
    const dest = join(dir, ...asset.name.split("/"));
    if (real(dest) === real(asset.source)) continue;
    const want = await readFile(asset.source);
    copied[asset.name] = sha256(want);
    const have = await readFile(dest).catch(() => undefined);
    if (have && have.equals(want)) {
      await chmod(dest, asset.mode);
      continue;
    }
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.${process.pid}.tmp`;
    await copyFile(asset.source, tmp);
    await chmod(tmp, asset.mode);
    await rename(tmp, dest);
  }
  if (ctx.manifest) await recordCopies(dir, ctx.manifest, copied, new Set([...ctx.inputs, ...assets.map((a) => a.source)].map(real)));
}

/** The copies the last run made beside this output (placeAssets' manifest), by name: their sha256. */
async function lastCopies(manifest: string): Promise<Record<string, string>> {
  try {
    const files = (JSON.parse(await readFile(manifest, "utf8")) as { files?: unknown }).files;
    return files && typeof files === "object" ? (files as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/**
 * Removes the last run's copies that no longer ship (an asset deleted or no longer matched must
 * not stay servable beside the app), but only a file still holding the bytes binship copied there
 * and never one of the project's own; then records this run's copies for the next.
 */
async function recordCopies(dir: string, manifest: string, copied: Record<string, string>, own: Set<string>): Promise<void> {
  const last = await lastCopies(manifest);
  for (const [name, sum] of Object.entries(last)) {
    if (name in copied || name.split("/").includes("..")) continue;
    const path = join(dir, ...name.split("/"));
    if (own.has(real(path))) continue;
    const bytes = await readFile(path).catch(() => undefined);
    if (!bytes || sha256(bytes) !== sum) continue;
    await rm(path, { force: true });
    // Its folders too, as far as they are left empty (never `dir` itself).
    for (let d = dirname(path); d !== dir && !relative(dir, d).startsWith(".."); d = dirname(d)) {
      if ((await readdir(d).catch(() => ["?"])).length > 0) break;
      await rmdir(d).catch(() => undefined);
    }
  }
  // Nothing copied now or before: no record to touch (the output's own write reports a bad path).
  if (Object.keys(copied).length === 0) {
    if (Object.keys(last).length > 0) await rm(manifest, { force: true });
  } else await writeFileAtomic(manifest, `${JSON.stringify({ producer: "binship", files: copied }, null, 1)}\n`);
}

/** Where placeAssets records what it copied beside `output`: a hidden file of its own beside it. */
export const copiesManifest = (output: string): string => join(dirname(output), `.${basename(output)}.assets.json`);
