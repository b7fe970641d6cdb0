// Pushes an assembled image to a repository: every blob the registry lacks (HEAD first; then a
// cross-repository mount where the blob is known to be in another repository of the same
// registry: base layers from the base's repository, binship's own layers (the shared Node layer)
// from a repository an earlier push sent them to, or one the user named), then each platform's
// manifest by digest, then the index under the tag. Only bytes the registry did not have are
// sent, so a rebuild with a changed app sends one app layer per architecture.

import { BinshipError } from "../../../errors.js";
import type { AssembledImage } from "./assemble.js";
import { openBlob, type Clients } from "./blobs.js";
import { formatReference, type ImageReference } from "./reference.js";
import type { Blob } from "./types.js";

export type BlobOutcome = "uploaded" | "mounted" | "present";

export interface PushedBlob {
  digest: string;
  size: number;
  outcome: BlobOutcome;
}

export interface PushReport {
  reference: string; // what was pushed to, registry/repository:tag
  digest: string; // the index's digest
  uploadedBytes: number; // blob bytes sent (manifests not counted)
  mountedBytes: number; // blob bytes the registry mounted from another repository instead
  blobs: PushedBlob[];
}

/** Repositories on the target's registry that may hold a blob (known-blobs.ts, --mount-from), most likely first. */
export type MountSources = (digest: string) => string[];

/** The one repository to mount `blob` from: its own if it is a layer of a base on this registry, else the first source. */
function mountSource(blob: Blob, target: ImageReference, sources: MountSources): string | undefined {
  const src = blob.source;
  if (src.kind === "remote") return src.registry === target.registry && src.repository !== target.repository ? src.repository : undefined;
  return sources(blob.descriptor.digest).find((r) => r !== target.repository);
}

async function pushBlob(blob: Blob, target: ImageReference, clients: Clients, sources: MountSources): Promise<BlobOutcome> {
  const client = clients(target.registry);
  const { digest, size } = blob.descriptor;
  if (await client.hasBlob(target.repository, digest)) return "present";
  let location: string | undefined;
  const src = blob.source;
  // One attempt: a 202 opens the upload session the blob then goes to, so a second candidate would leave it dangling.
  const from = mountSource(blob, target, sources);
  if (from) {
    // A refused mount (no pull access to the source, a token without its scope) is never fatal:
    // the blob is uploaded, and the upload's own request reports a real problem with the target.
    const mount = await client.mountBlob(target.repository, digest, from).catch((err: unknown) => {
      if (err instanceof BinshipError && err.code === "REGISTRY_FAILED") return undefined;
      throw err;
    });
    if (mount?.mounted) return "mounted";
    location = mount?.location;
  }
  location ??= await client.startUpload(target.repository);
  const body = src.kind === "bytes" ? src.data : { stream: () => openBlob(blob, clients), length: size };
  await client.finishUpload(target.repository, location, blob.descriptor, body);
  return "uploaded";
}

export async function pushImage(image: AssembledImage, target: ImageReference, clients: Clients, onBlob?: (b: PushedBlob) => void, sources: MountSources = () => []): Promise<PushReport> {
  const tag = target.tag ?? "latest";
  const blobs: PushedBlob[] = [];
  const done = new Set<string>();
  for (const img of image.images) {
    for (const blob of [...img.layers, img.config]) {
      if (done.has(blob.descriptor.digest)) continue;
      done.add(blob.descriptor.digest);
      const pushed = { digest: blob.descriptor.digest, size: blob.descriptor.size, outcome: await pushBlob(blob, target, clients, sources) };
      blobs.push(pushed);
      onBlob?.(pushed);
    }
  }
  const client = clients(target.registry);
  const bytesOf = (b: Blob) => (b.source.kind === "bytes" ? b.source.data : Buffer.alloc(0));
  for (const img of image.images) await client.putManifest(target.repository, img.manifest.descriptor.digest, img.manifest.descriptor.mediaType, bytesOf(img.manifest));
  await client.putManifest(target.repository, tag, image.index.descriptor.mediaType, bytesOf(image.index));
  return {
    reference: formatReference({ ...target, tag }),
    digest: image.index.descriptor.digest,
    uploadedBytes: blobs.filter((b) => b.outcome === "uploaded").reduce((n, b) => n + b.size, 0),
    mountedBytes: blobs.filter((b) => b.outcome === "mounted").reduce((n, b) => n + b.size, 0),
    blobs,
  };
}
