// The image without a registry. --oci-layout DIR: an OCI Image Layout (image-spec
// image-layout.md: oci-layout, index.json naming the image index with its tag in
// org.opencontainers.image.ref.name, blobs/sha256/<hex>), for `skopeo copy oci:DIR:TAG`,
// `crane push`, umoci. --tarball FILE: the same tree in one tar, plus the manifest.json that
// `docker load` and `skopeo copy docker-archive:` read (one entry per platform).

import { access, chmod, mkdir, rm } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { writeDirAtomic } from "../../../util/dir-atomic.js";
import { commitFile, freshTempBeside } from "../../../util/atomic.js";
import type { AssembledImage } from "./assemble.js";
import { allBlobs, openBlob, type Clients } from "./blobs.js";
import { tarStream, type TarEntry } from "./tar.js";
import { mediaTypes, type Blob } from "./types.js";
import { diskFullError, diskFullFailure } from "../../../util/disk-full.js";

export interface LayoutResult {
  path: string;
  changed: boolean; // false when the existing output held exactly this image
}

const blobPath = (digest: string) => `blobs/sha256/${digest.slice("sha256:".length)}`;

function indexJson(image: AssembledImage, tag: string | undefined): Buffer {
  const annotations = tag ? { annotations: { "org.opencontainers.image.ref.name": tag } } : {};
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [{ ...image.index.descriptor, ...annotations }] }));
}

const ociLayoutFile = Buffer.from(JSON.stringify({ imageLayoutVersion: "1.0.0" }));

const isLayout = (dir: string) =>
  access(join(dir, "oci-layout")).then(
    () => true,
    () => false,
  );

export async function writeOciLayout(image: AssembledImage, dir: string, tag: string | undefined, clients: Clients): Promise<LayoutResult> {
  const written = await writeDirAtomic(
    dir,
    async (tmp) => {
      await mkdir(join(tmp, "blobs", "sha256"), { recursive: true });
      for (const blob of allBlobs(image)) {
        const file = join(tmp, blobPath(blob.descriptor.digest));
        await pipeline(await openBlob(blob, clients), createWriteStream(file, { mode: 0o644 }));
        await chmod(file, 0o644);
      }
      await pipeline(async function* () {
        yield ociLayoutFile;
      }, createWriteStream(join(tmp, "oci-layout"), { mode: 0o644 }));
      await pipeline(async function* () {
        yield indexJson(image, tag);
      }, createWriteStream(join(tmp, "index.json"), { mode: 0o644 }));
    },
    { replaceable: isLayout, producer: "an OCI image layout writer" },
  );
  return { path: written.dir, changed: written.changed };
}

async function* streamed(blob: Blob, clients: Clients): AsyncGenerator<Buffer> {
  yield* (await openBlob(blob, clients)) as AsyncIterable<Buffer>;
}

/** docker-archive's manifest.json: per platform the config, tags and layer files. */
function dockerManifest(image: AssembledImage, repoTag: string | undefined): Buffer {
  const multi = image.images.length > 1;
  return Buffer.from(
    JSON.stringify(
      image.images.map((img) => ({
        Config: blobPath(img.config.descriptor.digest),
        RepoTags: repoTag ? [multi ? `${repoTag}-${img.platform.architecture}` : repoTag] : [],
        Layers: img.layers.map((l) => blobPath(l.descriptor.digest)),
      })),
    ),
  );
}

export async function writeTarball(image: AssembledImage, file: string, names: { tag?: string; repoTag?: string }, clients: Clients, mtime: number): Promise<LayoutResult> {
  const meta = (name: string, data: Buffer): TarEntry => ({ name, type: "file", mode: 0o644, uid: 0, gid: 0, mtime, size: data.length, data: () => [data] });
  const dir = (name: string): TarEntry => ({ name, type: "directory", mode: 0o755, uid: 0, gid: 0, mtime, size: 0 });
  const entries: TarEntry[] = [
    meta("oci-layout", ociLayoutFile),
    meta("index.json", indexJson(image, names.tag)),
    meta("manifest.json", dockerManifest(image, names.repoTag)),
    dir("blobs/"),
    dir("blobs/sha256/"),
    ...allBlobs(image).map(
      (blob): TarEntry => ({
        name: blobPath(blob.descriptor.digest),
        type: "file",
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime,
        size: blob.descriptor.size,
        data: () => streamed(blob, clients),
      }),
    ),
  ];
  const tmp = await freshTempBeside(file);
  try {
    await pipeline(tarStream(entries), createWriteStream(tmp, { mode: 0o644 }));
    await chmod(tmp, 0o644);
    const result = await commitFile(tmp, file);
    return { path: file, changed: result.changed };
  } catch (err) {
    await rm(tmp, { force: true });
    if (diskFullError(err)) throw diskFullFailure(file, err); // a write on a stream names no path
    throw err;
  }
}
