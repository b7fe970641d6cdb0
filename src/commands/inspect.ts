// binship inspect FILE: what an executable needs (loader, libraries, glibc) and holds.

import { resolve } from "node:path";
import { BinshipError } from "../errors.js";
import { inspectFile, type ElfReport } from "../inspect/index.js";
import { formatBytes } from "../log.js";
import { shownPath } from "../util/shown-path.js";
import { printOutput, type CommandContext } from "./context.js";

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
  return [shown, ...rows.filter(([, v]) => v !== undefined).map(([k, v]) => `  ${k.padEnd(13)}${v}`)];
}

export async function inspectCommand(ctx: CommandContext, file: string | undefined): Promise<void> {
  if (!file) throw new BinshipError("USAGE", "inspect needs a file", { hint: "Example: binship inspect dist/app-linux-arm64" });
  const path = resolve(ctx.cwd, file);
  const report = await inspectFile(path);
  printOutput(ctx, { lines: formatReport(report, shownPath(ctx.cwd, path)), json: { ...report }, warnings: [] });
}
