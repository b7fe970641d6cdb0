// Loose config + flags -> strict `pack lambda` options, validated once.

import type { Output } from "../../util/outputs.js";
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { lambdaLayoutNames, singleArch, type Arch, type Config, type LambdaRuntime } from "../../config.js";
import { BinshipError } from "../../errors.js";
import type { LambdaLayoutName } from "./layouts/index.js";
import { lambdaBuildDir } from "./build-dir.js";

export interface PackLambdaOptions {
  config: Config; // the merged config, handed to the bundle + executable stages
  cwd: string; // project directory: relative paths and depfile entries are against it
  outfile: string; // absolute path of the zip (default dist/lambda.zip)
  arch: Arch; // target CPU (default arm64, Graviton)
  runtime: LambdaRuntime; // OS-only runtime (default provided.al2023)
  layout: LambdaLayoutName; // what goes into the zip (default "executable")
  executable?: string; // pack this prebuilt executable instead of building from source
  workDir: string; // the zips' digests (a few hundred bytes), beside the zip: .<zip>.binship/
  buildDir: string; // the intermediate bundle + executable (or stripped Node), in binship's cache: one directory per zip path, so rebuilds reuse them
  sysroot?: string; // libraries for provided.al2 (default: host libraries or the Debian cross root)
  mtime: Date; // time stored in the zip (SOURCE_DATE_EPOCH, else 1980-01-01)
  fallbackLibraries: boolean; // provided.al2023: ship libstdc++/libgcc_s in lib/ as a fallback (default true)
  level: number; // deflate level (default 6: level 9 takes 2-4x as long for a ~0.3% smaller zip, BENCHMARKS.md)
  depfile?: string; // write a make dependency file covering every input here
  metafile?: string; // write esbuild's metafile here (when building from source)
  configFile?: string; // the config file read, an input in the depfile
  alsoOutputs?: Output[]; // the command's other outputs (--sbom, --report): checked against the bundle's inputs too
}

export interface PackLambdaExtras {
  executable?: string; // --executable
  depfile?: string; // --depfile
  metafile?: string; // --metafile
  mtime: Date; // from SOURCE_DATE_EPOCH (the command reads the environment)
  configFile?: string;
  cacheDir: string; // binship's cache: the intermediate files live there, not beside the zip
  layout?: string; // --layout (over "layout" in the config file's lambda section)
}

export const defaultLambdaOutfile = "dist/lambda.zip";

export function resolvePackLambdaOptions(config: Config, cwd: string, extras: PackLambdaExtras): PackLambdaOptions {
  const outfile = resolve(cwd, config.outfile ?? defaultLambdaOutfile);
  if (!outfile.endsWith(".zip")) {
    throw new BinshipError("USAGE", `the output of pack lambda is a zip file, got ${outfile}`, { hint: "Name it with .zip, e.g. -o dist/lambda.zip." });
  }
  if (existsSync(outfile) && statSync(outfile).isDirectory()) {
    throw new BinshipError("USAGE", `${outfile} is a directory`, { hint: "Pass a file path for -o, e.g. dist/lambda.zip." });
  }
  const executable = extras.executable ? resolve(cwd, extras.executable) : undefined;
  if (executable && !(existsSync(executable) && statSync(executable).isFile())) {
    throw new BinshipError("USAGE", `--executable ${executable} does not exist`, { hint: "Build it first with binship build, or leave --executable out to build from source." });
  }
  if (!executable && !config.entry) {
    throw new BinshipError("USAGE", "no entry module given", {
      hint: 'Pass it as an argument (binship pack lambda src/index.ts), set "entry" in binship.config.json, or pack a built executable with --executable.',
    });
  }
  const layout = (extras.layout ?? config.lambdaLayout ?? "executable") as LambdaLayoutName;
  if (!(lambdaLayoutNames as readonly string[]).includes(layout)) {
    throw new BinshipError("USAGE", `--layout must be one of ${lambdaLayoutNames.join(", ")}, got "${layout}"`, {
      hint: "executable: one zip with the executable as bootstrap; layer: a shared Node runtime layer plus a function zip of kilobytes.",
    });
  }
  if (executable && layout === "layer") {
    throw new BinshipError("USAGE", "--executable cannot be used with --layout layer", { hint: "The layer layout ships the bundle beside Node, not an executable: drop --executable." });
  }
  const level = config.zipLevel ?? 6; // checked by the config schema
  const runtime = config.runtime ?? "provided.al2023";
  return {
    config,
    cwd,
    outfile,
    arch: singleArch(config.arch, "arm64", "binship pack lambda", " (a Lambda function has one architecture)"),
    runtime,
    layout,
    executable,
    workDir: join(dirname(outfile), `.${basename(outfile, ".zip")}.binship`),
    buildDir: lambdaBuildDir(extras.cacheDir, outfile),
    sysroot: config.sysroot ? resolve(cwd, config.sysroot) : undefined,
    mtime: extras.mtime,
    level,
    fallbackLibraries: runtime === "provided.al2023" && (config.fallbackLibraries ?? true),
    depfile: extras.depfile ? resolve(cwd, extras.depfile) : undefined,
    metafile: extras.metafile ? resolve(cwd, extras.metafile) : undefined,
    configFile: extras.configFile,
  };
}
