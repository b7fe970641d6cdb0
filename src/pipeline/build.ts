// Flow: source -> bundle -> executable, the chain `build`, `pack lambda` and `pack container`
// share. Options for both stages are resolved (and validated) before either runs; the warnings
// of both are returned together, for the command to print.

import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { copiesManifest, placeAssets, type Asset } from "../bundle/assets.js";
import { shownPath } from "../util/shown-path.js";
import type { AppBundle } from "../artifacts/types.js";
import { bundle, bundleOutputs, resolveBundleOptions, type BundleResult } from "../bundle/index.js";
import type { Arch, Config } from "../config.js";
import { diagnostic, type Diagnostic } from "../diagnostic.js";
import { buildExecutable, resolveExecutableOptions, type ExecutableResult } from "../executable/index.js";
import type { Logger } from "../log.js";
import type { Cleanup } from "../util/interrupt.js";
import type { Output } from "../util/outputs.js";
import { makeScratch } from "../util/stale.js";

export interface SourceBuild {
  bundle: BundleResult; // its outfile is deleted afterwards unless `bundleOutfile` was given
  executable: ExecutableResult;
  warnings: Diagnostic[]; // the bundle's and the executable's, in that order
}

export interface SourceBuildOptions {
  config: Config; // merged config; config.outfile is ignored (use `outfile`)
  cwd: string; // project directory
  env: NodeJS.ProcessEnv; // for the cache directory, npm registry config, PATH, TMPDIR
  arch: Arch; // target CPU
  outfile: string; // the executable to write (absolute, or relative to cwd)
  outfileFlag?: string; // how messages name it (default "-o")
  logger: Logger; // progress only; warnings are returned
  bundleOutfile?: string; // keep the bundle here (default: a temporary file, removed)
  depfile?: string; // write a make dependency file whose target is the executable
  metafile?: string; // write esbuild's metafile here
  outputs?: Output[]; // the command's other outputs, checked against the bundle's inputs before anything is written
  placeAssets?: boolean; // copy the runtime files beside the executable (binship build); the pack flows put them in their artifact
  cleanup?: Cleanup; // unused: scratch space registers itself for removal on interrupt (util/interrupt.ts)
}

export interface BuiltBundle {
  bundle: AppBundle;
  inputs: string[]; // every source file the bundle read, and the runtime files
  assets: Asset[]; // runtime files to ship beside it
  warnings: Diagnostic[];
}

/** Source -> the bundle alone, at `outfile` (for layouts that ship it beside Node: container bundle, Lambda layer). */
export async function buildBundle(config: Config, cwd: string, outfile: string, logger: Logger, outputs: Output[] = []): Promise<BuiltBundle> {
  logger.progress(`bundling ${basename(outfile)}`);
  const result = await bundle({ ...resolveBundleOptions({ ...config, outfile: undefined }, cwd, outfile), alsoOutputs: outputs });
  logger.done();
  return { bundle: { path: result.outfile, bytes: result.bytes, sha256: result.sha256 }, inputs: result.inputs, assets: result.assets, warnings: result.warnings };
}

export async function buildFromSource(options: SourceBuildOptions): Promise<SourceBuild> {
  const { config, cwd, env, arch, logger } = options;
  const outfile = resolve(cwd, options.outfile);
  const scratch = options.bundleOutfile ? undefined : await makeScratch(env.TMPDIR || tmpdir(), "bundle");
  try {
    const bundleFile = options.bundleOutfile ? resolve(cwd, options.bundleOutfile) : join(scratch!.path, "bundle.cjs");
    const bundleOptions = {
      ...resolveBundleOptions({ ...config, outfile: undefined }, cwd, bundleFile, { depfile: options.depfile, metafile: options.metafile }),
      depfileTarget: outfile,
      alsoOutputs: [{ flag: options.outfileFlag ?? "-o", path: outfile }, ...(options.outputs ?? [])],
      ...(options.placeAssets ? { assetsDir: dirname(outfile) } : {}),
    };
    const executableOptions = resolveExecutableOptions(config, cwd, env, { bundle: bundleFile, outfile, arch, logger });
    const warnings: Diagnostic[] = [];
    if (bundleOptions.external.length > 0) {
      // Node docs, "Single executable applications": the injected main script's require() loads built-ins only.
      warnings.push(diagnostic(`--external ${bundleOptions.external.join(", ")}: a single executable can require only Node built-ins, so these will fail to load at run time`));
    }
    const bundled = await bundle(bundleOptions);
    // The bundle's name and format are known once it is built (an ES module is named .mjs).
    const executable = await buildExecutable({ ...executableOptions, bundle: bundled.outfile, bundleFormat: bundled.format, contents: bundled.contents, snapshotSourceMap: bundled.sourceMap });
    // Beside the executable, where its modules' __dirname points (bundle/relocate.ts).
    if (options.placeAssets) {
      // bundle() checked the copies against every output and input before writing anything.
      const outputs = [...bundleOutputs(bundleOptions), ...bundleOptions.alsoOutputs];
      await placeAssets(dirname(outfile), bundled.assets, { inputs: bundled.inputs, outputs, cwd, artifact: shownPath(cwd, dirname(outfile)), manifest: copiesManifest(outfile) });
    }
    return { bundle: bundled, executable, warnings: [...warnings, ...bundled.warnings, ...executable.warnings] };
  } finally {
    await scratch?.dispose();
  }
}
