// The image half of `binship pack container`: --push, --oci-layout, --tarball. Runs after the
// recipe is written, from the files in it (the executables or app.cjs), then pins the
// manifests in k8s/ to the image's digest.

import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { ContainerResult } from "../artifacts/container/index.js";
import type { ResolvedContainerOptions } from "../artifacts/container/options.js";
import { createdFrom, gitLabels, parseReference, publishImage, registryClients, type PublishResult } from "../artifacts/container/image/index.js";
import { pinK8sImage } from "../artifacts/container/pin-k8s.js";
import { BinshipError } from "../errors.js";
import { cacheDirFrom } from "../executable/index.js";
import { formatBytes } from "../log.js";
import type { CommandContext } from "./context.js";

export interface ImageFlags {
  push?: string; // registry/repository[:tag]
  ociLayout?: string; // directory
  tarball?: string; // file
  insecureRegistry?: boolean;
}

export const wantsImage = (f: ImageFlags): boolean => Boolean(f.push || f.ociLayout || f.tarball);

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

export interface ImageOutcome {
  result: PublishResult;
  pinned: string[]; // k8s files rewritten with the digest, relative to the recipe directory
}

export async function publishContainerImage(ctx: CommandContext, options: ResolvedContainerOptions, packed: ContainerResult, f: ImageFlags, projectDir: string): Promise<ImageOutcome> {
  const files =
    packed.layout === "executable"
      ? packed.executables.map((e) => ({ arch: e.arch, path: e.path }))
      : options.archs.map((arch) => ({ arch, path: join(packed.dir, "app.cjs") }));
  const result = await publishImage({
    layout: packed.layout,
    files,
    name: packed.name,
    base: packed.base,
    port: options.port,
    labels: await gitLabels(projectDir),
    created: createdFrom(ctx.env.SOURCE_DATE_EPOCH),
    image: packed.image,
    push: f.push,
    ociLayout: f.ociLayout ? resolve(ctx.cwd, f.ociLayout) : undefined,
    tarball: f.tarball ? resolve(ctx.cwd, f.tarball) : undefined,
    clients: registryClients({ insecure: Boolean(f.insecureRegistry), env: ctx.env }),
    tmpDir: ctx.env.TMPDIR || tmpdir(),
    layerCache: join(cacheDirFrom(ctx.env, ctx.cwd), "layers"),
    logger: ctx.logger,
  });
  const nodeArch = packed.layout === "executable" && packed.platforms.length === 1 ? (packed.platforms[0]!.split("/")[1] as "amd64" | "arm64") : undefined;
  const pinned = options.k8s ? await pinK8sImage(packed.dir, { ...options, nodeArch }, result.reference) : [];
  // The recipe's file list describes the directory as it is now.
  for (const p of pinned) {
    const entry = packed.files.find((e) => e.path === p.relative);
    if (entry) Object.assign(entry, { bytes: p.bytes, sha256: p.sha256 });
  }
  if (pinned.some((p) => p.changed)) packed.changed = true;
  return { result, pinned: pinned.map((p) => p.relative) };
}

/** Lines for people: the digest reference, per platform digests, what was sent. */
export function imageLines(o: ImageOutcome): string[] {
  const r = o.result;
  const lines = [`image ${r.reference}`];
  for (const p of r.platforms) lines.push(`  ${p.platform}  ${p.digest}  app layer ${formatBytes(p.appLayer.size)}`);
  if (r.push) {
    const sent = r.push.blobs.filter((b) => b.outcome === "uploaded").length;
    lines.push(`  pushed ${r.push.reference}: ${sent} blob(s), ${formatBytes(r.push.uploadedBytes)} uploaded, ${r.push.blobs.length - sent} already there or mounted`);
  }
  if (r.ociLayout) lines.push(`  OCI layout ${r.ociLayout.path}${r.ociLayout.changed ? "" : " (unchanged)"}`);
  if (r.tarball) lines.push(`  tarball ${r.tarball.path}${r.tarball.changed ? "" : " (unchanged)"}`);
  if (o.pinned.length) lines.push(`  ${o.pinned.join(", ")} pinned to the digest`);
  return lines;
}

/** The project directory for the git labels: the entry's directory, else the working directory. */
export const projectDirOf = (entry: string | undefined, cwd: string): string => (entry ? dirname(resolve(cwd, entry)) : cwd);
