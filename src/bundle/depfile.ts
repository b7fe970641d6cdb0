// Make dependency files, the way `gcc -MD -MP` writes them: the target depends on every input,
// and each input gets an empty rule so deleting a source does not break make.

import { isAbsolute, relative } from "node:path";

/** Escapes a path for a make rule: spaces, '#', ':' and '$' are special there. */
export function makeEscape(path: string): string {
  return path.replace(/([ #:\\])/g, "\\$1").replace(/\$/g, "$$$$");
}

/** Paths under `cwd` are written relative to it (as a Makefile in cwd names them). */
function show(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

export function formatDepfile(target: string, inputs: string[], cwd: string): string {
  const deps = [...new Set(inputs.map((p) => show(p, cwd)))].sort();
  const lines = [`${makeEscape(show(target, cwd))}:${deps.map((d) => ` \\\n  ${makeEscape(d)}`).join("")}`, ""];
  for (const dep of deps) lines.push(`${makeEscape(dep)}:`, "");
  return lines.join("\n");
}
