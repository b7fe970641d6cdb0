// Paths the service's own code names relative to its location: `path.join(__dirname, "public")`,
// `__dirname + "/views"`, `` `${__dirname}/x` ``, `new URL("./x", import.meta.url)` and
// `join(process.cwd(), "x")`. A bundle cannot see what such a path reads at run time, so each
// one is either a folder a known package serves or loads (an @fastify/static `root`, an
// @fastify/autoload `dir`, `express.static(...)`: shipped with no config, known-assets.ts) or a
// read the artifact must carry: a warning naming the line and the `assets` fix when the file
// exists in the project and no asset ships it. A static scan of the source text, so only
// literal paths are seen; what it finds is what binship can honestly claim.

import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";

export type RefKind = "static-root" | "autoload-dir" | "read";

export interface FileRef {
  file: string; // the module naming the path
  line: number; // 1-based
  expression: string; // the expression as written, for messages
  target: string; // absolute path it names in the project
  kind: RefKind;
}

const str = `(?:'[^'\\n]*'|"[^"\\n]*")`;
const literals = (list: string) => [...list.matchAll(new RegExp(str, "g"))].map((m) => m[0].slice(1, -1));

const patterns: { re: RegExp; base: "dir" | "cwd"; parts: (m: RegExpMatchArray) => string[] }[] = [
  { re: new RegExp(`\\b(?:join|resolve)\\(\\s*__dirname\\s*((?:,\\s*${str}\\s*)+)\\)`, "g"), base: "dir", parts: (m) => literals(m[1]!) },
  { re: new RegExp(`\\b__dirname\\s*\\+\\s*(${str})`, "g"), base: "dir", parts: (m) => literals(m[1]!) },
  { re: /`\$\{__dirname\}(\/[^`$]*)`/g, base: "dir", parts: (m) => [m[1]!] },
  { re: new RegExp(`new URL\\(\\s*(${str})\\s*,\\s*import\\.meta\\.url\\s*\\)`, "g"), base: "dir", parts: (m) => literals(m[1]!) },
  { re: new RegExp(`\\b(?:join|resolve)\\(\\s*process\\.cwd\\(\\)\\s*((?:,\\s*${str}\\s*)+)\\)`, "g"), base: "cwd", parts: (m) => literals(m[1]!) },
];

/** What the code around the path does with it, from the text just before it. */
function kindOf(before: string, source: string): RefKind {
  const tail = before.slice(-80).replace(/[\w$]+\.\s*$/, ""); // `path.join(`: the receiver is not context
  if (/\broot\s*:\s*$/.test(tail) && /["']@fastify\/static["']/.test(source)) return "static-root";
  if (/\bdir\s*:\s*$/.test(tail) && /["']@fastify\/autoload["']/.test(source)) return "autoload-dir";
  if (/\b(?:express\.static|serveStatic)\(\s*$/.test(tail)) return "static-root";
  return "read";
}

/** Every literal path `source` (the module at `file`) names from its directory or from `cwd`. */
export function findFileRefs(source: string, file: string, cwd: string): FileRef[] {
  const out: FileRef[] = [];
  for (const p of patterns) {
    for (const m of source.matchAll(p.re)) {
      const parts = p.parts(m);
      if (parts.length === 0 || parts.some((x) => x.includes("${"))) continue;
      const target = resolve(p.base === "dir" ? dirname(file) : cwd, ...parts.map((x) => x.replace(/^\/+/, "")));
      const at = m.index!;
      out.push({ file, line: source.slice(0, at).split("\n").length, expression: m[0], target, kind: kindOf(source.slice(0, at), source) });
    }
  }
  return out.sort((a, b) => a.line - b.line);
}

/** A reference whose file or folder exists in the project: the artifact needs it. */
export const existing = (ref: FileRef): boolean => existsSync(ref.target);
