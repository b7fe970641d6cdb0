// Loose config -> strict bundle options, validated once.

import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { nodeMajor, type BundleFormat, type Config } from "../config.js";
import { BinshipError } from "../errors.js";
import type { RuntimeOptions } from "../runtime/options.js";
import { defaultEsmPackages } from "./module-builds.js";
import type { Output } from "../util/outputs.js";

export interface BundleOptions {
  entry: string; // absolute path of the service's entry module
  outfile: string; // absolute path of the bundle to write (.cjs; a default name becomes .mjs for an ES module)
  outfileGiven: boolean; // the user named the outfile: its extension is kept, and checked against the format
  format?: BundleFormat; // forced module format; absent: CommonJS unless the code needs an ES module
  cwd: string; // project directory: esbuild's working dir, depfile paths are relative to it
  nodeMajor: number; // esbuild target: node<major> (default 24)
  minify: boolean; // default true
  sourcemap: boolean; // embed a source map and map stack traces at run time (default false)
  define: Record<string, string>; // esbuild defines
  external: string[]; // modules left as runtime require()s
  esmPackages: string[]; // packages bundled from their ES module build (module-builds.ts)
  lazyBuiltins: boolean; // packages' requires of lazyBuiltinModules load on first use (default true; CommonJS bundles)
  eagerBuiltins: string[]; // of those, the ones kept eager (default none)
  snapshot: boolean; // the shim builds a startup snapshot of the module's init (runtime/snapshot.ts); lazy built-ins on, http/https/http2/tls deferred in every file (default false)
  runtime: Partial<RuntimeOptions>; // baked into the bundle for the runtime
  metafile?: string; // also write esbuild's metafile here
  depfile?: string; // also write a make dependency file here
  depfileTarget?: string; // the target named in the depfile (default: outfile); it records the lockfile, which is then a prerequisite too
  alsoOutputs?: Output[]; // the command's other outputs (an executable, a zip): checked against the inputs before anything is written
  assets: string[]; // absolute globs of runtime files shipped beside the bundle (config "assets"); binship adds what it knows packages read
  assetsDir?: string; // where the command copies the assets itself (binship build: beside the executable): checked before anything is written; its copies of a project file are the last run's, never assets
  placeAssets?: boolean; // also copy the assets beside the outfile (binship bundle); the pack flows put them in their artifact instead
}

/** The oldest Node a bundle targets (esbuild's syntax target; the runtime uses nothing newer). */
export const minimumBundleNodeMajor = 18;

export function runtimeOptionsFrom(config: Config): Partial<RuntimeOptions> {
  const out: Partial<RuntimeOptions> = {};
  if (config.contract) out.contract = config.contract;
  if (config.livenessPath !== undefined) out.livenessPath = config.livenessPath;
  if (config.readinessPath !== undefined) out.readinessPath = config.readinessPath;
  if (config.shutdownGraceSeconds !== undefined) out.shutdownGraceMs = Math.round(config.shutdownGraceSeconds * 1000);
  if (config.workers !== undefined) out.workers = config.workers;
  if (config.invokeMode) out.invokeMode = config.invokeMode;
  if (config.basePath) out.basePath = config.basePath;
  return out;
}

export interface BundleExtras {
  metafile?: string;
  depfile?: string;
}

export function resolveBundleOptions(config: Config, cwd: string, defaultOutfile: string, extras: BundleExtras = {}): BundleOptions {
  if (!config.entry) {
    throw new BinshipError("USAGE", "no entry module given", {
      hint: 'Pass it as an argument (binship bundle src/index.ts) or set "entry" in binship.config.json.',
    });
  }
  const entry = resolve(cwd, config.entry);
  if (!existsSync(entry) || !statSync(entry).isFile()) {
    throw new BinshipError("ENTRY_NOT_FOUND", `entry module not found: ${entry}`, {
      hint: "Check the path; it is resolved against the current directory (or the config file's directory).",
    });
  }
  const major = nodeMajor(config.node);
  // The bundle alone runs on Node 18 and later; single executables need more (executable/options.ts).
  if (major < minimumBundleNodeMajor) {
    throw new BinshipError("CONFIG_INVALID", `"node" must be ${minimumBundleNodeMajor} or later for a bundle, got ${config.node}`, {
      hint: "Use a supported Node major, e.g. --node 24.",
    });
  }
  const snapshot = config.snapshot ?? false;
  if (snapshot && config.format === "esm") {
    throw new BinshipError("CONFIG_INVALID", '--snapshot needs a CommonJS bundle, and "format" is "esm"', {
      hint: 'Drop "format": "esm" (top-level await cannot be in a snapshot either), or build without --snapshot.',
    });
  }
  const outfile = resolve(cwd, config.outfile ?? defaultOutfile);
  if (outfile === entry) {
    throw new BinshipError("USAGE", `the output file is the entry module itself: ${outfile}`, {
      hint: "Write the bundle somewhere else, e.g. -o dist/app.cjs.",
    });
  }
  if (existsSync(outfile) && statSync(outfile).isDirectory()) {
    throw new BinshipError("USAGE", `the output path is a directory: ${outfile}`, { hint: "Name the bundle file, e.g. -o dist/app.cjs." });
  }
  return {
    entry,
    outfile,
    outfileGiven: config.outfile !== undefined,
    format: config.format,
    cwd,
    nodeMajor: major,
    minify: config.minify ?? true,
    sourcemap: config.sourcemap ?? false,
    define: config.define ?? {},
    external: config.external ?? [],
    assets: config.assets ?? [],
    esmPackages: config.esmPackages ?? defaultEsmPackages,
    // A snapshot cannot hold some built-ins' bindings: they must load after the start.
    lazyBuiltins: snapshot || (config.lazyBuiltins ?? false),
    snapshot,
    eagerBuiltins: config.eagerBuiltins === undefined ? [] : [config.eagerBuiltins].flat(),
    runtime: runtimeOptionsFrom(config),
    metafile: extras.metafile ? resolve(cwd, extras.metafile) : undefined,
    depfile: extras.depfile ? resolve(cwd, extras.depfile) : undefined,
  };
}
