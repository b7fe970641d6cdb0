// Paths as a user reads them in binship's output and depfiles.

import { isAbsolute, relative } from "node:path";

/** Relative to `cwd` when inside it (as a Makefile there names it), else absolute. */
export function shownPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}
