// binship pack lambda [entry] -o dist/lambda.zip

import { rmSync } from "node:fs";
import { runtimeSpecs } from "../artifacts/lambda/index.js";
import { resolvePackLambdaOptions } from "../artifacts/lambda/options.js";
import { packLambda } from "../pipeline/pack-lambda.js";
import { zipTime } from "../artifacts/zip.js";
import type { Arch } from "../config.js";
import { formatBytes } from "../log.js";
import { shownPath } from "../util/shown-path.js";
import { printOutput, resolveConfig, type ExecutableFlagValues, type CommandContext } from "./context.js";

export interface PackLambdaFlags extends ExecutableFlagValues {
  outfile?: string;
  arch?: string;
  runtime?: string;
  sysroot?: string;
  executable?: string;
  depfile?: string;
  zipLevel?: number | string;
}

/** An interrupted pack must not leave a zip (or its temporary file) behind for make to trust. */
function removeOnInterrupt(): { onTemp: (path: string | undefined) => void; dispose: () => void } {
  let current: string | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (current) rmSync(current, { force: true });
    dispose();
    process.kill(process.pid, signal); // die of the same signal, as make expects
  };
  const dispose = () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
    process.off("SIGHUP", handler);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  process.on("SIGHUP", handler);
  return { onTemp: (path) => (current = path), dispose };
}

const base64OfHex = (hex: string) => Buffer.from(hex, "hex").toString("base64");

export async function packLambdaCommand(ctx: CommandContext, entry: string | undefined, flags: PackLambdaFlags): Promise<void> {
  const { executable, depfile, ...configFlags } = flags;
  const { config, file: configFile } = await resolveConfig(ctx, { entry, ...configFlags });
  const options = resolvePackLambdaOptions(config, ctx.cwd, {
    executable,
    depfile,
    mtime: zipTime(ctx.env.SOURCE_DATE_EPOCH),
    configFile,
  });
  const deprecated = runtimeSpecs[options.runtime].deprecated;
  if (deprecated) {
    ctx.logger.warn(`${options.runtime} is deprecated by AWS since ${deprecated.date} (${deprecated.note}); use --runtime provided.al2023`);
  }
  const interrupt = removeOnInterrupt();
  let result;
  try {
    result = await packLambda(options, { env: ctx.env, hostArch: process.arch as Arch, logger: ctx.logger, onTemp: interrupt.onTemp });
  } finally {
    interrupt.dispose();
  }
  const { zip, executable: exe } = result;
  for (const w of zip.warnings) ctx.logger.warn(`${w.text}${w.hint ? `\n  hint: ${w.hint}` : ""}`);
  const shown = shownPath(ctx.cwd, zip.path);
  const node = exe.nodeVersion ?? "unknown";
  printOutput(ctx, {
    lines: [
      `${shown}  ${formatBytes(zip.bytes)} (${formatBytes(zip.unzippedBytes)} unzipped)  ${options.arch} ${options.runtime}  node ${node}  sha256:${zip.sha256.slice(0, 12)}${zip.changed ? "" : "  (unchanged)"}`,
    ],
    json: {
      path: zip.path,
      bytes: zip.bytes,
      unzippedBytes: zip.unzippedBytes,
      sha256: zip.sha256,
      sha256Base64: base64OfHex(zip.sha256), // Terraform's filebase64sha256 / source_code_hash
      arch: options.arch,
      runtime: options.runtime,
      node: exe.nodeVersion ?? null,
      changed: zip.changed,
      entries: zip.entries,
      libraries: zip.libraries,
      executable: { path: exe.path, bytes: exe.bytes, sha256: exe.sha256, glibc: exe.glibc ?? null },
      depfile: options.depfile ?? null,
      warnings: zip.warnings,
    },
  });
}
