// Stage: the container recipe. One output directory holding the Dockerfile, .dockerignore,
// README, the app (one executable per architecture, or the bundle) and k8s/ manifests, written
// as a whole or not at all, and identical for identical inputs.

import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Arch, ContainerLayout } from "../../config.js";
import { BinshipError } from "../../errors.js";
import type { ElfReport } from "../../inspect/index.js";
import type { Logger } from "../../log.js";
import { checkBaseCompatibility, type BaseContents } from "./base.js";
import { dockerfileMarker, renderRecipe, type DockerArch } from "./recipe.js";
import { writeDirAtomic, type TreeEntry } from "../../util/dir-atomic.js";
import { renderK8s, type RenderedFile } from "./k8s.js";

/** Makes the app that goes into the image. The command wires it to the build stages. */
export interface AppBuilder {
  /** Writes the single executable for `arch` to `outfile` and reports what it needs. */
  executable(arch: Arch, outfile: string): Promise<BuiltExecutable>;
  /** Writes the bundle (one CommonJS file) to `outfile`. */
  bundle(outfile: string): Promise<void>;
}

export interface BuiltExecutable {
  report: ElfReport; // read from the written file
  nodeVersion?: string; // Node version inside, when known
}

export interface ContainerOptions {
  outDir: string; // absolute output directory, replaced as a whole (default dist/container)
  layout: ContainerLayout; // "executable" (default): binaries on distroless cc; "bundle": app.cjs on distroless Node
  archs: Arch[]; // architectures of the image, sorted (default arm64 and x64)
  base: string; // default base image written into the Dockerfile
  baseContents?: BaseContents; // what the base holds; undefined skips the library check (custom --base)
  nodeMajor: number; // Node major of the bundle layout's base image
  name: string; // DNS-1123 service name
  image: string; // image reference in the manifests and README
  port: number; // container port (default 8080)
  replicas: number; // minimum replicas (default 2)
  k8s: boolean; // write k8s/ (default true)
  livenessPath: string | false; // HTTP liveness endpoint the runtime serves; false = TCP probe
  readinessPath: string | false; // HTTP readiness endpoint the runtime serves; false = TCP probe
  drainSeconds: number; // the runtime's drain period after SIGTERM (default 10)
  version: string; // binship version, in the Dockerfile header
  builder: AppBuilder; // builds the executables or the bundle
  logger: Logger;
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
  changed: boolean; // false when the directory already held exactly this tree
  layout: ContainerLayout;
  base: string;
  image: string;
  name: string;
  platforms: string[]; // linux/amd64, linux/arm64
  files: TreeEntry[]; // every file written, relative to dir
  executables: ContainerExecutable[];
}

export const dockerArchOf = (arch: Arch): DockerArch => (arch === "x64" ? "amd64" : "arm64");

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

async function renderAll(o: ContainerOptions, dockerArchs: DockerArch[]): Promise<RenderedFile[]> {
  const recipe = await renderRecipe({ ...o, dockerArchs });
  if (!o.k8s) return recipe;
  const nodeArch = o.layout === "executable" && dockerArchs.length === 1 ? dockerArchs[0] : undefined;
  return [...recipe, ...(await renderK8s({ ...o, nodeArch }))];
}

async function buildExecutable(o: ContainerOptions, arch: Arch, root: string): Promise<Omit<ContainerExecutable, "path">> {
  const dockerArch = dockerArchOf(arch);
  const file = join(root, `app-${dockerArch}`);
  o.logger.progress(`building app-${dockerArch}`);
  const built = await o.builder.executable(arch, file);
  o.logger.done();
  checkBaseCompatibility(built.report, arch, o.baseContents, o.base);
  if (!built.report.sea) {
    throw new BinshipError("ARTIFACT_CHECK_FAILED", `app-${dockerArch} holds no application: it is not a Node single executable`, {
      hint: "Pass an executable made by binship build (or let pack container build it).",
    });
  }
  await chmod(file, 0o755);
  return { arch, dockerArch, bytes: built.report.bytes, sha256: built.report.sha256, nodeVersion: built.nodeVersion ?? built.report.nodeVersion };
}

export async function packContainer(o: ContainerOptions): Promise<ContainerResult> {
  const dockerArchs = [...new Set(o.archs.map(dockerArchOf))].sort();
  // Rendered first: a template problem fails before minutes of building.
  const texts = await renderAll(o, dockerArchs);
  const built: Omit<ContainerExecutable, "path">[] = [];
  const written = await writeDirAtomic(
    o.outDir,
    async (tmp) => {
      if (o.layout === "executable") {
        for (const arch of [...o.archs].sort()) built.push(await buildExecutable(o, arch, tmp));
      } else {
        o.logger.progress("bundling app.cjs");
        await o.builder.bundle(join(tmp, "app.cjs"));
        o.logger.done();
        await chmod(join(tmp, "app.cjs"), 0o644);
      }
      for (const file of texts) await writeText(tmp, file);
    },
    { replaceable: isContainerOutput, producer: "binship pack container" },
  );
  return {
    dir: written.dir,
    changed: written.changed,
    layout: o.layout,
    base: o.base,
    image: o.image,
    name: o.name,
    platforms: dockerArchs.map((a) => `linux/${a}`),
    files: written.entries,
    executables: built.map((e) => ({ ...e, path: join(written.dir, `app-${e.dockerArch}`) })),
  };
}
