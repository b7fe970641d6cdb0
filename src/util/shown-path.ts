// Paths and locations as a user reads them in binship's output and depfiles.

import { isAbsolute, relative } from "node:path";
import type { Diagnostic } from "../errors.js";

/** Relative to `cwd` when inside it (as a Makefile there names it), else absolute. */
export function shownPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

/** "file:line:col: text", esbuild's way (column 1-based); just the text without a file. */
export function formatDiagnostic(d: Diagnostic, cwd: string): string {
  const where = d.file ? `${shownPath(cwd, d.file)}${d.line ? `:${d.line}:${(d.column ?? 0) + 1}` : ""}: ` : "";
  return `${where}${d.text}`;
}
