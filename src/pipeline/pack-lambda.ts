// Flow: pack lambda. Source -> executable (the build flow), or a prebuilt executable -> the
// libraries lib/ needs -> the checked, deterministic zip -> a depfile naming every input.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { runtimeSpecs } from "../artifacts/lambda/index.js";
import { packLambdaZip, type LambdaPackageResult } from "../artifacts/lambda/index.js";
import type { PackLambdaOptions } from "../artifacts/lambda/options.js";
import { loaderNames } from "../artifacts/lambda/runtimes.js";
import { fallbackLibraries } from "../artifacts/lambda/fallback.js";
import { librariesFor, type SysrootLibraries } from "../artifacts/lambda/sysroot.js";
import type { AppExecutable } from "../artifacts/types.js";
import type { Arch } from "../config.js";
import type { Diagnostic } from "../diagnostic.js";
import { inspectFile, type ElfReport } from "../inspect/index.js";
import type { Logger } from "../log.js";
import { writeFileAtomic } from "../util/atomic.js";
import { formatDepfile } from "../util/depfile.js";
import { checkOutputs, type Output } from "../util/outputs.js";
import { buildFromSource } from "./build.js";

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
  zip: LambdaPackageResult;
  fallback?: FallbackReport; // absent when not shipped (provided.al2, or --no-fallback-libraries)
  executable: ElfReport; // what was packed
  executableChanged?: boolean; // false when the executable was rebuilt to the same bytes
  inputs: string[]; // every file the zip depends on (the depfile's prerequisites)
  warnings: Diagnostic[]; // the build's and the zip's checks
}

interface PackedExecutable {
  app: AppExecutable;
  inputs: string[];
  changed?: boolean;
  warnings: Diagnostic[];
}

/** The files pack lambda writes besides the intermediate executable. */
export function lambdaOutputs(options: PackLambdaOptions): Output[] {
  const out: Output[] = [{ flag: "-o", path: options.outfile }, { flag: "the zip's digest", path: join(options.workDir, "zip-stamp.json") }];
  if (options.depfile) out.push({ flag: "--depfile", path: options.depfile });
  return out;
}

async function executableFor(options: PackLambdaOptions, deps: PackLambdaDeps): Promise<PackedExecutable> {
  if (options.executable) {
    return { app: { arch: options.arch, report: await inspectFile(options.executable) }, inputs: [options.executable], warnings: [] };
  }
  const built = await buildFromSource({
    config: options.config,
    cwd: options.cwd,
    env: deps.env,
    arch: options.arch,
    outfile: join(options.workDir, `app-${options.arch}`),
    outfileFlag: "the intermediate executable",
    metafile: options.metafile,
    outputs: lambdaOutputs(options),
    logger: deps.logger,
  });
  // The zip's build info records the lockfile's versions and integrity: it is an input too.
  const inputs = built.bundle.lockfile ? [...built.bundle.inputs, built.bundle.lockfile] : built.bundle.inputs;
  return { app: { arch: options.arch, report: built.executable.report }, inputs, changed: built.executable.changed, warnings: built.warnings };
}

/** Adds the libstdc++/libgcc_s fallback to lib/ (artifacts/lambda/fallback.ts says why). */
async function withFallback(needed: SysrootLibraries | undefined, options: PackLambdaOptions): Promise<{ libraries?: SysrootLibraries; fallback?: FallbackReport }> {
  if (!options.fallbackLibraries) return { libraries: needed };
  const extra = await fallbackLibraries(options.arch, runtimeSpecs[options.runtime].glibc);
  const byName = new Map([...(needed?.libraries ?? []), ...extra].map((l) => [l.name, { name: l.name, path: l.path }]));
  const libraries = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const glibcxx = extra.find((l) => l.name === "libstdc++.so.6")?.report.glibcxxProvided;
  let zippedBytes = 0;
  for (const l of extra) zippedBytes += deflateRawSync(await readFile(l.path), { level: options.level }).length;
  return {
    libraries: { ...needed, libraries, ...(glibcxx ? { glibcxx } : {}) },
    fallback: { libraries: extra.map((l) => l.name), bytes: extra.reduce((n, l) => n + l.report.bytes, 0), zippedBytes },
  };
}

export async function packLambda(options: PackLambdaOptions, deps: PackLambdaDeps): Promise<PackLambdaResult> {
  const exe = await executableFor(options, deps);
  // With --executable no bundle checked the outputs; the executable is an input too.
  if (options.executable) checkOutputs(lambdaOutputs(options), exe.inputs, options.cwd);
  const present = new Set([...runtimeSpecs[options.runtime].libraries, loaderNames[options.arch]]);
  const needed = await librariesFor(exe.app.report, { arch: options.arch, runtime: options.runtime, hostArch: deps.hostArch, sysroot: options.sysroot, present });
  if (needed && !needed.loader) {
    const names = needed.libraries.map((l) => l.name);
    deps.logger.info(`shipping ${names.join(", ")} in lib/: ${options.runtime} lacks ${names.length === 1 ? "it" : "them"}, and Lambda's LD_LIBRARY_PATH includes $LAMBDA_TASK_ROOT/lib`);
  }
  const { libraries, fallback } = await withFallback(needed, options);
  deps.logger.progress(`zipping ${options.outfile}`);
  const zip = await packLambdaZip({
    outfile: options.outfile,
    layout: options.layout,
    executable: exe.app,
    arch: options.arch,
    runtime: options.runtime,
    libraries,
    mtime: options.mtime,
    level: options.level,
    onTemp: deps.onTemp,
    stampFile: join(options.workDir, "zip-stamp.json"),
  });
  deps.logger.done();
  const inputs = [...exe.inputs, ...(libraries?.libraries.map((l) => l.path) ?? []), ...(options.configFile ? [options.configFile] : [])];
  if (options.depfile) await writeFileAtomic(options.depfile, formatDepfile(options.outfile, inputs, options.cwd));
  return {
    zip,
    ...(fallback ? { fallback } : {}),
    executable: exe.app.report,
    executableChanged: exe.changed,
    inputs,
    warnings: [...exe.warnings, ...zip.warnings],
  };
}
