// Source -> bundle -> executable: the chain `build`, `pack lambda` and `pack container` share.
// Options are resolved (and validated) for both stages before either runs.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bundle, resolveBundleOptions, type BundleResult } from "../bundle/index.js";
import type { Arch, Config } from "../config.js";
import { buildExecutable, resolveExecutableOptions, type ExecutableResult } from "../executable/index.js";
import type { Logger } from "../log.js";
import { formatDiagnostic } from "../util/shown-path.js";

export interface SourceBuild {
  bundle: BundleResult; // its outfile is deleted afterwards unless `bundleOutfile` was given
  executable: ExecutableResult;
}

export interface SourceBuildOptions {
  config: Config; // merged config; config.outfile is ignored (use `outfile`)
  cwd: string; // project directory
  env: NodeJS.ProcessEnv; // for the cache directory, npm registry config, PATH, TMPDIR
  arch: Arch; // target CPU
  outfile: string; // the executable to write (absolute, or relative to cwd)
  logger: Logger;
  bundleOutfile?: string; // keep the bundle here (default: a temporary file, removed)
  depfile?: string; // write a make dependency file whose target is the executable
}

export async function buildFromSource(options: SourceBuildOptions): Promise<SourceBuild> {
  const { config, cwd, env, arch, logger } = options;
  const outfile = resolve(cwd, options.outfile);
  const scratch = options.bundleOutfile ? undefined : await mkdtemp(join(env.TMPDIR || tmpdir(), "binship-bundle-"));
  try {
    const bundleFile = options.bundleOutfile ? resolve(cwd, options.bundleOutfile) : join(scratch!, "bundle.cjs");
    const bundleOptions = { ...resolveBundleOptions({ ...config, outfile: undefined }, cwd, bundleFile, { depfile: options.depfile }), depfileTarget: outfile };
    const executableOptions = resolveExecutableOptions(config, cwd, env, { bundle: bundleFile, outfile, arch, logger });
    if (bundleOptions.external.length > 0) {
      // Node docs, "Single executable applications": the injected main script's require() loads built-ins only.
      logger.warn(`--external ${bundleOptions.external.join(", ")}: a single executable can require only Node built-ins, so these will fail to load at run time`);
    }
    const bundled = await bundle(bundleOptions);
    for (const w of bundled.warnings) logger.warn(formatDiagnostic(w, cwd));
    return { bundle: bundled, executable: await buildExecutable(executableOptions) };
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}
