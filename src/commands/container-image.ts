// The image flags of `binship pack container` (--push, --oci-layout, --tarball,
// --insecure-registry; BINSHIP_NETWORK_TIMEOUT for the registry requests): checked before
// anything is built, turned into the flow's image request, and the result printed for people.

import { resolve } from "node:path";
import { parseReference } from "../artifacts/container/image/index.js";
import { BinshipError } from "../errors.js";
import { formatBytes } from "../log.js";
import type { ImageOutcome, ImageRequest } from "../pipeline/container-image.js";
import { networkSettings } from "../util/http.js";

export interface ImageFlags {
  push?: string; // registry/repository[:tag]
  ociLayout?: string; // directory
  tarball?: string; // file
  insecureRegistry?: boolean;
}

const wantsImage = (f: ImageFlags): boolean => Boolean(f.push || f.ociLayout || f.tarball);

/** Checks the image flags before anything is built; returns the --image the recipe should use. */
export function checkImageFlags(f: ImageFlags, image: string | undefined, cwd: string, outDir: string): string | undefined {
  if (f.insecureRegistry && !wantsImage(f)) {
    throw new BinshipError("USAGE", "--insecure-registry needs --push, --oci-layout or --tarball", { hint: "Drop it, or add --push REGISTRY/REPO[:TAG]." });
  }
  for (const [flag, path] of [["--oci-layout", f.ociLayout], ["--tarball", f.tarball]] as const) {
    if (!path) continue;
    const abs = resolve(cwd, path);
    if (abs === outDir || abs.startsWith(`${outDir}/`) || outDir.startsWith(`${abs}/`)) {
      throw new BinshipError("USAGE", `${flag} ${path} overlaps the recipe directory ${outDir}`, { hint: `Write it elsewhere, e.g. ${flag} dist/image${flag === "--tarball" ? ".tar" : ""}.` });
    }
  }
  if (!f.push) return image;
  const target = parseReference(f.push, "--push");
  if (target.digest) throw new BinshipError("USAGE", `--push ${f.push} names a digest; push to a tag`, { hint: "Use registry/repository[:tag]; the digest is reported after the push." });
  if (image) {
    const named = parseReference(image, "--image");
    if (named.registry !== target.registry || named.repository !== target.repository) {
      throw new BinshipError("USAGE", `--image ${image} and --push ${f.push} name different repositories`, { hint: "Drop --image: with --push the manifests use the pushed image, by digest." });
    }
  }
  return f.push;
}

/** A registry host, as image references write their first component (docker's rule: a dot, a port, or localhost). */
const looksLikeHost = (part: string) => part.includes(".") || part.includes(":") || part === "localhost";

/**
 * --mount-from / "mountFrom": repositories on the push's registry, as `team/orders` or
 * `registry.example.com/team/orders`. A mount works only within one registry (distribution
 * spec, end-11), so another registry, a tag or a digest is a usage error.
 */
export function checkMountFrom(values: string[] | undefined, push: string | undefined): string[] | undefined {
  if (!values?.length) return undefined;
  if (!push) throw new BinshipError("USAGE", "--mount-from needs --push", { hint: "Add --push REGISTRY/REPO[:TAG], or drop --mount-from (and \"mountFrom\" in the config)." });
  const target = parseReference(push, "--push");
  return values.map((value) => {
    const first = value.split("/")[0]!;
    const ref = parseReference(looksLikeHost(first) ? value : `${target.registry}/${value}`, "--mount-from");
    if (ref.tag || ref.digest) throw new BinshipError("USAGE", `--mount-from ${value} names a ${ref.digest ? "digest" : "tag"}; it takes a repository`, { hint: "Pass the repository alone, e.g. --mount-from team/orders." });
    if (ref.registry !== target.registry) {
      throw new BinshipError("USAGE", `--mount-from ${value} is on ${ref.registry}, but the push goes to ${target.registry}`, { hint: "A registry mounts blobs only between its own repositories: name a repository on the push's registry." });
    }
    return ref.repository;
  });
}

/** The flow's image request, or undefined when no image was asked for; a bad BINSHIP_NETWORK_TIMEOUT fails here, before any work. */
export function imageRequest(f: ImageFlags, cwd: string, env: NodeJS.ProcessEnv, mountFrom?: string[]): ImageRequest | undefined {
  if (!wantsImage(f)) return undefined;
  return {
    ...(mountFrom ? { mountFrom } : {}),
    push: f.push,
    ociLayout: f.ociLayout ? resolve(cwd, f.ociLayout) : undefined,
    tarball: f.tarball ? resolve(cwd, f.tarball) : undefined,
    insecure: Boolean(f.insecureRegistry),
    network: networkSettings(env),
  };
}

/** Lines for people: the digest reference, per platform digests, what was sent. */
export function imageLines(o: ImageOutcome): string[] {
  const r = o.result;
  const lines = [`image ${r.reference}`];
  for (const p of r.platforms) {
    const node = p.nodeLayer ? `, Node layer ${formatBytes(p.nodeLayer.size)}` : "";
    const sent = p.uploadedBytes !== undefined ? `; ${formatBytes(p.uploadedBytes)} uploaded` : "";
    lines.push(`  ${p.platform}  ${p.digest}  app layer ${formatBytes(p.appLayer.size)}${node}${sent}`);
  }
  if (r.push) {
    const count = (outcome: string) => r.push!.blobs.filter((b) => b.outcome === outcome).length;
    const mounted = count("mounted") ? `, ${count("mounted")} mounted from other repositories (${formatBytes(r.push.mountedBytes)})` : "";
    lines.push(`  pushed ${r.push.reference}: ${count("uploaded")} blob(s), ${formatBytes(r.push.uploadedBytes)} uploaded${mounted}, ${count("present")} already there`);
  }
  if (r.ociLayout) lines.push(`  OCI layout ${r.ociLayout.path}${r.ociLayout.changed ? "" : " (unchanged)"}`);
  if (r.tarball) lines.push(`  tarball ${r.tarball.path}${r.tarball.changed ? "" : " (unchanged)"}`);
  if (o.pinned.length) lines.push(`  ${o.pinned.join(", ")} pinned to the digest`);
  return lines;
}
