// Stage: finished app files -> the container recipe. One output directory holding the
// Dockerfile, .dockerignore, README, the app (one executable per arch, or the bundle, as the
// layout says) and k8s/ manifests, checked against the base first, written as a whole or not at
// all, and identical for identical inputs. The user's own files in k8s/ are carried over
// (k8s-dir.ts).

import { chmod, copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Arch, ContainerLayout as ContainerLayoutName } from "../../config.js";
import type { Diagnostic } from "../../diagnostic.js";
import { writeDirAtomic, type TreeEntry } from "../../util/dir-atomic.js";
import { enforce } from "../target.js";
import type { BuiltApp } from "../types.js";
import { checkAssetNames, type Asset } from "../../bundle/assets.js";
import { dockerArchOf, type BaseContents } from "./base.js";
import { compileCacheImageDir } from "./compile-cache.js";
import { compileCacheDirName } from "../../executable/index.js";
import { carryK8sDir, type K8sCarry } from "./k8s-dir.js";
import { renderK8s, type RenderedFile } from "./k8s.js";
import { containerLayouts } from "./layouts/index.js";
import type { ContextFile } from "./layouts/types.js";
import { dockerfileMarker, renderRecipe, type DockerArch } from "./recipe.js";
import { sbomFiles } from "./sbom.js";

export { containerLayouts } from "./layouts/index.js";
export { dockerArchOf } from "./base.js";

export interface ContainerOptions {
  outDir: string; // absolute output directory, replaced as a whole (default dist/container)
  layout: ContainerLayoutName; // "node" (default): Node + app.cjs + its compile cache on distroless cc; "executable": binaries on distroless cc; "bundle": app.cjs on distroless Node
  archs: Arch[]; // architectures of the image, sorted (default arm64 and x64)
  base: string; // default base image written into the Dockerfile
  baseContents?: BaseContents; // what the base holds; undefined skips the library check (custom --base)
  nodeMajor: number; // Node major of the bundle layout's base image
  bundleFile?: string; // the bundle layout's file name in the image (default app.cjs; app.mjs for an ES module bundle)
  compileCache?: boolean; // the node layout ships Node's compile cache (known once built): the Dockerfile copies it and sets NODE_COMPILE_CACHE
  name: string; // DNS-1123 service name
  image: string; // image reference in the manifests and README
  port: number; // container port (default 8080)
  replicas: number; // minimum replicas (default 2)
  k8s: boolean; // write k8s/ (default true)
  livenessPath: string | false; // HTTP liveness endpoint the runtime serves; false = TCP probe
  readinessPath: string | false; // HTTP readiness endpoint the runtime serves; false = TCP probe
  drainSeconds: number; // the runtime's drain period after SIGTERM (default 10)
  version: string; // binship version, in the Dockerfile header
}

export interface ContainerExecutable {
  arch: Arch;
  dockerArch: DockerArch;
  path: string; // absolute path in the output directory
  bytes: number;
  sha256: string;
  nodeVersion?: string;
}

export interface ContainerResult {
  dir: string;
  assets: { name: string; bytes: number; mode: number }[]; // runtime files: files/<name> in the directory, /app/<name> in the image
  changed: boolean; // false when the directory already held exactly this tree
  layout: ContainerLayoutName;
  base: string;
  image: string;
  name: string;
  platforms: string[]; // linux/amd64, linux/arm64
  files: TreeEntry[]; // every file written, relative to dir
  executables: ContainerExecutable[];
  warnings: Diagnostic[];
}

/** An existing directory binship may replace: one whose Dockerfile binship wrote. */
async function isContainerOutput(dir: string): Promise<boolean> {
  try {
    return (await readFile(join(dir, "Dockerfile"), "utf8")).startsWith(dockerfileMarker);
  } catch {
    return false;
  }
}

