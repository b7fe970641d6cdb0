// A container artifact opened for auditing, in either form binship writes: the recipe directory
// (`pack container`: one executable per arch, or the node layout's Node binaries, bundle and
// compile cache, or the bundle) and an OCI image layout (`--oci-layout`: index.json, blobs/),
// whose own layers are opened to find the same files where the image has them.

import { createHash } from "node:crypto";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { BinshipError } from "../errors.js";
import { makeScratch } from "../util/stale.js";
import { inspectFile, type ElfReport } from "./index.js";
import { readTar, type TarRead } from "./tar-read.js";

export type ContainerLayoutName = "executable" | "node" | "bundle";

export interface ContainerBinary {
  name: string; // "app-amd64", "node-arm64"; in an image "linux/amd64:/usr/local/bin/node"
  report: ElfReport;
}

export interface ContainerBundle {
  name: string; // "app.cjs" (or "app.mjs")
  bytes: number;
  sha256: string;
}

/** One arch's directory of Node's module compile cache ("compile-cache/v24.22.3-x64-964aae3f-65532"). */
export interface CompileCacheDir {
  dir: string;
  files: number;
  bytes: number;
}

export interface ImageLayer {
  digest: string;
  size: number; // compressed bytes, as pushed
  mediaType: string;
  addedBy: "binship" | "base"; // binship's own layers carry its history entry
  comment?: string; // binship's history comment: "the Node runtime", "the app"
}

export interface ImagePlatform {
  platform: string; // "linux/amd64"
  manifest: string; // its digest
  layers: ImageLayer[]; // bottom first
  executable?: ContainerBinary; // /app/<name> of the executable layout
  node?: ContainerBinary; // /usr/local/bin/node of the node layout
  bundle?: ContainerBundle;
  compileCache: CompileCacheDir[];
}

