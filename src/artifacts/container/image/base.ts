// The base image, read from its registry: its index (or single manifest), and per requested
// platform the manifest and config. Layers are not downloaded here; a push mounts or copies
// them, a layout or tarball downloads them.

import { BinshipError } from "../../../errors.js";
import type { RegistryClient } from "./registry.js";
import { formatReference, type ImageReference } from "./reference.js";
import { isIndexType, isManifestType, type ImageConfig, type ImageIndex, type ImageManifest, type Platform } from "./types.js";

export interface BasePlatform {
  platform: Platform;
  manifest: ImageManifest;
  manifestMediaType: string;
  manifestDigest: string;
  config: ImageConfig;
}

export interface BaseImage {
  reference: ImageReference;
  digest: string; // of what the reference named: the index, or the single manifest
  indexMediaType?: string; // undefined when the base is a single-platform manifest
  platforms: BasePlatform[]; // in the order asked for
}

const platformKey = (p: Platform) => `${p.os}/${p.architecture}`;

async function readPlatform(client: RegistryClient, ref: ImageReference, reference: string): Promise<Omit<BasePlatform, "platform"> & { platform: Platform }> {
  const fetched = await client.getManifest(ref.repository, reference);
  if (!isManifestType(fetched.mediaType)) {
    throw new BinshipError("REGISTRY_FAILED", `${formatReference(ref)} points to a ${fetched.mediaType || "manifest of unknown type"}, not an image manifest`, { hint: "Use an image as --base." });
  }
  const manifest = JSON.parse(fetched.bytes.toString("utf8")) as ImageManifest;
  const config = JSON.parse((await client.getBlobBytes(ref.repository, manifest.config.digest)).toString("utf8")) as ImageConfig;
  return {
    platform: { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) },
    manifest,
    manifestMediaType: fetched.mediaType,
    manifestDigest: fetched.digest,
    config,
  };
}

/** Reads `ref` and the manifest and config of each of `wanted` (linux/amd64, linux/arm64 ...). */
export async function readBase(client: RegistryClient, ref: ImageReference, wanted: Platform[]): Promise<BaseImage> {
  const top = await client.getManifest(ref.repository, ref.digest ?? ref.tag ?? "latest");
  const platforms: BasePlatform[] = [];
  const missing = (have: string[]) =>
    new BinshipError("CONFIG_INVALID", `--base ${formatReference(ref)} has no ${wanted.map(platformKey).filter((k) => !have.includes(k)).join(", ")} image (it has ${have.join(", ") || "none"})`, {
      hint: "Pass --arch with the architectures the base has, or a multi-arch --base.",
    });
  if (isIndexType(top.mediaType)) {
    const index = JSON.parse(top.bytes.toString("utf8")) as ImageIndex;
    const available = index.manifests.filter((m) => m.platform && isManifestType(m.mediaType));
    for (const p of wanted) {
      const entry = available.find((m) => m.platform!.os === p.os && m.platform!.architecture === p.architecture);
      if (!entry) throw missing(available.map((m) => platformKey(m.platform!)));
      const read = await readPlatform(client, ref, entry.digest);
      platforms.push({ ...read, platform: { ...entry.platform!, ...read.platform, ...(entry.platform!.variant ? { variant: entry.platform!.variant } : {}) } });
    }
    return { reference: ref, digest: top.digest, indexMediaType: top.mediaType, platforms };
  }
  const single = await readPlatform(client, ref, top.digest);
  const unmatched = wanted.filter((p) => platformKey(p) !== platformKey(single.platform));
  if (unmatched.length) throw missing([platformKey(single.platform)]);
  return { reference: ref, digest: top.digest, platforms: [single] };
}
