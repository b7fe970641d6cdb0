// Stage: the container image, built without a daemon. It takes finished inputs (an executable
// per architecture and its SBOM, or the bundle), reads the base from its registry, adds one app layer per
// platform, and writes the result where asked: a registry (--push), an OCI layout, a tarball.
// It never builds the app and never reads argv, env or cwd: the command passes all of it.

import { join } from "node:path";
import type { Arch, ContainerLayout } from "../../../config.js";
import type { Diagnostic } from "../../../diagnostic.js";
import { BinshipError } from "../../../errors.js";
import { formatBytes, type Logger } from "../../../log.js";
import { assembleIndex, assemblePlatform, type AppLayer, type AssembledImage, type RunSettings } from "./assemble.js";
import { compileCacheEnv } from "../compile-cache.js";
import { nodeImagePath } from "../layouts/node.js";
import { readBase } from "./base.js";
import type { Clients } from "./blobs.js";
import type { BuiltLayer } from "./layer.js";
import { buildLayerCached } from "./layer-cache.js";
import { imageSbomPath } from "../sbom.js";
import { writeOciLayout, writeTarball, type LayoutResult } from "./layout.js";
import type { KnownBlobs } from "./known-blobs.js";
import { pushImage, type PushReport } from "./push.js";
import { digestReference, formatReference, parseReference, repositoryName } from "./reference.js";
import { mediaTypes, type Platform } from "./types.js";
import { makeScratch } from "../../../util/stale.js";

/** The nonroot user of distroless images, which the Kubernetes manifests require. */
export const nonroot = 65532;

export interface PublishOptions {
  layout: ContainerLayout; // "executable": files holds one executable per arch; "bundle": one app.cjs for every arch; "node": the bundle and each arch's Node binary
  files: { arch: Arch; path: string; sbom?: string; node?: string }[]; // the finished app files (for bundle and node: the same path for each arch), each one's SBOM file, and (node layout) the arch's stripped Node binary
  name: string; // the executable's name in the image: /app/<name>
  assets?: { name: string; source: string; mode: number }[]; // runtime files: /app/<name>, root's (as the Dockerfile's COPY), in the app layer; WORKDIR /app
  bundleFile?: string; // the bundle's name in the image, /app/<bundleFile> (default app.cjs; app.mjs for an ES module bundle)
  compileCache?: { dir: string; files: string[] }; // node layout: Node's compile cache, files relative to dir ("compile-cache/..."), put beside the bundle in /app
  base: string; // base image reference, read from its registry
  port: number; // ENV PORT and the exposed port
  labels: Record<string, string>; // OCI labels for the config
  created: Date; // config and history time, layer mtimes (SOURCE_DATE_EPOCH)
  image: string; // the image's name: the tag of layouts and tarballs, the repository of the digest reference
  push?: string; // registry/repository[:tag] to push to
  ociLayout?: string; // absolute directory for an OCI image layout
  tarball?: string; // absolute file for a tarball (OCI layout + docker-archive manifest.json)
  clients: Clients; // registry clients (credentials and TLS settings are theirs)
  mountFrom?: string[]; // repositories on the push's registry to mount blobs from (--mount-from), after those known from earlier pushes
  knownBlobs?: (registry: string) => Promise<KnownBlobs>; // where earlier pushes to a registry left each blob (known-blobs.ts); updated after this push
  tmpDir: string; // where the layers are built without a cache
  layerCache?: string; // directory keeping built layers by content (undefined: none)
  logger: Logger; // progress only
}

export interface PublishedPlatform {
  platform: string; // linux/amd64
  digest: string; // the platform's manifest
  size: number;
  appLayer: { digest: string; size: number; diffId: string }; // the top layer: the executable, or the bundle
  nodeLayer?: { digest: string; size: number; diffId: string }; // the node layout's Node binary layer, below the app's
  uploadedBytes?: number; // with --push: blob bytes of this platform really sent (a blob shared with an earlier platform counts there)
}

export interface PublishResult {
  digest: string; // the image index's digest
  mediaType: string;
  reference: string; // registry/repository@sha256:... for the manifests
  base: { reference: string; digest: string };
  platforms: PublishedPlatform[];
  push?: PushReport;
  ociLayout?: LayoutResult;
  tarball?: LayoutResult;
  warnings: Diagnostic[]; // e.g. a cached layer found corrupt (and built again)
}

