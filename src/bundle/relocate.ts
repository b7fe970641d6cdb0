// Where a bundled module thinks it lives. In one bundle every module's `__dirname` is the
// bundle's directory (the executable's, in a single executable), so `path.join(__dirname,
// "public")` in src/server.ts, or swagger-ui-dist's `absolutePath()`, points at the wrong folder.
// When the bundle ships runtime files (assets.ts: they sit beside it at their path from the
// project root), each module of the project gets back the `__dirname`, `__filename` and
// `import.meta.{url,dirname,filename}` it had in the project, rooted at the bundle's directory:
// src/server.ts sees `<bundle dir>/src`, where its `public/` now is. The root is one variable the
// format's banner sets (format.ts: `__binship_root`).
//
// The rewrite is a prefix on the module's first line (after a hashbang and a "use strict"
// prologue, so line numbers and strictness stay as they were) plus `import.meta.*` replaced by
// its locals; a module that declares its own `__dirname` keeps it (an ES module computing it
// from import.meta.url then gets the relocated url). Files with no place in the artifact's layout
// (assets.ts artifactName: outside the project) keep the bundle's directory.

import { readFileSync } from "node:fs";
import { posix } from "node:path";
import type { Loader, Plugin } from "esbuild";
import { artifactName } from "./assets.js";

export const rootVariable = "__binship_root";

const loaders: Record<string, Loader> = { ".ts": "ts", ".mts": "ts", ".cts": "ts", ".tsx": "tsx", ".js": "js", ".mjs": "js", ".cjs": "js", ".jsx": "jsx" };
const extension = /\.[cm]?[jt]sx?$/;
const mentions = /\b__dirname\b|\b__filename\b|\bimport\.meta\.(?:url|dirname|filename)\b/;
const prologue = /^(#![^\n]*\n)?((?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*(["'])use strict\3;?)?/;
const declares = (source: string, name: string) => new RegExp(`\\b(?:var|let|const|function|class)\\s+${name}\\b|[{,]\\s*${name}\\s*[,}=]`).test(source);

/** `source` with its module location relocated, or undefined when it reads none of it. */
export function relocateSource(source: string, file: string, cwd: string, root: string): string | undefined {
  if (!mentions.test(source)) return undefined;
  const path = artifactName(file, cwd, root);
  if (path === undefined) return undefined;
  const dir = posix.dirname(path) === "." ? "" : `/${posix.dirname(path)}`;
  const dirExpr = `${rootVariable} + ${JSON.stringify(dir)}`;
  const fileExpr = `${rootVariable} + ${JSON.stringify(`/${path}`)}`;
  const decls: string[] = [];
  if (/\b__dirname\b/.test(source) && !declares(source, "__dirname")) decls.push(`__dirname = ${dirExpr}`);
  if (/\b__filename\b/.test(source) && !declares(source, "__filename")) decls.push(`__filename = ${fileExpr}`);
  let body = source;
  if (/\bimport\.meta\.(?:url|dirname|filename)\b/.test(source)) {
    decls.push(`__binship_meta_dirname = ${dirExpr}`, `__binship_meta_filename = ${fileExpr}`);
    decls.push(`__binship_meta_url = "file://" + __binship_meta_filename.split("/").map(encodeURIComponent).join("/")`);
    body = source
      .replace(/\bimport\.meta\.url\b/g, "__binship_meta_url")
      .replace(/\bimport\.meta\.dirname\b/g, "__binship_meta_dirname")
      .replace(/\bimport\.meta\.filename\b/g, "__binship_meta_filename");
  }
  if (decls.length === 0) return undefined;
  const head = prologue.exec(body)?.[0] ?? "";
  // No newline: the module's lines keep their numbers (stack traces, source maps).
  // A directive may lack its semicolon ('use strict' then a newline): one is added before ours.
  return `${head}${head ? ";" : ""}var ${decls.join(", ")};${body.slice(head.length)}`;
}

/**
 * The esbuild plugin: every project file (and, with `only`, just the files under those
 * directories) that reads its own location is loaded relocated. Registered after the decorator
 * plugin, which relocates its own output (decorators.ts).
 */
export function relocatePlugin(cwd: string, root: string, only?: (file: string) => boolean): Plugin {
  return {
    name: "binship-relocate",
    setup(build) {
      build.onLoad({ filter: extension, namespace: "file" }, (args) => {
        if (args.path.endsWith(".d.ts") || (only && !only(args.path))) return undefined;
        const loader = loaders[/\.[cm]?[jt]sx?$/.exec(args.path)![0]];
        const source = readFileSync(args.path, "utf8");
        const contents = relocateSource(source, args.path, cwd, root);
        return contents === undefined ? undefined : { contents, loader };
      });
    },
  };
}
