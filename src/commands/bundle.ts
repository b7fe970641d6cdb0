// binship bundle [entry] -o FILE

import { shownPath } from "../util/shown-path.js";
import { bundle, bundleOutputs, resolveBundleOptions } from "../bundle/index.js";
import { withInterruptCleanup } from "../util/interrupt.js";
import { formatBytes } from "../log.js";
import { checkCommandOutputs, printOutput, resolveConfig, type BundleFlagValues, type CommandContext } from "./context.js";

export interface BundleFlags extends BundleFlagValues {
  outfile?: string;
  metafile?: string;
  depfile?: string;
}

export async function bundleCommand(ctx: CommandContext, entry: string | undefined, flags: BundleFlags): Promise<void> {
  const { metafile, depfile, ...configFlags } = flags;
  const loaded = await resolveConfig(ctx, { entry, ...configFlags });
  const options = resolveBundleOptions(loaded.config, ctx.cwd, "dist/bundle.cjs", { metafile, depfile });
  const outputs = bundleOutputs(options);
  await checkCommandOutputs(ctx, loaded, outputs);
  const result = await withInterruptCleanup(() => bundle(options), outputs.map((o) => o.path));
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