async function writeText(root: string, file: RenderedFile): Promise<void> {
  const path = join(root, file.path);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, file.text, { mode: 0o644 });
  await chmod(path, 0o644); // the umask must not change what the image gets
}

/** A copy, never a link: the source may be the user's own prebuilt file, whose mode must not change. */
async function place(root: string, file: ContextFile): Promise<void> {
  const path = join(root, file.path);
  await mkdir(dirname(path), { recursive: true }); // runtime files keep their folders (files/public/...); the node layout's compile-cache/<dir>/
  await copyFile(file.source, path);
  await chmod(path, file.mode);
}

/** The build context's folder of runtime files; the Dockerfile copies it to /app. */
export const assetContextDir = "files";

/** The runtime files in the build context, under files/ (so no name of the recipe's can clash). */
function assetFiles(app: BuiltApp): ContextFile[] {
  return (app.assets ?? []).map((a) => ({ path: `${assetContextDir}/${a.name}`, source: a.source, mode: a.mode }));
}

const platformsOf = (archs: Arch[]): DockerArch[] => [...new Set(archs.map(dockerArchOf))].sort();

/** Every text file of the recipe; rendered before anything is built, so a template problem fails first. */
export async function renderContainerFiles(o: ContainerOptions, assets?: Asset[]): Promise<RenderedFile[]> {
  const dockerArchs = platformsOf(o.archs);
  const recipe = await renderRecipe({ ...o, assets: (assets?.length ?? 0) > 0, dockerfile: containerLayouts[o.layout].dockerfile, dockerArchs });
  if (!o.k8s) return recipe;
  const nodeArch = o.layout !== "bundle" && dockerArchs.length === 1 ? dockerArchs[0] : undefined;
  return [...recipe, ...(await renderK8s({ ...o, nodeArch }))];
}

export async function packContainer(o: ContainerOptions, app: BuiltApp, texts: RenderedFile[], onTemp?: (path: string | undefined) => void): Promise<ContainerResult> {
  const layout = containerLayouts[o.layout];
  // In the image the assets sit in /app beside the app itself.
  const appName = o.layout === "executable" ? o.name : (o.bundleFile ?? "app.cjs");
  const reserved = [{ name: appName, what: o.layout === "executable" ? `the executable (/app/${appName})` : `the bundle (/app/${appName})` }];
  if (app.compileCache) reserved.push({ name: compileCacheDirName, what: `Node's compile cache (${compileCacheImageDir})` });
  checkAssetNames(app.assets ?? [], reserved, "the image");
  enforce(layout.check(app, { ref: o.base, contents: o.baseContents }).map((d) => ({ ...d, level: "error" as const })), o.outDir);
  let carried: K8sCarry | undefined;
  const written = await writeDirAtomic(
    o.outDir,
    async (tmp) => {
      for (const file of [...layout.files(app), ...assetFiles(app)]) await place(tmp, file);
      for (const file of [...texts, ...sbomFiles(app, o.name)]) await writeText(tmp, file);
      // The user's files in k8s/ go into the new tree too: binship replaces only what it wrote.
      carried = await carryK8sDir(o.outDir, tmp, texts);
    },
    { replaceable: isContainerOutput, producer: "binship pack container", onTemp },
  );
  return {
    dir: written.dir,
    changed: written.changed,
    layout: o.layout,
    base: o.base,
    image: o.image,
    name: o.name,
    platforms: platformsOf(o.archs).map((a) => `linux/${a}`),
    files: written.entries,
    assets: (app.assets ?? []).map((a) => ({ name: a.name, bytes: a.bytes, mode: a.mode })),
    executables: app.executables.map(({ arch, report }) => ({
      arch,
      dockerArch: dockerArchOf(arch),
      path: join(written.dir, `app-${dockerArchOf(arch)}`),
      bytes: report.bytes,
      sha256: report.sha256,
      nodeVersion: report.nodeVersion,
    })),
    warnings: carried?.warnings ?? [],
  };
}
