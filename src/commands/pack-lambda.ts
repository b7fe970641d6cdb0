// binship pack lambda [entry] -o dist/lambda.zip

import type { Output } from "../util/outputs.js";
import { dirname, join, resolve } from "node:path";
import { resolvePackLambdaOptions } from "../artifacts/lambda/options.js";
import { runtimeWarnings } from "../artifacts/lambda/runtimes.js";
import { zipTime } from "../artifacts/zip.js";
import type { Arch } from "../config.js";
import { BinshipError } from "../errors.js";
import { cacheDirFrom } from "../executable/options.js";
import { formatBytes } from "../log.js";
import { lambdaOutputs, packLambda } from "../pipeline/pack-lambda.js";
import { withInterruptCleanup } from "../util/interrupt.js";
import { shownPath } from "../util/shown-path.js";
import { assetsLine, checkAuditOutputs, largestLine, writeAuditOutputs, type AuditFlags } from "./audit.js";
import type { LambdaRuntime } from "../config.js";
import type { LambdaPackageResult } from "../artifacts/lambda/index.js";
import type { FallbackReport } from "../pipeline/pack-lambda.js";
import { checkCommandOutputs, printWarnings, resolveConfig, type ExecutableFlagValues, type CommandContext, type CommandOutput, type WrittenFile } from "./context.js";

export interface PackLambdaFlags extends ExecutableFlagValues, AuditFlags {
  outfile?: string;
  arch?: string;
  runtime?: string;
  sysroot?: string;
  executable?: string;
  depfile?: string;
  metafile?: string;
  zipLevel?: number | string;
  layout?: string;
  fallbackLibraries?: boolean;
}

const base64OfHex = (hex: string) => Buffer.from(hex, "hex").toString("base64");

/** A zip written by pack lambda. */
export interface ZipSummary extends WrittenFile {
  unzippedBytes: number;
  sha256Base64: string; // Terraform's filebase64sha256 / source_code_hash
  entries: LambdaPackageResult["entries"];
}

/** What `binship pack lambda --json` prints and the API's `packLambda()` returns (with `warnings`). */
export interface PackLambdaResult extends ZipSummary {
  arch: Arch;
  runtime: LambdaRuntime;
  layout: string;
  node: string | null;
  libraries: string[]; // sonames shipped in lib/
  assets: { name: string; bytes: number; mode: number }[]; // runtime files at the zip root, beside bootstrap
  fallback: (FallbackReport & { why: string }) | null;
  executable: { path: string; bytes: number; sha256: string; glibc: string | null } | null; // null for the layer layout
  depfile: string | null;
  sbom: string | null;
  report: string | null;
  layer: (ZipSummary & { name: string; removed: string | null }) | null; // the runtime layer, for the layer layout
}

