// binship pack container [entry] -o dist/container

import { copyFile } from "node:fs/promises";
import { rmSync, readdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { defaultContainerDir, resolveContainerOptions } from "../artifacts/container/options.js";
import { packContainer, type AppBuilder, type BuiltExecutable } from "../artifacts/container/index.js";
import { bundle, resolveBundleOptions } from "../bundle/index.js";
import type { Arch, Config } from "../config.js";
import { BinshipError } from "../errors.js";
import { inspectFile, type ElfReport } from "../inspect/index.js";
import { formatBytes, type Logger } from "../log.js";
import { binshipVersion } from "../paths.js";
import { buildFromSource } from "../pipeline/build.js";
import { formatDiagnostic, shownPath } from "../util/shown-path.js";
import { printOutput, resolveConfig, type ExecutableFlagValues, type CommandContext } from "./context.js";
import { checkImageFlags, imageLines, projectDirOf, publishContainerImage, wantsImage, type ImageFlags, type ImageOutcome } from "./container-image.js";

export interface PackContainerFlags extends ExecutableFlagValues, ImageFlags {
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
}

/** Builds from source: the executable stage per arch (it logs its own warnings), or the bundle stage alone. */
function sourceBuilder(config: Config, ctx: CommandContext): AppBuilder {
  return {
    async executable(arch, outfile) {
      const { executable } = await buildFromSource({ config, cwd: ctx.cwd, env: ctx.env, arch, outfile, logger: ctx.logger });
      return { report: executable.report, nodeVersion: executable.nodeVersion };
    },
    async bundle(outfile) {
      const result = await bundle(resolveBundleOptions({ ...config, outfile }, ctx.cwd, outfile));
      for (const w of result.warnings) ctx.logger.warn(formatDiagnostic(w, ctx.cwd));
    },
  };
}

/** Uses executables built earlier (binship build): copied in, then checked like built ones. */
function prebuiltBuilder(reports: Map<Arch, ElfReport>): AppBuilder {
  return {
    async executable(arch, outfile): Promise<BuiltExecutable> {
      await copyFile(reports.get(arch)!.path, outfile);
      return { report: await inspectFile(outfile) };
    },
    async bundle() {
      throw new Error("unreachable: --executable with --layout bundle is refused before packing");
    },
  };
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

/** An interrupted pack must not leave its temporary directory behind. */
function cleanTempOnSignal(outDir: string, logger: Logger): () => void {
  const prefix = `.${basename(outDir)}.${process.pid}.`;
  const handler = (signal: NodeJS.Signals) => {
    try {
      for (const name of readdirSync(dirname(outDir))) if (name.startsWith(prefix)) rmSync(join(dirname(outDir), name), { recursive: true, force: true });
    } catch (err) {
      logger.debug(`cleanup after ${signal}: ${(err as Error).message}`);
    }
    dispose();
    process.kill(process.pid, signal);
  };
  const dispose = () => ["SIGINT", "SIGTERM", "SIGHUP"].forEach((s) => process.off(s, handler));
  ["SIGINT", "SIGTERM", "SIGHUP"].forEach((s) => process.on(s, handler));
  return dispose;
}

export async function packContainerCommand(ctx: CommandContext, entry: string | undefined, flags: PackContainerFlags): Promise<void> {
  const { executable: prebuiltFiles, push, ociLayout, tarball, insecureRegistry, ...configFlags } = flags;
  const imageFlags: ImageFlags = { push, ociLayout, tarball, insecureRegistry };
  const prebuilt = prebuiltFiles?.length ? await readPrebuilt(prebuiltFiles, ctx.cwd) : undefined;
  const { config } = await resolveConfig(ctx, {
    entry,
    ...configFlags,
    // With prebuilt executables and no --arch, the image holds exactly their architectures.
    arch: configFlags.arch ?? (prebuilt ? [...prebuilt.keys()] : undefined),
  });
  // With --push the recipe and manifests name the pushed repository.
  const image = checkImageFlags(imageFlags, config.image, ctx.cwd, resolve(ctx.cwd, config.outfile ?? defaultContainerDir));
  const { options, warnings } = resolveContainerOptions({ ...config, image }, ctx.cwd);
  if (prebuilt && options.layout === "bundle") {
    throw new BinshipError("USAGE", "--executable cannot be used with --layout bundle", { hint: "Drop --executable, or use --layout executable." });
  }
  if (prebuilt) {
    const missing = options.archs.filter((a) => !prebuilt.has(a));
    if (missing.length) {
      throw new BinshipError("USAGE", `no --executable for ${missing.join(", ")}`, { hint: `Pass one per --arch, or drop --arch to use the architectures given.` });
    }
  }
  for (const w of warnings) ctx.logger.warn(w);
  if (!prebuilt && !config.entry && options.layout === "executable") {
    throw new BinshipError("USAGE", "no entry module given", { hint: 'Pass it as an argument (binship pack container src/index.ts) or set "entry" in binship.config.json.' });
  }
  const dispose = cleanTempOnSignal(options.outDir, ctx.logger);
  let result;
  try {
    result = await packContainer({
      ...options,
      version: binshipVersion(),
      builder: prebuilt ? prebuiltBuilder(prebuilt) : sourceBuilder(config, ctx),
      logger: ctx.logger,
    });
  } finally {
    dispose();
  }
  let published: ImageOutcome | undefined;
  if (wantsImage(imageFlags)) published = await publishContainerImage(ctx, options, result, imageFlags, projectDirOf(config.entry, ctx.cwd));
  const shown = shownPath(ctx.cwd, result.dir);
  const lines = [`${shown}/  ${result.layout} on ${result.base}  ${result.platforms.join(",")}${result.changed ? "" : "  (unchanged)"}`];
  for (const e of result.executables) {
    lines.push(`  ${basename(e.path)}  ${formatBytes(e.bytes)}  node ${e.nodeVersion ?? "unknown"}  sha256:${e.sha256.slice(0, 12)}`);
  }
  for (const f of result.files.filter((f) => !f.path.startsWith("app-"))) lines.push(`  ${f.path}`);
  if (published) lines.push(...imageLines(published));
  printOutput(ctx, {
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
      ...(published ? { image: published.result.reference, index: published.result } : {}),
      warnings,
    },
  });
}
