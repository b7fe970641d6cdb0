// binship inspect FILE: what an executable needs (loader, libraries, glibc) and holds (Node
// release and hash, the bundle's npm packages), for an executable, a Lambda zip, a container
// directory (any layout: executables, or Node + bundle + compile cache) or an OCI image layout
// (its layers per platform, and the files in binship's own); --sbom and --report write the same
// facts as files.

import { resolve } from "node:path";
import { BinshipError } from "../errors.js";
import { inspectArtifact, type ArtifactInspection } from "../inspect/artifact.js";
import type { BuildInfo } from "../inspect/build-info.js";
import type { CompileCacheDir, ContainerBundle, ImagePlatform } from "../inspect/container.js";
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
  if (info.snapshot) {
    rows.push(row("snapshot", `${info.snapshot.atBuild} modules evaluated at build time, ${info.snapshot.atStart} at each start`));
    for (const c of info.snapshot.causes) rows.push(row("at start", `${c.module}: ${c.why}`));
  }
  // One line per package, as `go version -m` prints its "dep" lines.
  for (const p of info.packages) rows.push(`  dep  ${p.name}\t${p.version}\t${p.license ?? "-"}\t${p.path}\t${p.integrity ?? "-"}`);
  return rows;
}

/** `noInfo`: what to say instead of "none" when the file is not expected to carry build info (the node layout's official Node). */
export function formatReport(report: ElfReport, shown: string, noInfo = "none (not built by binship, or rewritten since)"): string[] {
  const rows: [string, string | undefined][] = [
    ["format", `ELF${report.elfClass} ${report.machine}${report.arch ? ` (${report.arch})` : ""}`],
    ["interpreter", report.interpreter ?? "none (static)"],
    ["needs", report.needed.length ? report.needed.join(", ") : "nothing"],
    ["glibc", report.glibc ? `>= ${report.glibc}` : undefined],
    ["glibcxx", report.glibcxx ? `>= ${report.glibcxx}` : undefined],
    ["node", report.nodeVersion],
    ["sea blob", report.sea ? `yes (${formatBytes(report.seaBlobBytes ?? 0)})` : "no"],
    ["snapshot", report.seaSnapshot ? "yes (V8 startup snapshot of the service's init: build --snapshot)" : undefined],
    ["code cache", report.sea ? (report.seaCodeCacheBytes ? `${formatBytes(report.seaCodeCacheBytes)} (V8 code cache of the bundle, in the blob)` : "none") : undefined],
    ["size", `${formatBytes(report.bytes)} (${report.bytes} bytes)`],
    ["sha256", report.sha256],
  ];
  return [
    shown,
    ...rows.filter(([, v]) => v !== undefined).map(([k, v]) => row(k, v!)),
    ...(report.buildInfo ? buildInfoRows(report.buildInfo) : [row("build info", noInfo)]),
  ];
}

// The node layout ships Node as published (stripped): its record is the image's SBOM file instead.
const nodeInfo = "none (the official Node binary; what the image holds is in its SBOM, sbom-<arch>.cdx.json)";

function containerRows(c: { bundle?: ContainerBundle; compileCache?: CompileCacheDir[] }): string[] {
  const rows: string[] = [];
  if (c.bundle) rows.push(row("bundle", `${c.bundle.name} ${formatBytes(c.bundle.bytes)} sha256:${c.bundle.sha256}`));
  for (const d of c.compileCache ?? []) rows.push(row("code cache", `${d.dir}: ${d.files} file${d.files === 1 ? "" : "s"}, ${formatBytes(d.bytes)} (${d.bytes} bytes; Node's compile cache of the bundle)`));
  return rows;
}

function formatImage(p: ImagePlatform): string[] {
  const lines = [`  ${p.platform}  manifest ${p.manifest}`];
  for (const l of p.layers) lines.push(`  ${row("layer", `${l.digest} ${formatBytes(l.size)} ${l.addedBy === "binship" ? `binship: ${l.comment ?? "layer"}` : "base"}`)}`);
  lines.push(...containerRows({ bundle: p.bundle, compileCache: p.compileCache }).map((l) => `  ${l}`));
  if (p.node) lines.push(...formatReport(p.node.report, `${p.node.name}:`, nodeInfo).map((l) => `    ${l}`));
  if (p.executable) lines.push(...formatReport(p.executable.report, `${p.executable.name}:`).map((l) => `    ${l}`));
  return lines;
}

function formatArtifact(a: ArtifactInspection, shown: string): string[] {
  if (a.kind === "executable") return formatReport(a.executables[0]!.report, shown);
  const layout = a.layout ? `, ${a.layout} layout` : "";
  if (a.kind === "oci-layout") return [`${shown}/  OCI image layout${layout}`, ...(a.platforms ?? []).flatMap(formatImage)];
  const lines = [a.kind === "lambda-zip" ? `${shown}  Lambda zip, ${formatBytes(a.bytes ?? 0)}, sha256:${a.sha256}` : `${shown}/  container recipe${layout}`];
  for (const e of a.zipEntries ?? []) lines.push(row("entry", `${e.name}  ${e.bytes} bytes (${e.compressedBytes} compressed)`));
  if (a.assets?.length) {
    const where = a.kind === "lambda-zip" ? "at the zip's root" : "files/, /app in the image";
    lines.push(row("assets", `${a.assets.length} runtime files, ${formatBytes(a.assets.reduce((n, f) => n + f.bytes, 0))} (${where})`));
  }
  lines.push(...containerRows(a));
  if (a.kind === "container" && a.layout === "bundle") lines.push(row("executables", "none (a --layout bundle recipe carries app.cjs, not an executable)"));
  for (const n of a.nodes ?? []) lines.push(...formatReport(n.report, `${n.name}:`, nodeInfo).map((l) => `  ${l}`));
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