export interface ContainerContents {
  layout?: ContainerLayoutName; // what the files say (undefined: an image without binship's layers)
  executables: ContainerBinary[];
  nodes: ContainerBinary[];
  bundle?: ContainerBundle;
  compileCache: CompileCacheDir[];
  platforms?: ImagePlatform[]; // an OCI layout's images
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

function layoutOf(c: { executables: unknown[]; nodes: unknown[]; bundle?: unknown }): ContainerLayoutName | undefined {
  if (c.nodes.length) return "node";
  if (c.executables.length) return "executable";
  return c.bundle ? "bundle" : undefined;
}

/** compile-cache/<arch dir>/<file> paths and sizes -> one entry per arch directory. */
function cacheDirs(files: { path: string; bytes: number }[]): CompileCacheDir[] {
  const dirs = new Map<string, CompileCacheDir>();
  for (const f of files) {
    const dir = f.path.split("/").slice(0, 2).join("/");
    const d = dirs.get(dir) ?? { dir, files: 0, bytes: 0 };
    d.files += 1;
    d.bytes += f.bytes;
    dirs.set(dir, d);
  }
  return [...dirs.values()].sort((a, b) => (a.dir < b.dir ? -1 : 1));
}

async function walk(root: string, rel: string): Promise<{ path: string; bytes: number }[]> {
  const out: { path: string; bytes: number }[] = [];
  for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
    const path = `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...(await walk(root, path)));
    else if (e.isFile()) out.push({ path, bytes: (await stat(join(root, path))).size });
  }
  return out;
}

/** The recipe directory `pack container` writes. */
export async function inspectRecipeDir(path: string): Promise<ContainerContents> {
  const names = (await readdir(path)).sort();
  const binaries = async (re: RegExp) => Promise.all(names.filter((n) => re.test(n)).map(async (name) => ({ name, report: await inspectFile(join(path, name)) })));
  const executables = await binaries(/^app-(amd64|arm64)$/);
  const nodes = await binaries(/^node-(amd64|arm64)$/);
  const bundleName = names.find((n) => n === "app.cjs" || n === "app.mjs");
  const bundleData = bundleName ? await readFile(join(path, bundleName)) : undefined;
  const bundle = bundleName && bundleData ? { name: bundleName, bytes: bundleData.length, sha256: sha256(bundleData) } : undefined;
  const compileCache = names.includes("compile-cache") ? cacheDirs(await walk(path, "compile-cache")) : [];
  return { layout: layoutOf({ executables, nodes, bundle }), executables, nodes, bundle, compileCache };
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
}

const isIndex = (mediaType: string | undefined) => /image\.index|manifest\.list/.test(mediaType ?? "");

function notLayout(path: string, why: string): BinshipError {
  return new BinshipError("USAGE", `${path} is not a readable OCI image layout: ${why}`, { hint: "Pass a directory written by binship pack container --oci-layout (oci-layout, index.json, blobs/sha256/)." });
}

/** An OCI image layout (image-spec image-layout.md): every platform's layers, and in binship's layers its files. */
export async function inspectOciLayout(path: string): Promise<ContainerContents> {
  const blob = async (d: Descriptor) => {
    const m = /^sha256:([0-9a-f]{64})$/.exec(d.digest);
    if (!m) throw notLayout(path, `unsupported digest ${d.digest}`);
    const data = await readFile(join(path, "blobs", "sha256", m[1]!)).catch(() => {
      throw notLayout(path, `blob ${d.digest} is missing`);
    });
    if (sha256(data) !== m[1]) throw notLayout(path, `blob ${d.digest} does not match its digest`);
    return data;
  };
  const parse = <T>(text: string, what: string): T => {
    try {
      return JSON.parse(text) as T;
    } catch {
      throw notLayout(path, `${what} is not JSON`);
    }
  };
  const json = async <T>(d: Descriptor): Promise<T> => parse<T>((await blob(d)).toString("utf8"), `blob ${d.digest}`);
  const top = parse<{ manifests?: Descriptor[] }>(await readFile(join(path, "index.json"), "utf8").catch(() => "{}"), "index.json");
  if (!top.manifests?.length) throw notLayout(path, "index.json names no image");
  // index.json -> (an image index ->) one manifest per platform.
  const manifests: Descriptor[] = [];
  for (const d of top.manifests) {
    if (isIndex(d.mediaType)) manifests.push(...((await json<{ manifests: Descriptor[] }>(d)).manifests ?? []));
    else manifests.push(d);
  }
  const scratch = await makeScratch(tmpdir(), "inspect");
  try {
    const platforms: ImagePlatform[] = [];
    for (const m of manifests) {
      const manifest = await json<{ config?: Descriptor; layers?: Descriptor[] }>(m);
      if (!manifest.config || !Array.isArray(manifest.layers)) throw notLayout(path, `${m.digest} is not an image manifest`);
      const config = await json<{ architecture?: string; os?: string; history?: { created_by?: string; comment?: string; empty_layer?: boolean }[] }>(manifest.config);
      const platform = `${m.platform?.os ?? config.os ?? "linux"}/${m.platform?.architecture ?? config.architecture ?? "unknown"}`;
      // History entries that made a layer line up with the manifest's layers (image-spec config.md).
      const history = (config.history ?? []).filter((h) => !h.empty_layer);
      const offset = history.length - manifest.layers.length;
      const layers: ImageLayer[] = manifest.layers.map((d, i) => {
        const h = offset >= 0 ? history[offset + i] : undefined;
        const ours = h?.created_by === "binship pack container";
        return { digest: d.digest, size: d.size, mediaType: d.mediaType ?? "", addedBy: ours ? "binship" : "base", ...(ours && h?.comment ? { comment: h.comment } : {}) };
      });
      const entry: ImagePlatform = { platform, manifest: m.digest, layers, compileCache: [] };
      const cache: { path: string; bytes: number }[] = [];
      for (const [i, layer] of layers.entries()) {
        if (layer.addedBy !== "binship") continue;
        const raw = await blob(manifest.layers![i]!);
        let files: TarRead[];
        try {
          files = [...readTar(/gzip/.test(layer.mediaType) ? gunzipSync(raw) : raw)];
        } catch (err) {
          throw notLayout(path, `layer ${layer.digest} cannot be read (${(err as Error).message})`);
        }
        for (const f of files) {
          if (f.type !== "file") continue;
          const binary = async (label: string) => {
            const file = join(scratch.path, `${platforms.length}-${label}`);
            await writeFile(file, f.data);
            return { name: `${platform}:/${f.name}`, report: { ...(await inspectFile(file)), path: `${path}!${platform}:/${f.name}` } };
          };
          if (f.name === "usr/local/bin/node") entry.node = await binary("node");
          else if (/^app\/app\.(cjs|mjs)$/.test(f.name)) entry.bundle = { name: f.name.slice(4), bytes: f.data.length, sha256: sha256(f.data) };
          else if (f.name.startsWith("app/compile-cache/")) cache.push({ path: f.name.slice(4), bytes: f.data.length });
          else if (/^app\/[^/]+$/.test(f.name) && f.data.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) entry.executable = await binary("app");
        }
      }
      entry.compileCache = cacheDirs(cache);
      platforms.push(entry);
    }
    platforms.sort((a, b) => (a.platform < b.platform ? -1 : 1));
    const executables = platforms.flatMap((p) => (p.executable ? [p.executable] : []));
    const nodes = platforms.flatMap((p) => (p.node ? [p.node] : []));
    const bundle = platforms.find((p) => p.bundle)?.bundle;
    return { layout: layoutOf({ executables, nodes, bundle }), executables, nodes, bundle, compileCache: platforms.flatMap((p) => p.compileCache), platforms };
  } finally {
    await scratch.dispose();
  }
}
