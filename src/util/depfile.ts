// Make dependency files, the way `gcc -MD -MP` writes them: the target depends on every input,
// and each input gets an empty rule so deleting a source does not break make.

import { shownPath } from "./shown-path.js";

/** Escapes a path for a make rule: spaces, '#', ':' and '$' are special there. */
export function makeEscape(path: string): string {
  return path.replace(/([ #:\\])/g, "\\$1").replace(/\$/g, "$$$$");
}

export function formatDepfile(target: string, inputs: string[], cwd: string): string {
  const deps = [...new Set(inputs.map((p) => shownPath(cwd, p)))].sort();
  const lines = [`${makeEscape(shownPath(cwd, target))}:${deps.map((d) => ` \\\n  ${makeEscape(d)}`).join("")}`, ""];
  for (const dep of deps) lines.push(`${makeEscape(dep)}:`, "");
  return lines.join("\n");
}
