// Reads a make dependency file as make does: the target, its prerequisites, and the empty
// per-prerequisite rules of a gcc -MP style depfile.

/** Parses `target: dep dep ...` plus the empty per-dependency rules. */
export function parseDepfile(text: string): { target: string; deps: string[]; emptyRules: string[] } {
  const logical = text.replace(/\\\n/g, " ").split("\n").filter((l) => l.trim() !== "");
  const unescape = (s: string) => s.replace(/\\(.)/g, "$1");
  const split = (s: string) => s.trim().split(/(?<!\\) +/).filter(Boolean).map(unescape);
  const [first, ...rest] = logical;
  const colon = first!.search(/(?<!\\):/);
  return {
    target: unescape(first!.slice(0, colon).trim()),
    deps: split(first!.slice(colon + 1)),
    emptyRules: rest.map((l) => unescape(l.replace(/:\s*$/, "").trim())),
  };
}