export async function packLambdaCommand(ctx: CommandContext, entry: string | undefined, flags: PackLambdaFlags): Promise<CommandOutput<PackLambdaResult>> {
  const { executable, layout, ...configFlags } = flags;
  const loaded = await resolveConfig(ctx, "lambda", { entry, ...configFlags });
  const { config, file: configFile } = loaded;
  const { depfile, metafile, sbom, report } = config;
  const options = resolvePackLambdaOptions(config, ctx.cwd, {
    executable,
    depfile,
    metafile,
    mtime: zipTime(ctx.env.SOURCE_DATE_EPOCH),
    configFile,
    cacheDir: cacheDirFrom(ctx.env, ctx.cwd),
    layout,
  });
  checkAuditOutputs(ctx, { sbom, report }, options.outfile);
  if (options.layout === "layer" && (sbom || report)) {
    // Both are made from the build info an executable carries (commands/audit.ts); this layout ships none.
    throw new BinshipError("USAGE", `${sbom ? "--sbom" : "--report"} cannot be used with --layout layer: the layer layout ships no executable, and the SBOM and size report are read from the build info an executable carries`, {
      hint: "Pack with --layout executable for them, or run `binship build` on the same entry and `binship inspect --sbom FILE --report FILE.html` on that executable.",
    });
  }
  const audits: Output[] = [];
  if (sbom) audits.push({ flag: "--sbom", path: resolve(ctx.cwd, sbom) });
  if (report) audits.push({ flag: "--report", path: resolve(ctx.cwd, report) });
  options.alsoOutputs = audits; // the bundle stage checks them against every file it read
  const outputs = lambdaOutputs(options);
  await checkCommandOutputs(ctx, loaded, outputs, [options.executable]);
  const early = runtimeWarnings(options.runtime);
  printWarnings(ctx, early);
  const { result, audit } = await withInterruptCleanup(async ({ onTemp }) => {
    const packed = await packLambda(options, { env: ctx.env, hostArch: process.arch as Arch, logger: ctx.logger, onTemp });
    return { result: packed, audit: await writeAuditOutputs(ctx, { sbom, report }, packed.zip.path) };
  }, outputs.map((o) => o.path));
  const { zip, executable: exe } = result;
  const shown = shownPath(ctx.cwd, zip.path);
  const node = exe.nodeVersion ?? "unknown";
  const largest = largestLine(exe.buildInfo);
  const layer = zip.layer;
  return {
    lines: [
      `${shown}  ${formatBytes(zip.bytes)} (${formatBytes(zip.unzippedBytes)} unzipped)  ${options.arch} ${options.runtime}  node ${node}  sha256:${zip.sha256.slice(0, 12)}${zip.changed ? "" : "  (unchanged)"}`,
      ...assetsLine(result.assets, "at the zip's root, beside bootstrap"),
      ...(layer ? [`${shownPath(ctx.cwd, layer.path)}  ${formatBytes(layer.bytes)} (${formatBytes(layer.unzippedBytes)} unzipped)  runtime layer ${layer.name}${layer.changed ? "" : "  (unchanged)"}`] : []),
      ...(layer?.removed ? [`removed ${shownPath(ctx.cwd, layer.removed)}: no pack in ${shownPath(ctx.cwd, dirname(layer.removed))} uses it any more`] : []),
      ...(largest ? [largest] : []),
      ...audit,
    ],
    json: {
      path: zip.path,
      bytes: zip.bytes,
      unzippedBytes: zip.unzippedBytes,
      sha256: zip.sha256,
      sha256Base64: base64OfHex(zip.sha256), // Terraform's filebase64sha256 / source_code_hash
      arch: options.arch,
      runtime: options.runtime,
      layout: options.layout,
      node: exe.nodeVersion ?? null,
      changed: zip.changed,
      entries: zip.entries,
      assets: result.assets.map((a) => ({ name: a.name, bytes: a.bytes, mode: a.mode })),
      libraries: zip.libraries,
      // provided.al2023: libstdc++/libgcc_s in lib/ (the layer's, for --layout layer), loaded only if the runtime lacks its own.
      fallback: result.fallback ? { ...result.fallback, why: "loaded only when the runtime has no libstdc++.so.6 / libgcc_s.so.1 of its own" } : null,
      // The layer layout ships no executable: its Node binary is in the layer.
      executable: layer ? null : { path: exe.path, bytes: exe.bytes, sha256: exe.sha256, glibc: exe.glibc ?? null },
      depfile: options.depfile ?? null,
      sbom: sbom ? resolve(ctx.cwd, sbom) : null,
      report: report ? resolve(ctx.cwd, report) : null,
      layer: layer
        ? { path: layer.path, name: layer.name, bytes: layer.bytes, unzippedBytes: layer.unzippedBytes, sha256: layer.sha256, sha256Base64: base64OfHex(layer.sha256), changed: layer.changed, entries: layer.entries, removed: layer.removed ?? null }
        : null,
    },
    warnings: [...early, ...result.warnings],
  };
}
