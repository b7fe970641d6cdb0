// binship bundle [entry] -o FILE

import { shownPath } from "../util/shown-path.js";
import { bundle, resolveBundleOptions } from "../bundle/index.js";
import { formatBytes } from "../log.js";
import { printOutput, resolveConfig, type BundleFlagValues, type CommandContext } from "./context.js";

export interface BundleFlags extends BundleFlagValues {
  outfile?: string;
  metafile?: string;
  depfile?: string;
}

export async function bundleCommand(ctx: CommandContext, entry: string | undefined, flags: BundleFlags): Promise<void> {
  const { metafile, depfile, ...configFlags } = flags;
  const { config } = await resolveConfig(ctx, { entry, ...configFlags });
  const options = resolveBundleOptions(config, ctx.cwd, "dist/bundle.cjs", { metafile, depfile });
  const result = await bundle(options);
  const shown = shownPath(ctx.cwd, result.outfile);
  printOutput(ctx, {
    lines: [`${shown}  ${formatBytes(result.bytes)}  sha256:${result.sha256.slice(0, 12)}${result.changed ? "" : "  (unchanged)"}`],
    json: {
      path: result.outfile,
      bytes: result.bytes,
      sha256: result.sha256,
      changed: result.changed,
      format: result.format,
      node: options.nodeMajor,
      inputs: result.inputs,
    },
    warnings: result.warnings,
  });
}
