// binship bundle [entry] -o FILE

import { shownPath } from "../util/shown-path.js";
import { bundle, bundleOutputs, resolveBundleOptions } from "../bundle/index.js";
import { withInterruptCleanup } from "../util/interrupt.js";
import { formatBytes } from "../log.js";
import { dirname } from "node:path";
import { assetsLine } from "./audit.js";
import type { BundleFormat } from "../config.js";
import { checkCommandOutputs, resolveConfig, type BundleFlagValues, type CommandContext, type CommandOutput, type WrittenFile } from "./context.js";

export interface BundleFlags extends BundleFlagValues {
  outfile?: string;
  metafile?: string;
  depfile?: string;
}

/** What `binship bundle --json` prints and the API's `bundle()` returns (with `warnings`). */
export interface BundleResult extends WrittenFile {
  format: BundleFormat;
  node: number; // the Node major it targets
  inputs: string[]; // every file esbuild read, absolute, and the runtime files
  assets: { name: string; bytes: number; mode: number }[]; // runtime files copied beside the bundle, at their path from the project root
}

export async function bundleCommand(ctx: CommandContext, entry: string | undefined, flags: BundleFlags): Promise<CommandOutput<BundleResult>> {
  const loaded = await resolveConfig(ctx, "bundle", { entry, ...flags });
  const { metafile, depfile } = loaded.config;
  // The plain bundle's runtime files go beside it, as they go beside the executable in a zip or an image.
  const options = { ...resolveBundleOptions(loaded.config, ctx.cwd, "dist/bundle.cjs", { metafile, depfile }), placeAssets: true };
  const outputs = bundleOutputs(options);
  await checkCommandOutputs(ctx, loaded, outputs);
  const result = await withInterruptCleanup(() => bundle(options), outputs.map((o) => o.path));
  const shown = shownPath(ctx.cwd, result.outfile);
  return {
    lines: [
      `${shown}  ${formatBytes(result.bytes)}  sha256:${result.sha256.slice(0, 12)}${result.changed ? "" : "  (unchanged)"}`,
      ...assetsLine(result.assets, `beside it in ${shownPath(ctx.cwd, dirname(result.outfile))}`),
    ],
    json: {
      path: result.outfile,
      bytes: result.bytes,
      sha256: result.sha256,
      changed: result.changed,
      format: result.format,
      node: options.nodeMajor,
      inputs: result.inputs,
      assets: result.assets.map((a) => ({ name: a.name, bytes: a.bytes, mode: a.mode })),
    },
    warnings: result.warnings,
  };
}
