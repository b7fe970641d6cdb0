// binship pack container [entry] -o dist/container

import { basename, resolve } from "node:path";
import { defaultContainerDir, resolveContainerOptions } from "../artifacts/container/options.js";
import type { Arch } from "../config.js";
import { BinshipError } from "../errors.js";
import { readBuildInfo } from "../inspect/build-info.js";
import { inspectFile, type ElfReport } from "../inspect/index.js";
import { formatBytes } from "../log.js";
import { binshipVersion } from "../paths.js";
import { packContainerFlow } from "../pipeline/pack-container.js";
import { withInterruptCleanup } from "../util/interrupt.js";
import type { Output } from "../util/outputs.js";
import { shownPath } from "../util/shown-path.js";
import { checkAuditOutputs, largestLine, writeAuditOutputs, type AuditFlags } from "./audit.js";
import type { ContainerResult } from "../artifacts/container/index.js";
import type { PublishResult } from "../artifacts/container/image/publish.js";
import { checkCommandOutputs, printWarnings, resolveConfig, type ExecutableFlagValues, type CommandContext, type CommandOutput } from "./context.js";
import { checkImageFlags, checkMountFrom, imageLines, imageRequest, type ImageFlags } from "./container-image.js";

export interface PackContainerFlags extends ExecutableFlagValues, ImageFlags, AuditFlags {
  outfile?: string;
  arch?: string[];
  layout?: string;
  base?: string;
  image?: string;
  name?: string;
  port?: number;
  replicas?: number;
  k8s?: boolean;
  executable?: string[]; // prebuilt executables (binship build), one per arch
  depfile?: string;
}

async function readPrebuilt(files: string[], cwd: string): Promise<Map<Arch, ElfReport>> {
  const reports = new Map<Arch, ElfReport>();
  for (const file of files) {
    const report = await inspectFile(resolve(cwd, file));
    if (!report.arch) {
      throw new BinshipError("USAGE", `--executable ${file} is a ${report.machine} executable; images are built for arm64 and x64`, { hint: "Pass an executable made by binship build." });
    }
    if (reports.has(report.arch)) {
      throw new BinshipError("USAGE", `--executable was given two ${report.arch} executables`, { hint: "Pass one executable per architecture." });
    }
    reports.set(report.arch, report);
  }
  return reports;
}

/** What `binship pack container --json` prints and the API's `packContainer()` returns (with `warnings`). */
export interface PackContainerResult extends Omit<ContainerResult, "warnings"> {
  index?: PublishResult; // with push, ociLayout or tarball: the image built (image is then its digest reference)
}

