// --sbom FILE and --report FILE.html, shared by build, pack lambda, pack container and inspect:
// both are made from the finished artifact (inspect/artifact.ts), so a build's SBOM and
// `binship inspect --sbom` of the same file are the same bytes.

import { resolve } from "node:path";
import { BinshipError } from "../errors.js";
import { inspectArtifact, type ArtifactAsset, type ArtifactInspection } from "../inspect/artifact.js";
import type { BuildInfo } from "../inspect/build-info.js";
import { readZip } from "../invoke/unzip.js";
import { formatBytes } from "../log.js";
import { renderReport } from "../report/html.js";
import { largestPackages, sizeSections } from "../report/tree.js";
import { sbomOfArtifact } from "../sbom/index.js";
import { writeFileAtomic } from "../util/atomic.js";
import { shownPath } from "../util/shown-path.js";
import type { CommandContext } from "./context.js";

export interface AuditFlags {
  sbom?: string; // CycloneDX JSON to write
  report?: string; // HTML size report to write
}

/** Refuses an output that is the artifact itself, before anything is built. */
export function checkAuditOutputs(ctx: CommandContext, flags: AuditFlags, artifact: string): void {
  for (const [flag, out] of [["--sbom", flags.sbom], ["--report", flags.report]] as const) {
    if (out && resolve(ctx.cwd, out) === resolve(ctx.cwd, artifact)) {
      throw new BinshipError("USAGE", `${flag} ${out} is the artifact itself`, { hint: `Write the ${flag === "--sbom" ? "SBOM" : "report"} to another file, e.g. dist/app.cdx.json.` });
    }
  }
}

async function write(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text);
  } catch (err) {
    throw new BinshipError("IO_FAILED", `cannot write ${path}: ${(err as Error).message}`, { cause: err, hint: "Choose a path in a writable directory." });
  }
}

/** Writes what was asked for (nothing when neither flag is given); returns the result lines to print. */
export async function writeAuditOutputs(ctx: CommandContext, flags: AuditFlags, artifact: string | ArtifactInspection, assets?: ArtifactAsset[]): Promise<string[]> {
  const lines: string[] = [];
  if (!flags.sbom && !flags.report) return lines;
  const inspected = typeof artifact === "string" ? await inspectArtifact(artifact, readZip) : artifact;
  // binship build's copies beside the executable are not in the file: the command names them.
  const inspection = assets?.length ? { ...inspected, assets } : inspected;
  if (flags.sbom) {
    const path = resolve(ctx.cwd, flags.sbom);
    await write(path, await sbomOfArtifact(inspection, ctx.env.SOURCE_DATE_EPOCH));
    lines.push(`sbom: ${shownPath(ctx.cwd, path)}`);
  }
  if (flags.report) {
    const path = resolve(ctx.cwd, flags.report);
    await write(path, renderReport({ title: shownPath(ctx.cwd, inspection.path), sections: sizeSections(inspection) }));
    lines.push(`report: ${shownPath(ctx.cwd, path)}`);
  }
  return lines;
}

/** The runtime files' count and bytes, under the artifact's line; nothing when there are none. */
export function assetsLine(assets: { bytes: number }[], where: string): string[] {
  if (assets.length === 0) return [];
  const bytes = assets.reduce((n, a) => n + a.bytes, 0);
  return [`  + ${assets.length} runtime file${assets.length === 1 ? "" : "s"}, ${formatBytes(bytes)} (${where})`];
}

/** Over 1 MiB of bundle, name the three packages that weigh most. */
export function largestLine(info: BuildInfo | undefined): string | undefined {
  if (!info || info.bundle.bytes <= 1 << 20) return undefined;
  const top = largestPackages(info).map((p) => `${p.name} ${formatBytes(p.bytes)}`);
  return top.length ? `bundle ${formatBytes(info.bundle.bytes)}; largest packages: ${top.join(", ")}` : undefined;
}
