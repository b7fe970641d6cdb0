// binship build [entry] --arch arm64 --node 24 -o dist/app-arm64

import { isAbsolute, relative } from "node:path";
import { archs, type Arch, type Config } from "../config.js";
import { BinshipError } from "../errors.js";
import { formatBytes } from "../log.js";
import { buildFromSource } from "../pipeline.js";
import { printOutput, resolveConfig, type ExecutableFlagValues, type CommandContext } from "./context.js";

export interface BuildFlags extends ExecutableFlagValues {
  outfile?: string;
  arch?: string;
  depfile?: string;
}

/** Relative to the project when inside it, else in full. */
export function shownPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

/** One target CPU: the flag or config, else the build host's (so the result runs here). */
export function singleArch(config: Config, hostArch: string): Arch {
  const arch = config.arch ?? ((archs as readonly string[]).includes(hostArch) ? (hostArch as Arch) : "x64");
  if (Array.isArray(arch)) {
    if (arch.length === 1) return arch[0]!;
    throw new BinshipError("USAGE", `build makes one executable, but "arch" lists ${arch.join(", ")}`, { hint: "Pass one --arch (arm64 or x64)." });
  }
  return arch;
}

export async function buildCommand(ctx: CommandContext, entry: string | undefined, flags: BuildFlags): Promise<void> {
  const { depfile, ...configFlags } = flags;
  const config = await resolveConfig(ctx, { entry, ...configFlags });
  const arch = singleArch(config, process.arch);
  const outfile = config.outfile ?? `dist/app-linux-${arch}`;
  const { bundle, executable: exe } = await buildFromSource({ config, cwd: ctx.cwd, env: ctx.env, arch, outfile, logger: ctx.logger, depfile });
  const shown = shownPath(ctx.cwd, exe.outfile);
  printOutput(ctx, {
    lines: [
      `${shown}  ${formatBytes(exe.bytes)}  ${exe.arch}  Node ${exe.nodeVersion}  sha256:${exe.sha256}${exe.changed ? "" : "  (unchanged)"}`,
    ],
    json: {
      path: exe.outfile,
      bytes: exe.bytes,
      sha256: exe.sha256,
      changed: exe.changed,
      arch: exe.arch,
      nodeVersion: exe.nodeVersion,
      stripped: exe.stripped,
      glibc: exe.report.glibc,
      glibcxx: exe.report.glibcxx,
      interpreter: exe.report.interpreter,
      needed: exe.report.needed,
      sea: exe.report.sea,
      bundle: { bytes: bundle.bytes, sha256: bundle.sha256, inputs: bundle.inputs },
      warnings: [...bundle.warnings.map((w) => w.text), ...exe.warnings],
    },
  });
}