export async function packContainerCommand(ctx: CommandContext, entry: string | undefined, flags: PackContainerFlags): Promise<CommandOutput<PackContainerResult>> {
  const { executable: prebuiltFiles, push, ociLayout, tarball, insecureRegistry, ...configFlags } = flags;
  const imageFlags: ImageFlags = { push, ociLayout, tarball, insecureRegistry };
  const prebuilt = prebuiltFiles?.length ? await readPrebuilt(prebuiltFiles, ctx.cwd) : undefined;
  const loaded = await resolveConfig(ctx, "container", {
    entry,
    ...configFlags,
    // With prebuilt executables and no --arch, the image holds exactly their architectures.
    arch: configFlags.arch ?? (prebuilt ? [...prebuilt.keys()] : undefined),
  });
  const { config } = loaded;
  const { sbom, report, depfile } = config;
  // With --push the recipe and manifests name the pushed repository.
  const image = checkImageFlags(imageFlags, config.image, ctx.cwd, resolve(ctx.cwd, config.outfile ?? defaultContainerDir));
  const mountFrom = checkMountFrom(config.mountFrom, push);
  // Prebuilt executables go into the executable layout unless a layout was asked for.
  const layout = config.layout ?? (prebuilt ? "executable" : undefined);
  const { options, warnings } = resolveContainerOptions({ ...config, image, layout }, ctx.cwd);
  if (prebuilt && options.layout !== "executable") {
    throw new BinshipError("USAGE", `--executable cannot be used with --layout ${options.layout}`, { hint: "Drop --executable, or use --layout executable." });
  }
  if (prebuilt) {
    const missing = options.archs.filter((a) => !prebuilt.has(a));
    if (missing.length) {
      throw new BinshipError("USAGE", `no --executable for ${missing.join(", ")}`, { hint: `Pass one per --arch, or drop --arch to use the architectures given.` });
    }
  }
  if (!prebuilt && !config.entry) {
    throw new BinshipError("USAGE", "no entry module given", { hint: 'Pass it as an argument (binship pack container src/index.ts) or set "entry" in binship.config.json.' });
  }
  checkAuditOutputs(ctx, { sbom, report }, options.outDir);
  const given = (prebuiltFiles ?? []).map((f) => resolve(ctx.cwd, f));
  const outputs: Output[] = [{ flag: "-o", path: options.outDir, dir: true }];
  if (ociLayout) outputs.push({ flag: "--oci-layout", path: resolve(ctx.cwd, ociLayout), dir: true });
  if (tarball) outputs.push({ flag: "--tarball", path: resolve(ctx.cwd, tarball) });
  if (sbom) outputs.push({ flag: "--sbom", path: resolve(ctx.cwd, sbom) });
  if (report) outputs.push({ flag: "--report", path: resolve(ctx.cwd, report) });
  if (depfile) outputs.push({ flag: "--depfile", path: depfile });
  await checkCommandOutputs(ctx, loaded, outputs, given);
  printWarnings(ctx, warnings);
  const { result, audit } = await withInterruptCleanup(async (cleanup) => {
    const packed = await packContainerFlow({ options: { ...options, version: binshipVersion() }, config, cwd: ctx.cwd, env: ctx.env, logger: ctx.logger, prebuilt, cleanup, image: imageRequest(imageFlags, ctx.cwd, ctx.env, mountFrom), outputs, depfile, configFile: loaded.file });
    return { result: packed, audit: packed.executables.length > 0 ? await writeAuditOutputs(ctx, { sbom, report }, packed.dir) : [] };
  }, outputs.map((o) => o.path));
  const shown = shownPath(ctx.cwd, result.dir);
  const lines = [`${shown}/  ${result.layout} on ${result.base}  ${result.platforms.join(",")}${result.changed ? "" : "  (unchanged)"}`];
  for (const e of result.executables) {
    lines.push(`  ${basename(e.path)}  ${formatBytes(e.bytes)}  node ${e.nodeVersion ?? "unknown"}  sha256:${e.sha256.slice(0, 12)}`);
  }
  for (const f of result.files.filter((f) => !f.path.startsWith("app-") && !f.path.startsWith("files/"))) lines.push(`  ${f.path}`);
  if (result.assets.length > 0) lines.push(`  files/  ${result.assets.length} runtime file${result.assets.length === 1 ? "" : "s"}, ${formatBytes(result.assets.reduce((n, a) => n + a.bytes, 0))} (/app in the image)`);
  if (result.executables.length > 0) {
    const largest = largestLine((await readBuildInfo(result.executables[0]!.path))?.info);
    lines.push(...(largest ? [largest] : []), ...audit);
  } else if (sbom || report) {
    ctx.logger.warn(`--sbom and --report need --layout executable: a --layout ${result.layout} recipe holds no executable with build info (its image SBOMs are sbom-<arch>.cdx.json)`);
  }
  if (result.published) lines.push(...imageLines(result.published));
  return {
    lines,
    json: {
      dir: result.dir,
      changed: result.changed,
      layout: result.layout,
      base: result.base,
      image: result.image,
      name: result.name,
      platforms: result.platforms,
      executables: result.executables,
      files: result.files,
      assets: result.assets,
      ...(result.published ? { image: result.published.result.reference, index: result.published.result } : {}),
    },
    warnings: [...warnings, ...result.warnings],
  };
}
