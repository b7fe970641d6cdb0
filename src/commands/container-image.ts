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

/** The flow's image request, or undefined when no image was asked for; a bad BINSHIP_NETWORK_TIMEOUT fails here, before any work. */
export function imageRequest(f: ImageFlags, cwd: string, env: NodeJS.ProcessEnv): ImageRequest | undefined {
  if (!wantsImage(f)) return undefined;
  return {
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
    const sent = r.push.blobs.filter((b) => b.outcome === "uploaded").length;
    lines.push(`  pushed ${r.push.reference}: ${sent} blob(s), ${formatBytes(r.push.uploadedBytes)} uploaded, ${r.push.blobs.length - sent} already there or mounted`);
  }
  if (r.ociLayout) lines.push(`  OCI layout ${r.ociLayout.path}${r.ociLayout.changed ? "" : " (unchanged)"}`);
  if (r.tarball) lines.push(`  tarball ${r.tarball.path}${r.tarball.changed ? "" : " (unchanged)"}`);
  if (o.pinned.length) lines.push(`  ${o.pinned.join(", ")} pinned to the digest`);
  return lines;
}