const platformOf = (arch: Arch): Platform => ({ os: "linux", architecture: arch === "x64" ? "amd64" : "arm64" });

function runSettings(o: PublishOptions): RunSettings {
  const created = o.created.toISOString().replace(/\.000Z$/, "Z");
  return {
    user: `${nonroot}:${nonroot}`,
    entrypoint: o.layout === "executable" ? [`/app/${o.name}`] : [o.layout === "node" ? nodeImagePath : "/nodejs/bin/node", `/app/${bundleFileOf(o)}`],
    env: { PORT: String(o.port), ...(o.layout === "node" && o.compileCache?.files.length ? compileCacheEnv : {}) },
    exposedPort: o.port,
    ...(o.assets?.length ? { workingDir: "/app" } : {}),
    labels: { ...o.labels, "org.opencontainers.image.created": created },
    created,
  };
}

const bundleFileOf = (o: PublishOptions) => o.bundleFile ?? "app.cjs";

async function buildLayers(o: PublishOptions, dir: string, warnings: Diagnostic[]): Promise<Map<Arch, AppLayer[]>> {
  const layers = new Map<Arch, AppLayer[]>();
  const byPath = new Map<string, BuiltLayer>(); // the bundle's one file gives one layer for every arch (the bundle layout's; the node layout's SBOM is each arch's own)
  const mtime = Math.floor(o.created.getTime() / 1000);
  for (const f of [...o.files].sort((a, b) => (a.arch < b.arch ? -1 : 1))) {
    const own: AppLayer[] = [];
    if (f.node) {
      o.logger.progress(`layering ${f.node}`);
      // Root's, mode 0755 and mtime 0 whatever SOURCE_DATE_EPOCH says: the layer depends on the
      // Node binary alone, so every service built on this Node has the same digest and shares it.
      const file = { source: f.node, path: nodeImagePath.slice(1), mode: 0o755 };
      const node = await buildLayerCached({ files: [file], uid: 0, gid: 0, mtime: 0, outfile: join(dir, `node-${f.arch}.tar.gz`) }, o.layerCache, warnings);
      own.push({ ...node, comment: "the Node runtime" });
    }
    const key = `${f.path}\0${f.sbom ?? ""}`;
    let layer = byPath.get(key);
    if (!layer) {
      o.logger.progress(`layering ${f.path}`);
      const file =
        o.layout === "executable"
          ? { source: f.path, path: `app/${o.name}`, mode: 0o755 }
          : // The node layout's Dockerfile copies the bundle without --chown: root's, as here.
            { source: f.path, path: `app/${bundleFileOf(o)}`, mode: 0o644, ...(o.layout === "node" ? { owner: 0 } : {}) };
      // Where and how the recipe's Dockerfile puts it: COPY --chmod=0644, owned by root.
      const sbom = f.sbom ? [{ source: f.sbom, path: imageSbomPath(o.name).slice(1), mode: 0o644, owner: 0 }] : [];
      const assets = (o.assets ?? []).map((a) => ({ source: a.source, path: `app/${a.name}`, mode: a.mode, owner: 0 }));
      // As the Dockerfile's COPY compile-cache/ gives them: root's, readable by the image's user.
      const cache = o.layout === "node" ? (o.compileCache?.files ?? []).map((c) => ({ source: join(o.compileCache!.dir, c), path: `app/${c}`, mode: 0o644, owner: 0 })) : [];
      layer = await buildLayerCached({ files: [file, ...sbom, ...cache, ...assets], uid: nonroot, gid: nonroot, mtime, outfile: join(dir, `layer-${f.arch}.tar.gz`) }, o.layerCache, warnings);
      byPath.set(key, layer);
    }
    own.push({ ...layer, comment: "the app" });
    layers.set(f.arch, own);
  }
  o.logger.done();
  return layers;
}

