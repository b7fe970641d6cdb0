// binship inspect FILE: what an executable needs (loader, libraries, glibc) and holds (Node
// release and hash, the bundle's npm packages), for an executable, a Lambda zip or a
// container directory; --sbom and --report write the same facts as files.

import { resolve } from "node:path";
import { BinshipError } from "../errors.js";
import { inspectArtifact, type ArtifactInspection } from "../inspect/artifact.js";
import type { BuildInfo } from "../inspect/build-info.js";
import type { ElfReport } from "../inspect/index.js";
import { readZip } from "../invoke/unzip.js";
import { formatBytes } from "../log.js";
import { withInterruptCleanup } from "../util/interrupt.js";
import { shownPath } from "../util/shown-path.js";
import { checkAuditOutputs, writeAuditOutputs, type AuditFlags } from "./audit.js";
import type { CommandContext, CommandOutput } from "./context.js";

const row = (k: string, v: string) => `  ${k.padEnd(13)}${v}`;

function buildInfoRows(info: BuildInfo): string[] {
  const n = info.node;
  const rows = [
    row("built by", `binship ${info.binship} for linux-${info.arch}`),
    row("node binary", `${n.version} sha256:${n.sha256} (${n.source}${n.stripped ? ", stripped" : ""})`),
    row("bundle", `${formatBytes(info.bundle.bytes)} sha256:${info.bundle.sha256}`),
  ];
  if (info.app?.name) rows.push(row("app", `${info.app.name}${info.app.version ? ` ${info.app.version}` : ""}`));
  // One line per package, as `go version -m` prints its "dep" lines.
  for (const p of info.packages) rows.push(`  dep  ${p.name}\t${p.version}\t${p.license ?? "-"}\t${p.path}\t${p.integrity ?? "-"}`);
  return rows;
}

export function formatReport(report: ElfReport, shown: string): string[] {
  const rows: [string, string | undefined][] = [
    ["format", `ELF${report.elfClass} ${report.machine}${report.arch ? ` (${report.arch})` : ""}`],
    ["interpreter", report.interpreter ?? "none (static)"],
    ["needs", report.needed.length ? report.needed.join(", ") : "nothing"],
    ["glibc", report.glibc ? `>= ${report.glibc}` : undefined],
    ["glibcxx", report.glibcxx ? `>= ${report.glibcxx}` : undefined],
    ["node", report.nodeVersion],
    ["sea blob", report.sea ? `yes (${formatBytes(report.seaBlobBytes ?? 0)})` : "no"],
    ["size", `${formatBytes(report.bytes)} (${report.bytes} bytes)`],
    ["sha256", report.sha256],
  ];
  return [
    shown,
    ...rows.filter(([, v]) => v !== undefined).map(([k, v]) => row(k, v!)),
    ...(report.buildInfo ? buildInfoRows(report.buildInfo) : [row("build info", "none (not built by binship, or rewritten since)")]),
  ];
}

function formatArtifact(a: ArtifactInspection, shown: string): string[] {
  if (a.kind === "executable") return formatReport(a.executables[0]!.report, shown);
  const lines = [a.kind === "lambda-zip" ? `${shown}  Lambda zip, ${formatBytes(a.bytes ?? 0)}, sha256:${a.sha256}` : `${shown}/  container recipe`];
  for (const e of a.zipEntries ?? []) lines.push(row("entry", `${e.name}  ${e.bytes} bytes (${e.compressedBytes} compressed)`));
  if (a.assets?.length) {
    const where = a.kind === "lambda-zip" ? "at the zip's root" : "files/, /app in the image";
    lines.push(row("assets", `${a.assets.length} runtime files, ${formatBytes(a.assets.reduce((n, f) => n + f.bytes, 0))} (${where})`));
  }
  if (a.executables.length === 0) lines.push(row("executables", "none (a --layout bundle recipe carries app.cjs, not an executable)"));
  for (const e of a.executables) lines.push(...formatReport(e.report, `${e.name}:`).map((l) => `  ${l}`));
  return lines;
}

/** What `binship inspect --json` prints and the API's `inspect()` returns (with `warnings`): an executable's ELF report, or a zip's or container directory's contents. */
export type InspectResult = ElfReport | ArtifactInspection;

export async function inspectCommand(ctx: CommandContext, file: string | undefined, flags: AuditFlags = {}): Promise<CommandOutput<InspectResult>> {
  if (!file) throw new BinshipError("USAGE", "inspect needs a file", { hint: "Example: binship inspect dist/app-linux-arm64" });
  const path = resolve(ctx.cwd, file);
  checkAuditOutputs(ctx, flags, path);
  // A zip's executables are unpacked into scratch: an interrupt removes it, and a half-written SBOM or report.
  const outputs = [flags.sbom, flags.report].filter((f): f is string => f !== undefined).map((f) => resolve(ctx.cwd, f));
  const { artifact, written } = await withInterruptCleanup(async () => {
    const inspected = await inspectArtifact(path, readZip);
    return { artifact: inspected, written: await writeAuditOutputs(ctx, flags, inspected) };
  }, outputs);
  return {
    lines: [...formatArtifact(artifact, shownPath(ctx.cwd, path)), ...written],
    json: artifact.kind === "executable" ? { ...artifact.executables[0]!.report } : { ...artifact },
    warnings: [],
  };
}
