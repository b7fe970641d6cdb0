// The OCI image structures binship reads and writes (OCI image-spec v1.1: descriptor.md,
// manifest.md, image-index.md, config.md), and the Docker v2 schema 2 media types registries
// still serve for older bases. Only the fields binship touches are typed; the rest is kept as is.

export const mediaTypes = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

export const isIndexType = (t: string | undefined): boolean => t === mediaTypes.ociIndex || t === mediaTypes.dockerList;
export const isManifestType = (t: string | undefined): boolean => t === mediaTypes.ociManifest || t === mediaTypes.dockerManifest;

export interface Platform {
  os: string;
  architecture: string; // GOARCH names: amd64, arm64
  variant?: string; // "v8" for arm64 in some indexes
}

export interface Descriptor {
  mediaType: string;
  digest: string; // sha256:<hex>
  size: number; // bytes
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** The runtime part of an image config ("config" in config.md), Docker's capitalised keys. */
export interface RunConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
  WorkingDir?: string;
  [key: string]: unknown;
}

export interface ImageConfig {
  created?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: RunConfig;
  rootfs: { type: "layers"; diff_ids: string[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
  [key: string]: unknown;
}

/** Where a blob's bytes are: in memory, in a local file, or in a repository of a registry. */
export type BlobSource =
  | { kind: "bytes"; data: Buffer }
  | { kind: "file"; path: string }
  | { kind: "remote"; registry: string; repository: string };

export interface Blob {
  descriptor: Descriptor;
  source: BlobSource;
}