export async function publishImage(o: PublishOptions): Promise<PublishResult> {
  if (!o.push && !o.ociLayout && !o.tarball) throw new Error("publishImage: no destination given");
  const baseRef = parseReference(o.base, "--base");
  const target = o.push ? parseReference(o.push, "--push") : undefined;
  if (target?.digest) throw new BinshipError("USAGE", `--push ${o.push} names a digest; push to a tag`, { hint: "Use registry/repository[:tag]; the digest is reported after the push." });
  const named = target ?? parseReference(o.image, "--image");
  // Index order amd64, arm64, as Docker's platform names sort.
  const archs = [...new Set(o.files.map((f) => f.arch))].sort((a, b) => (platformOf(a).architecture < platformOf(b).architecture ? -1 : 1));
  // Private, removed on interrupt, and swept by the next run if this one is killed.
  const scratch = await makeScratch(o.tmpDir, "image");
  const work = scratch.path;
  try {
    // The base first: a wrong reference, a login or TLS problem fails before seconds of gzip.
    o.logger.progress(`reading ${formatReference(baseRef)}`);
    const base = await readBase(o.clients(baseRef.registry), baseRef, archs.map(platformOf));
    o.logger.done();
    const warnings: Diagnostic[] = [];
    const layers = await buildLayers(o, work, warnings);
    const run = runSettings(o);
    const images = archs.map((arch, i) =>
      assemblePlatform({ base: base.platforms[i]!, baseSource: { registry: baseRef.registry, repository: baseRef.repository }, baseName: o.base, layers: layers.get(arch)!, run }),
    );
    const image: AssembledImage = assembleIndex(images, images.every((img) => img.manifest.descriptor.mediaType === mediaTypes.dockerManifest));
    const result: PublishResult = {
      digest: image.index.descriptor.digest,
      mediaType: image.index.descriptor.mediaType,
      reference: digestReference(named, image.index.descriptor.digest),
      base: { reference: o.base, digest: base.digest },
      platforms: images.map((img, i) => {
        const own = layers.get(archs[i]!)!;
        const layer = own.at(-1)!;
        const node = own.length > 1 ? own[0]! : undefined;
        return {
          platform: `${img.platform.os}/${img.platform.architecture}`,
          digest: img.manifest.descriptor.digest,
          size: img.manifest.descriptor.size,
          appLayer: { digest: layer.digest, size: layer.size, diffId: layer.diffId },
          ...(node ? { nodeLayer: { digest: node.digest, size: node.size, diffId: node.diffId } } : {}),
        };
      }),
      warnings,
    };
    if (target) {
      o.logger.progress(`pushing to ${repositoryName(target)}`);
      let sent = 0;
      const known = await o.knownBlobs?.(target.registry);
      const sources = (digest: string) => [...new Set([...(known?.sources(digest) ?? []), ...(o.mountFrom ?? [])])];
      result.push = await pushImage(
        image,
        target,
        o.clients,
        (b) => {
          if (b.outcome === "uploaded") sent += b.size;
          o.logger.progress(`pushing to ${repositoryName(target)}: ${formatBytes(sent)} uploaded`);
          o.logger.debug(`${b.outcome} ${b.digest} (${b.size} bytes)`);
        },
        sources,
      );
      o.logger.done();
      // Every blob of the image is in the target repository now: the next push elsewhere on this registry can mount them.
      if (known) {
        known.remember(target.repository, result.push.blobs.map((b) => b.digest));
        await known.save().catch((err: Error) => {
          warnings.push({ text: `could not remember the pushed blobs for later mounts: ${err.message}`, hint: "Pushes still work; the next one to another repository uploads the Node layer instead of mounting it." });
        });
      }
      const uploaded = new Map(result.push.blobs.filter((b) => b.outcome === "uploaded").map((b) => [b.digest, b.size]));
      const counted = new Set<string>();
      images.forEach((img, i) => {
        let bytes = 0;
        for (const blob of [...img.layers, img.config]) {
          const d = blob.descriptor.digest;
          if (counted.has(d)) continue;
          counted.add(d);
          bytes += uploaded.get(d) ?? 0;
        }
        result.platforms[i]!.uploadedBytes = bytes;
      });
    }
    const tag = named.tag ?? "latest";
    if (o.ociLayout) result.ociLayout = await writeOciLayout(image, o.ociLayout, tag, o.clients);
    if (o.tarball) {
      const mtime = Math.floor(o.created.getTime() / 1000);
      result.tarball = await writeTarball(image, o.tarball, { tag, repoTag: `${repositoryName(named)}:${tag}` }, o.clients, mtime);
    }
    return result;
  } finally {
    await scratch.dispose();
  }
}
