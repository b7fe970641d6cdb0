// Flow: pack lambda. Build what the layout needs: an executable (the build flow, or a prebuilt
// one), or the bundle plus the official Node binary (layer layout) -> the libraries lib/ needs
// -> the checked, deterministic zips -> a depfile naming every input.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { lambdaLayouts, packLambdaZip, runtimeSpecs, type LambdaPackageResult } from "../artifacts/lambda/index.js";
import type { PackLambdaOptions } from "../artifacts/lambda/options.js";
import { loaderNames } from "../artifacts/lambda/runtimes.js";
import { stampNames } from "../artifacts/lambda/reuse.js";
import { fallbackLibraries } from "../artifacts/lambda/fallback.js";
import { librariesFor, type SysrootLibraries } from "../artifacts/lambda/sysroot.js";
import type { AppBundle, AppExecutable, AppNode } from "../artifacts/types.js";
import type { Asset } from "../bundle/assets.js";
import type { Arch } from "../config.js";
import type { Diagnostic } from "../diagnostic.js";
import { cacheDirFrom, prepareNodeBinary, resolveExecutableOptions } from "../executable/index.js";
import { inspectFile, type ElfReport } from "../inspect/index.js";
import type { Logger } from "../log.js";
import { writeFileAtomic } from "../util/atomic.js";
import { formatDepfile } from "../util/depfile.js";
import { sweepLambdaBuilds } from "../artifacts/lambda/build-dir.js";
import { checkOutputs, type Output } from "../util/outputs.js";
import { buildBundle, buildFromSource } from "./build.js";

export interface PackLambdaDeps {
  env: NodeJS.ProcessEnv; // handed to the executable stage (npm registry config, cache dir)
  hostArch: Arch; // the build machine's CPU: picks the default sysroot
  logger: Logger; // progress and notes; warnings are returned
  onTemp?: (path: string | undefined) => void; // the temporary zip, for cleanup on interrupt
}

/** The provided.al2023 fallback libraries shipped in lib/, and what they add. */
export interface FallbackReport {
  libraries: string[]; // sonames
  bytes: number; // added unzipped
  zippedBytes: number; // added to the zip (deflated at the zip's level)
}

export interface PackLambdaResult {
  zip: LambdaPackageResult; // the function zip (and .layer for the layer layout)
  fallback?: FallbackReport; // absent when not shipped (provided.al2, or --no-fallback-libraries); in the layer's lib/ for the layer layout
  executable: ElfReport; // what was packed: the executable, or the layer's Node binary
  executableChanged?: boolean; // false when the executable was rebuilt to the same bytes
  inputs: string[]; // every file the zips depend on (the depfile's prerequisites)
  assets: Asset[]; // the runtime files at the function zip's root
  warnings: Diagnostic[]; // the build's and the zip's checks
}

/** What the layout needs, built: the binary that runs (checked against the runtime) and the app around it. */
interface Built {
  binary: ElfReport; // the executable, or the Node binary of the layer
  executable?: AppExecutable;
  bundle?: AppBundle;
  node?: AppNode;
  assets?: Asset[];
  inputs: string[];
  changed?: boolean;
  warnings: Diagnostic[];
}

/** The files pack lambda writes besides the intermediate executable. */
export function lambdaOutputs(options: PackLambdaOptions): Output[] {
  const out: Output[] = [{ flag: "-o", path: options.outfile }, { flag: "the zip's digest", path: join(options.workDir, stampNames.function) }];
  if (options.depfile) out.push({ flag: "--depfile", path: options.depfile });
  if (options.metafile) out.push({ flag: "--metafile", path: options.metafile });
  out.push(...(options.alsoOutputs ?? []));
  return out;
}

async function executableFor(options: PackLambdaOptions, deps: PackLambdaDeps): Promise<Built> {
  if (options.executable) {
    const report = await inspectFile(options.executable);
    return { binary: report, executable: { arch: options.arch, report }, inputs: [options.executable], warnings: [] };
  }
  const built = await buildFromSource({
    config: options.config,
    cwd: options.cwd,
    env: deps.env,
    arch: options.arch,
    outfile: join(options.buildDir, `app-${options.arch}`),
    outfileFlag: "the intermediate executable",
    metafile: options.metafile,
    outputs: lambdaOutputs(options),
    logger: deps.logger,
  });
  const report = built.executable.report;
  // The zip's build info records the lockfile's versions and integrity: it is an input too.
  const inputs = built.bundle.lockfile ? [...built.bundle.inputs, built.bundle.lockfile] : built.bundle.inputs;
  return { binary: report, executable: { arch: options.arch, report }, assets: built.bundle.assets, inputs, changed: built.executable.changed, warnings: built.warnings };
}

