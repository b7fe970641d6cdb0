// binship build [entry] --arch arm64 --node 24 -o dist/app-arm64

import { dirname, resolve } from "node:path";
import { archs, singleArch, type Arch } from "../config.js";
import { formatBytes } from "../log.js";
import { buildFromSource } from "../pipeline/build.js";
import { withInterruptCleanup } from "../util/interrupt.js";
import type { Output } from "../util/outputs.js";
import { shownPath } from "../util/shown-path.js";
import { assetsLine, checkAuditOutputs, largestLine, writeAuditOutputs, type AuditFlags } from "./audit.js";
import type { ElfReport } from "../inspect/index.js";
import type { SnapshotFacts } from "../inspect/build-info.js";
import { shownModule } from "../executable/snapshot-plan.js";
import { checkCommandOutputs, resolveConfig, type ExecutableFlagValues, type CommandContext, type CommandOutput, type WrittenFile } from "./context.js";

export interface BuildFlags extends ExecutableFlagValues, AuditFlags {
  outfile?: string;
  arch?: string;
  depfile?: string;
  metafile?: string;
  snapshot?: boolean;
}

/** Without --arch, the build host's CPU, so the result runs here. */
const hostArch = (): Arch => ((archs as readonly string[]).includes(process.arch) ? (process.arch as Arch) : "x64");

/** What `binship build --json` prints and the API's `buildExecutable()` returns (with `warnings`). */
export interface BuildResult extends WrittenFile {
  arch: Arch;
  nodeVersion: string;
  stripped: boolean;
  glibc: string | undefined; // the highest GLIBC_x.y it needs
  glibcxx: string | undefined;
  interpreter: string | undefined;
  needed: string[]; // DT_NEEDED
  sea: ElfReport["sea"];
  codeCacheBytes: number; // the V8 code cache in the SEA blob (0: none)
  snapshot: boolean; // the executable starts from a V8 startup snapshot of the service's init
  snapshotModules: SnapshotFacts | null; // which modules the snapshot holds, which run at each start and why
  bundle: { bytes: number; sha256: string; inputs: string[] };
  assets: { name: string; bytes: number; mode: number }[]; // runtime files copied beside the executable, at their path from the project root
  packages: { name: string; version: string; bytes: number }[]; // npm packages in the bundle
  sbom: string | null;
  report: string | null;
}

/** Which modules run at each start of a snapshot executable, and why: what a user changes to move more into the snapshot. */
export function snapshotLine(facts: SnapshotFacts | undefined): string[] {
  if (!facts) return [];
  if (facts.atStart === 0) return [`snapshot: all ${facts.atBuild} modules evaluated at build time`];
  const shown = facts.causes.slice(0, 3).map((c) => `${shownModule(c.module)} (${c.why})`);
  const more = facts.causes.length > 3 ? `, ${facts.causes.length - 3} more` : "";
  const importers = facts.atStart - facts.causes.length;
  return [`snapshot: ${facts.atBuild} of ${facts.atBuild + facts.atStart} modules evaluated at build time; at each start: ${shown.join(", ")}${more}${importers > 0 ? `, and ${importers} module${importers === 1 ? "" : "s"} importing them` : ""}`];
}

export async function buildCommand(ctx: CommandContext, entry: string | undefined, flags: BuildFlags): Promise<CommandOutput<BuildResult>> {
  const loaded = await resolveConfig(ctx, "build", { entry, ...flags });
  const { config } = loaded;
  const { depfile, metafile, sbom, report } = config;
  const arch = singleArch(config.arch, hostArch(), "binship build");
  const outfile = resolve(ctx.cwd, config.outfile ?? `dist/app-linux-${arch}`);
  checkAuditOutputs(ctx, { sbom, report }, outfile);
  const outputs: Output[] = [{ flag: "-o", path: outfile }];
  if (depfile) outputs.push({ flag: "--depfile", path: resolve(ctx.cwd, depfile) });
  if (metafile) outputs.push({ flag: "--metafile", path: resolve(ctx.cwd, metafile) });
  if (sbom) outputs.push({ flag: "--sbom", path: resolve(ctx.cwd, sbom) });
  if (report) outputs.push({ flag: "--report", path: resolve(ctx.cwd, report) });
  await checkCommandOutputs(ctx, loaded, outputs);
  // The SBOM and report inside too: an interrupt while they are written leaves no output either.
  const { bundle, executable: exe, warnings, audit } = await withInterruptCleanup(async () => {
    const built = await buildFromSource({ config, cwd: ctx.cwd, env: ctx.env, arch, outfile, logger: ctx.logger, depfile, metafile, outputs, placeAssets: true });
    const assets = built.bundle.assets.map((a) => ({ name: a.name, bytes: a.bytes }));
    return { ...built, audit: await writeAuditOutputs(ctx, { sbom, report }, built.executable.outfile, assets) };
  }, outputs.map((o) => o.path));
  const shown = shownPath(ctx.cwd, exe.outfile);
  const largest = largestLine(exe.buildInfo);
  return {
    lines: [
      `${shown}  ${formatBytes(exe.bytes)}  ${exe.arch}  Node ${exe.nodeVersion}  sha256:${exe.sha256}${exe.changed ? "" : "  (unchanged)"}`,
      ...assetsLine(bundle.assets, `beside it in ${shownPath(ctx.cwd, dirname(exe.outfile))}`),
      ...(largest ? [largest] : []),
      ...snapshotLine(exe.buildInfo.snapshot),
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
      codeCacheBytes: exe.report.seaCodeCacheBytes ?? 0,
      snapshot: exe.report.seaSnapshot ?? false,
      snapshotModules: exe.buildInfo.snapshot ?? null,
      bundle: { bytes: bundle.bytes, sha256: bundle.sha256, inputs: bundle.inputs },
      assets: bundle.assets.map((a) => ({ name: a.name, bytes: a.bytes, mode: a.mode })),
      packages: exe.buildInfo.packages.map((p) => ({ name: p.name, version: p.version, bytes: p.bytes })),
      sbom: sbom ? resolve(ctx.cwd, sbom) : null,
      report: report ? resolve(ctx.cwd, report) : null,
    },
    warnings,
  };
}
