// The image step of the pack container flow (--push, --oci-layout, --tarball): from the files
// the container stage wrote (the executables or app.cjs), the image stage builds the image on
// its base and sends it where asked; then the manifests in k8s/ are pinned to its digest.

import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { assetContextDir, dockerArchOf, type ContainerOptions, type ContainerResult } from "../artifacts/container/index.js";
import { createdFrom, gitLabels, loadKnownBlobs, publishImage, registryClients, type PublishResult } from "../artifacts/container/image/index.js";
import { pinK8sImage } from "../artifacts/container/pin-k8s.js";
import { cacheDirFrom, compileCacheDirName } from "../executable/index.js";
import type { Logger } from "../log.js";
import type { NetworkSettings } from "../util/http.js";

/** Where the image goes; at least one destination. */
export interface ImageRequest {
  push?: string; // registry/repository[:tag]
  ociLayout?: string; // absolute directory
  tarball?: string; // absolute file
  insecure: boolean; // --insecure-registry
  mountFrom?: string[]; // repositories on the push's registry to mount blobs from (--mount-from / "mountFrom")
  network: NetworkSettings; // deadlines and retries of every registry request (util/http.ts)
}

export interface ImageOutcome {
  result: PublishResult;
  pinned: string[]; // k8s files rewritten with the digest, relative to the recipe directory
}

export interface ImageStepInput {
  request: ImageRequest;
  options: ContainerOptions;
  packed: ContainerResult; // the recipe just written; its k8s entries are updated when pinned
  entry: string | undefined; // the project's entry, for the git labels
  cwd: string;
  env: NodeJS.ProcessEnv; // SOURCE_DATE_EPOCH, DOCKER_CONFIG, HOME, PATH, TMPDIR, the cache directory
  logger: Logger;
}

/** The recipe's SBOM for one architecture (sbom-<arch>.cdx.json), the file its Dockerfile copies. */
function sbomOf(packed: ContainerResult, dockerArch: string): string | undefined {
  const name = `sbom-${dockerArch}.cdx.json`;
  return packed.files.some((f) => f.path === name) ? join(packed.dir, name) : undefined;
}

export async function publishContainerImage(i: ImageStepInput): Promise<ImageOutcome> {
  const { packed, options, request, env } = i;
  const bundleFile = options.bundleFile ?? "app.cjs";
  const files =
    packed.layout === "executable"
      ? packed.executables.map((e) => ({ arch: e.arch, path: e.path, sbom: sbomOf(packed, e.dockerArch) }))
      : packed.layout === "node"
        ? options.archs.map((arch) => ({ arch, path: join(packed.dir, bundleFile), node: join(packed.dir, `node-${dockerArchOf(arch)}`), sbom: sbomOf(packed, dockerArchOf(arch)) }))
        : options.archs.map((arch) => ({ arch, path: join(packed.dir, bundleFile) }));
  const result = await publishImage({
    layout: packed.layout,
    files,
    name: packed.name,
    bundleFile,
    assets: packed.assets.map((a) => ({ name: a.name, source: join(packed.dir, assetContextDir, ...a.name.split("/")), mode: a.mode })),
    ...(packed.layout === "node" ? { compileCache: { dir: packed.dir, files: packed.files.map((f) => f.path).filter((f) => f.startsWith(`${compileCacheDirName}/`)).sort() } } : {}),
    base: packed.base,
    port: options.port,
    labels: await gitLabels(i.entry ? dirname(resolve(i.cwd, i.entry)) : i.cwd),
    created: createdFrom(env.SOURCE_DATE_EPOCH),
    image: packed.image,
    push: request.push,
    ociLayout: request.ociLayout,
    tarball: request.tarball,
    clients: registryClients({ insecure: request.insecure, env, network: request.network }),
    mountFrom: request.mountFrom,
    knownBlobs: (registry: string) => loadKnownBlobs(join(cacheDirFrom(env, i.cwd), "registry-blobs"), registry),
    tmpDir: env.TMPDIR || tmpdir(),
    layerCache: join(cacheDirFrom(env, i.cwd), "layers"),
    logger: i.logger,
  });
  const nodeArch = packed.layout !== "bundle" && packed.platforms.length === 1 ? (packed.platforms[0]!.split("/")[1] as "amd64" | "arm64") : undefined;
  const pinned = options.k8s ? await pinK8sImage(packed.dir, { ...options, nodeArch }, result.reference) : [];
  // The recipe's file list describes the directory as it is now.
  for (const p of pinned) {
    const entry = packed.files.find((e) => e.path === p.relative);
    if (entry) Object.assign(entry, { bytes: p.bytes, sha256: p.sha256 });
  }
  if (pinned.some((p) => p.changed)) packed.changed = true;
  return { result, pinned: pinned.filter((p) => p.relative.startsWith("k8s/")).map((p) => p.relative) };
}