/** The layer layout: app.cjs in the work directory (kept, so an unchanged bundle keeps its mtime) and the stripped Node. */
async function bundleAndNode(options: PackLambdaOptions, deps: PackLambdaDeps): Promise<Built> {
  const built = await buildBundle(options.config, options.cwd, join(options.buildDir, "app.cjs"), deps.logger, lambdaOutputs(options));
  const exeOptions = resolveExecutableOptions(options.config, options.cwd, deps.env, { bundle: built.bundle.path, outfile: join(options.buildDir, "unused"), arch: options.arch, logger: deps.logger });
  const node = await prepareNodeBinary(exeOptions, options.buildDir);
  return {
    binary: node.report,
    bundle: built.bundle,
    node: { arch: options.arch, version: node.version, report: node.report },
    assets: built.assets,
    inputs: built.inputs,
    warnings: [...built.warnings, ...node.warnings],
  };
}

type Fallback = Awaited<ReturnType<typeof fallbackLibraries>>;

/** Adds the libstdc++/libgcc_s fallback to lib/ (artifacts/lambda/fallback.ts says why). */
async function withFallback(needed: SysrootLibraries | undefined, options: PackLambdaOptions): Promise<{ libraries?: SysrootLibraries; extra?: Fallback }> {
  if (!options.fallbackLibraries) return { libraries: needed };
  const extra = await fallbackLibraries(options.arch, runtimeSpecs[options.runtime].glibc);
  const byName = new Map([...(needed?.libraries ?? []), ...extra].map((l) => [l.name, { name: l.name, path: l.path }]));
  const libraries = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const glibcxx = extra.find((l) => l.name === "libstdc++.so.6")?.report.glibcxxProvided;
  return { libraries: { ...needed, libraries, ...(glibcxx ? { glibcxx } : {}) }, extra };
}

/** What the fallback adds, zipped: as the zip writer reports it, else deflated here at the zip's level. */
async function fallbackReport(extra: Fallback, zip: LambdaPackageResult, level: number): Promise<FallbackReport> {
  const entries = new Map([...zip.entries, ...(zip.layer?.entries ?? [])].map((e) => [e.name, e.zippedBytes]));
  let zippedBytes = 0;
  for (const l of extra) zippedBytes += entries.get(`lib/${l.name}`) ?? deflateRawSync(await readFile(l.path), { level }).length;
  return { libraries: extra.map((l) => l.name), bytes: extra.reduce((n, l) => n + l.report.bytes, 0), zippedBytes };
}

export async function packLambda(options: PackLambdaOptions, deps: PackLambdaDeps): Promise<PackLambdaResult> {
  const built = lambdaLayouts[options.layout].needs === "executable" ? await executableFor(options, deps) : await bundleAndNode(options, deps);
  // With --executable no bundle checked the outputs; the executable is an input too.
  if (options.executable) checkOutputs(lambdaOutputs(options), built.inputs, options.cwd);
  const present = new Set([...runtimeSpecs[options.runtime].libraries, loaderNames[options.arch]]);
  const needed = await librariesFor(built.binary, { arch: options.arch, runtime: options.runtime, hostArch: deps.hostArch, sysroot: options.sysroot, present });
  if (needed && !needed.loader) {
    const names = needed.libraries.map((l) => l.name);
    deps.logger.info(`shipping ${names.join(", ")} in lib/: ${options.runtime} lacks ${names.length === 1 ? "it" : "them"}, and Lambda's LD_LIBRARY_PATH includes $LAMBDA_TASK_ROOT/lib`);
  }
  // For the layer layout, lib/ is the layer's (/opt/lib, also on Lambda's LD_LIBRARY_PATH, after the system's).
  const { libraries, extra } = await withFallback(needed, options);
  deps.logger.progress(`zipping ${options.outfile}`);
  const zip = await packLambdaZip({
    outfile: options.outfile,
    layout: options.layout,
    executable: built.executable,
    bundle: built.bundle,
    node: built.node,
    arch: options.arch,
    runtime: options.runtime,
    libraries,
    assets: built.assets,
    mtime: options.mtime,
    level: options.level,
    onTemp: deps.onTemp,
    stampDir: options.workDir,
    segmentCache: join(cacheDirFrom(deps.env, options.cwd), "zip-segments"),
  });
  deps.logger.done();
  const fallback = extra && (await fallbackReport(extra, zip, options.level));
  const inputs = [...built.inputs, ...(libraries?.libraries.map((l) => l.path) ?? []), ...(options.configFile ? [options.configFile] : [])];
  if (options.depfile) await writeFileAtomic(options.depfile, formatDepfile(options.outfile, inputs, options.cwd));
  await sweepLambdaBuilds(cacheDirFrom(deps.env, options.cwd), options.buildDir);
  return {
    zip,
    ...(fallback ? { fallback } : {}),
    executable: built.binary,
    executableChanged: built.changed,
    inputs,
    assets: built.assets ?? [],
    warnings: [...built.warnings, ...zip.warnings],
  };
}
