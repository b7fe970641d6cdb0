// The new image, ko's way: per platform the base's layers plus the app's layers (one, or for the
// node layout the Node binary's and the bundle's), a config derived
// from the base's (user, entrypoint, env, port, labels, created, history, rootfs), a manifest of
// the base's kind (OCI or Docker v2) naming its base (image-spec annotations.md:
// org.opencontainers.image.base.name/.digest), and an index tying the platforms together. Pure:
// the same inputs give the same bytes, so the same digests.

import { createHash } from "node:crypto";
import type { BasePlatform } from "./base.js";
import type { BuiltLayer } from "./layer.js";
import { mediaTypes, type Blob, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest, type Platform } from "./types.js";

export interface RunSettings {
  user: string; // "65532:65532"
  entrypoint: string[];
  env: Record<string, string>; // set on top of the base's Env (PORT)
  exposedPort: number;
  labels: Record<string, string>; // OCI labels (source, revision, created)
  created: string; // RFC 3339, from SOURCE_DATE_EPOCH
  workingDir?: string; // WORKDIR: /app when runtime files ship there (absent: the base's)
}

export interface PlatformImage {
  platform: Platform;
  manifest: Blob; // its bytes, with mediaType, digest and size in the descriptor
  config: Blob;
  layers: Blob[]; // base layers (remote) and the app layer (file), in order
}

export interface AssembledImage {
  index: Blob;
  images: PlatformImage[];
}

export const sha256Digest = (data: Buffer): string => `sha256:${createHash("sha256").update(data).digest("hex")}`;

const jsonBlob = (mediaType: string, value: unknown, extra: Partial<Descriptor> = {}): Blob => {
  const data = Buffer.from(JSON.stringify(value), "utf8");
  return { descriptor: { mediaType, digest: sha256Digest(data), size: data.length, ...extra }, source: { kind: "bytes", data } };
};

function mergeEnv(base: string[] | undefined, set: Record<string, string>): string[] {
  const out = (base ?? []).filter((e) => !(e.split("=")[0]! in set));
  for (const [k, v] of Object.entries(set)) out.push(`${k}=${v}`);
  return out;
}

export function deriveConfig(base: ImageConfig, layers: AppLayer[], run: RunSettings): ImageConfig {
  const { Cmd: _cmd, ...baseRun } = base.config ?? {};
  return {
    ...base,
    created: run.created,
    config: {
      ...baseRun,
      User: run.user,
      Env: mergeEnv(base.config?.Env, run.env),
      Entrypoint: run.entrypoint,
      ...(run.workingDir ? { WorkingDir: run.workingDir } : {}),
      ExposedPorts: { ...base.config?.ExposedPorts, [`${run.exposedPort}/tcp`]: {} },
      Labels: { ...base.config?.Labels, ...run.labels },
    },
    rootfs: { type: "layers", diff_ids: [...base.rootfs.diff_ids, ...layers.map((l) => l.diffId)] },
    history: [...(base.history ?? []), ...layers.map((l) => ({ created: run.created, created_by: "binship pack container", comment: l.comment }))],
  };
}

export interface AssembleInput {
  base: BasePlatform;
  baseSource: { registry: string; repository: string }; // where the base layers are
  baseName: string; // the --base reference, for the annotation
  layers: AppLayer[]; // on top of the base, in order
  run: RunSettings;
}

/** A layer binship adds, and the history comment that says what it holds. */
export interface AppLayer extends BuiltLayer {
  comment: string; // "the app", "Node 24.11.0"
}

export function assemblePlatform(i: AssembleInput): PlatformImage {
  const docker = i.base.manifestMediaType === mediaTypes.dockerManifest;
  const config = jsonBlob(docker ? mediaTypes.dockerConfig : mediaTypes.ociConfig, deriveConfig(i.base.config, i.layers, i.run));
  const app: Blob[] = i.layers.map((l) => ({
    descriptor: { mediaType: docker ? mediaTypes.dockerLayerGzip : mediaTypes.ociLayerGzip, digest: l.digest, size: l.size },
    source: { kind: "file", path: l.path },
  }));
  const baseLayers: Blob[] = i.base.manifest.layers.map((d) => ({ descriptor: d, source: { kind: "remote", ...i.baseSource } }));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: docker ? mediaTypes.dockerManifest : mediaTypes.ociManifest,
    config: config.descriptor,
    layers: [...i.base.manifest.layers, ...app.map((b) => b.descriptor)],
    // Docker v2 manifests have no annotations field.
    ...(docker ? {} : { annotations: { "org.opencontainers.image.base.digest": i.base.manifestDigest, "org.opencontainers.image.base.name": i.baseName } }),
  };
  return { platform: i.base.platform, manifest: jsonBlob(manifest.mediaType!, manifest), config, layers: [...baseLayers, ...app] };
}

export function assembleIndex(images: PlatformImage[], dockerList: boolean): AssembledImage {
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: dockerList ? mediaTypes.dockerList : mediaTypes.ociIndex,
    manifests: images.map((img) => ({ ...img.manifest.descriptor, platform: img.platform })),
  };
  return { index: jsonBlob(index.mediaType!, index), images };
}
