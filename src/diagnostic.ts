// One message type for every stage, shaped like esbuild's Message: errors carry a list of them,
// and every stage returns its warnings as a list of them (never logs them). Commands print
// warnings with `formatDiagnostic` and put the same objects in their `--json` `warnings`.

import { shownPath } from "./util/shown-path.js";

/** A message, located in a file when it has a place. Line is 1-based, column 0-based. */
export interface Diagnostic {
  text: string; // what is wrong
  file?: string; // absolute path of the file it is about
  line?: number;
  column?: number;
  lineText?: string; // the source line, for the caret display
  suggestion?: string; // replacement text esbuild proposes for the location
  hint?: string; // what to do about it, one sentence
}

/** A diagnostic that is only text, with an optional hint. */
export const diagnostic = (text: string, hint?: string): Diagnostic => (hint ? { text, hint } : { text });

/** "file:line:col: text", esbuild's way (column 1-based); just the text without a file. */
export function formatDiagnostic(d: Diagnostic, cwd: string): string {
  const where = d.file ? `${shownPath(cwd, d.file)}${d.line ? `:${d.line}:${(d.column ?? 0) + 1}` : ""}: ` : "";
  return `${where}${d.text}`;
}

/** The lines printed for one diagnostic: location and text, the source line with a caret, suggestion, hint. */
export function diagnosticLines(d: Diagnostic, cwd: string): string[] {
  const out = [formatDiagnostic(d, cwd)];
  if (d.lineText !== undefined && d.line) {
    out.push(`  ${d.line} | ${d.lineText}`, `  ${" ".repeat(String(d.line).length)} | ${" ".repeat(d.column ?? 0)}^`);
  }
  if (d.suggestion) out.push(`  suggestion: ${d.suggestion}`);
  if (d.hint) out.push(`  hint: ${d.hint}`);
  return out;
}
