// Gzip of a ~100 MB executable takes seconds; a rebuild of the same image (a second push, a push
// plus a tarball, CI re-runs) would pay it every time. Layers are kept by a key of everything
// that decides their bytes: the files' sha256, their paths, modes, owner and mtime, and the
// compressor's version. A hit is checked in full against its recorded size and digest before it
// is used (util/cache-object.ts), so a damaged entry is removed, reported and rebuilt, never pushed;
// its record carries its own sha256, so a damaged diffId is a miss too.

import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import type { Diagnostic } from "../../../diagnostic.js";
import { sha256, sha256File, tempPathBeside, writeFileAtomic } from "../../../util/atomic.js";
import { corruptWarning, discardEntry, verifyEntry } from "../../../util/cache-object.js";
import { removeStaleTemps } from "../../../util/stale.js";
import { buildLayer, type BuiltLayer, type LayerOptions } from "./layer.js";

const format = 3; // bump when the layer's layout or its record changes (3: the record is sealed)
/** Entries kept: a few builds of two architectures. Older ones (by last use) are removed. */
export const keptLayers = 8;

async function layerKey(o: Omit<LayerOptions, "outfile">): Promise<string> {
  const files = await Promise.all(o.files.map(async (f) => ({ sha256: await sha256File(f.source), path: f.path, mode: f.mode, owner: f.owner })));
  const key = { format, zlib: process.versions.zlib, files, uid: o.uid, gid: o.gid, mtime: o.mtime };
  return createHash("sha256").update(JSON.stringify(key)).digest("hex");
}

/** The record of an entry: the layer's digests and size, and the sha256 of those three (`seal`). */
const seal = (m: Omit<BuiltLayer, "path">) => sha256(JSON.stringify([m.digest, m.diffId, m.size]));

async function cached(dir: string, key: string, warnings: Diagnostic[]): Promise<BuiltLayer | undefined> {
  const record = join(dir, `${key}.json`);
  const path = join(dir, `${key}.tar.gz`);
  const meta = await readFile(record, "utf8")
    .then((t) => JSON.parse(t) as Omit<BuiltLayer, "path"> & { seal?: string })
    .catch(() => undefined);
  if (!meta) return undefined;
  if (meta.seal !== seal(meta) || typeof meta.digest !== "string" || !meta.digest.startsWith("sha256:")) {
    await discardEntry(record, path);
    warnings.push(corruptWarning("image layer record", record, "sha256 mismatch", "building the layer again"));
    return undefined;
  }
  const expected = { bytes: meta.size, sha256: meta.digest.slice("sha256:".length) };
  if (!(await verifyEntry({ path, record, expected, what: "image layer", instead: "building it again" }, warnings))) return undefined;
  const now = new Date();
  await utimes(record, now, now).catch(() => {}); // last use, for pruning
  return { digest: meta.digest, diffId: meta.diffId, size: meta.size, path };
}

/** buildLayer, through a cache directory (undefined: no cache). */
export async function buildLayerCached(o: LayerOptions, cacheDir: string | undefined, warnings: Diagnostic[]): Promise<BuiltLayer> {
  if (!cacheDir) return buildLayer(o);
  const key = await layerKey(o);
  const hit = await cached(cacheDir, key, warnings);
  if (hit) return hit;
  await mkdir(cacheDir, { recursive: true });
  const target = join(cacheDir, `${key}.tar.gz`);
  const tmp = tempPathBeside(target);
  try {
    const built = await buildLayer({ ...o, outfile: tmp });
    await rename(tmp, target);
    // The metadata last: an entry without it is not a hit.
    await writeFileAtomic(join(cacheDir, `${key}.json`), JSON.stringify({ digest: built.digest, diffId: built.diffId, size: built.size, seal: seal(built) }));
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
