// binship build [entry] --arch arm64 --node 24 -o dist/app-arm64

import { resolve } from "node:path";
import { archs, singleArch, type Arch } from "../config.js";
import { formatBytes } from "../log.js";
import { buildFromSource } from "../pipeline/build.js";
import { shownPath } from "../util/shown-path.js";
import { checkAuditOutputs, largestLine, writeAuditOutputs, type AuditFlags } from "./audit.js";
import { printOutput, resolveConfig, type ExecutableFlagValues, type CommandContext } from "./context.js";

export interface BuildFlags extends ExecutableFlagValues, AuditFlags {
  outfile?: string;
  arch?: string;
  depfile?: string;
}

/** Without --arch, the build host's CPU, so the result runs here. */
const hostArch = (): Arch => ((archs as readonly string[]).includes(process.arch) ? (process.arch as Arch) : "x64");

export async function buildCommand(ctx: CommandContext, entry: string | undefined, flags: BuildFlags): Promise<void> {
  const { depfile, sbom, report, ...configFlags } = flags;
  const { config } = await resolveConfig(ctx, { entry, ...configFlags });
  const arch = singleArch(config.arch, hostArch(), "binship build");
  const outfile = config.outfile ?? `dist/app-linux-${arch}`;
  checkAuditOutputs(ctx, { sbom, report }, outfile);
  const { bundle, executable: exe, warnings } = await buildFromSource({ config, cwd: ctx.cwd, env: ctx.env, arch, outfile, logger: ctx.logger, depfile });
  const shown = shownPath(ctx.cwd, exe.outfile);
  const audit = await writeAuditOutputs(ctx, { sbom, report }, exe.outfile);
  const largest = largestLine(exe.buildInfo);
  printOutput(ctx, {
    lines: [
      `${shown}  ${formatBytes(exe.bytes)}  ${exe.arch}  Node ${exe.nodeVersion}  sha256:${exe.sha256}${exe.changed ? "" : "  (unchanged)"}`,
      ...(largest ? [largest] : []),
      ...audit,
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
      packages: exe.buildInfo.packages.map((p) => ({ name: p.name, version: p.version, bytes: p.bytes })),
      sbom: sbom ? resolve(ctx.cwd, sbom) : null,
      report: report ? resolve(ctx.cwd, report) : null,
    },
    warnings,
  });
}
