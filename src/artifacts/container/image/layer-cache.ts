// Gzip of a ~100 MB executable takes seconds; a rebuild of the same image (a second push, a push
// plus a tarball, CI re-runs) would pay it every time. Layers are kept by a key of everything
// that decides their bytes: the files' sha256, their paths, modes, owner and mtime, and the
// compressor's version. A hit is checked against its recorded digest before it is used, so a
// damaged entry is rebuilt instead of pushed.

import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { sha256File, tempPathBeside, writeFileAtomic } from "../../../util/atomic.js";
import { removeStaleTemps } from "../../../util/stale.js";
import { buildLayer, type BuiltLayer, type LayerOptions } from "./layer.js";

const format = 2; // bump when the layer's layout changes
/** Entries kept: a few builds of two architectures. Older ones (by last use) are removed. */
export const keptLayers = 8;

async function layerKey(o: Omit<LayerOptions, "outfile">): Promise<string> {
  const files = await Promise.all(o.files.map(async (f) => ({ sha256: await sha256File(f.source), path: f.path, mode: f.mode, owner: f.owner })));
  const key = { format, zlib: process.versions.zlib, files, uid: o.uid, gid: o.gid, mtime: o.mtime };
  return createHash("sha256").update(JSON.stringify(key)).digest("hex");
}

async function cached(dir: string, key: string): Promise<BuiltLayer | undefined> {
  try {
    const meta = JSON.parse(await readFile(join(dir, `${key}.json`), "utf8")) as BuiltLayer;
    const path = join(dir, `${key}.tar.gz`);
    if ((await stat(path)).size !== meta.size || `sha256:${await sha256File(path)}` !== meta.digest) return undefined;
    const now = new Date();
    await utimes(join(dir, `${key}.json`), now, now); // last use, for pruning
    return { ...meta, path };
  } catch {
    return undefined;
  }
}

/** buildLayer, through a cache directory (undefined: no cache). */
export async function buildLayerCached(o: LayerOptions, cacheDir: string | undefined): Promise<BuiltLayer> {
  if (!cacheDir) return buildLayer(o);
  const key = await layerKey(o);
  const hit = await cached(cacheDir, key);
  if (hit) return hit;
  await mkdir(cacheDir, { recursive: true });
  const target = join(cacheDir, `${key}.tar.gz`);
  const tmp = tempPathBeside(target);
  try {
    const built = await buildLayer({ ...o, outfile: tmp });
    await rename(tmp, target);
    // The metadata last: an entry without it is not a hit.
    await writeFileAtomic(join(cacheDir, `${key}.json`), JSON.stringify({ digest: built.digest, diffId: built.diffId, size: built.size }));
    await prune(cacheDir);
    return { ...built, path: target };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function prune(dir: string): Promise<void> {
  await removeStaleTemps(dir); // layers a killed pack was writing
  const entries = await Promise.all(
    (await readdir(dir)).filter((n) => n.endsWith(".json")).map(async (n) => ({ key: n.slice(0, -5), used: (await stat(join(dir, n))).mtimeMs })),
  );
  for (const old of entries.sort((a, b) => b.used - a.used).slice(keptLayers)) {
    await rm(join(dir, `${old.key}.json`), { force: true });
    await rm(join(dir, `${old.key}.tar.gz`), { force: true });
  }
}
