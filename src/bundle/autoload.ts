// @fastify/autoload lists a folder at run time and loads each file with require() or import():
// in a bundle, and in a single executable whose require() reaches only built-ins, neither finds
// TypeScript sources. So the folders the service names as autoload `dir`s (file-refs.ts) are
// shipped as assets (the listing, which decides names and route prefixes, stays autoload's own),
// and their modules are bundled: autoload's loader is given a table from each file's path in the
// artifact (relocate.ts roots `__dirname` there) to its bundled module, asked before it falls back
// to loading the file. Its require/import calls are the two lines patched; a version that no
// longer has them is left alone, with a warning, and loads from disk as before.

import { readFileSync } from "node:fs";
import { sep } from "node:path";
import type { Plugin } from "esbuild";
import type { Diagnostic } from "../diagnostic.js";
import { globFiles } from "../util/glob.js";
import { artifactName } from "./assets.js";
import { rootVariable } from "./relocate.js";

/** autoload's own scriptPattern (index.js `defaults`): the files it would load from a folder. */
const script = /(?:(?:^.?|\.[^d]|[^.]d|[^.][^d])\.ts|\.js|\.cjs|\.mjs|\.cts|\.mts)$/i;

const loads: [RegExp, string][] = [
  [/content = await import\(pathToFileURL\(file\)\.href\)/, "content = __binshipAutoloaded(file) ?? await import(pathToFileURL(file).href)"],
  [/content = require\(file\)/, "content = __binshipAutoloaded(file) ?? require(file)"],
  [/hookContent = await import\(pathToFileURL\(hook\.file\)\.href\)/, "hookContent = __binshipAutoloaded(hook.file) ?? await import(pathToFileURL(hook.file).href)"],
  [/hookContent = require\(hook\.file\)/, "hookContent = __binshipAutoloaded(hook.file) ?? require(hook.file)"],
];

/** The module files of autoload folders, sorted. */
export function autoloadFiles(dirs: string[]): string[] {
  const files = dirs.flatMap((d) => globFiles(d, (p) => p.endsWith(`${sep}node_modules`)).filter((f) => script.test(f.slice(f.lastIndexOf(sep) + 1))));
  return [...new Set(files)].sort();
}

export function autoloadPlugin(files: string[], cwd: string, root: string, warnings: Diagnostic[]): Plugin {
  return {
    name: "binship-autoload",
    setup(build) {
      build.onLoad({ filter: /[\\/]@fastify[\\/]autoload[\\/]index\.js$/ }, (args) => {
        let source = readFileSync(args.path, "utf8");
        const missing = loads.filter(([re]) => !re.test(source));
        if (missing.length === loads.length) {
          warnings.push({ text: "this @fastify/autoload loads its files in a way binship does not know: its folders are shipped, but their modules load from disk at run time (TypeScript sources, and nothing but built-ins in a single executable, fail)", file: args.path, hint: "Use @fastify/autoload 6, or register the plugins with explicit imports." });
          return undefined;
        }
        for (const [re, to] of loads) source = source.replace(re, to);
        const entries = files.flatMap((f) => {
          const name = artifactName(f, cwd, root);
          return name ? [`[${rootVariable} + ${JSON.stringify(`/${name}`)}, () => require(${JSON.stringify(f)})]`] : [];
        });
        // Lazy: a module is evaluated when autoload asks for it, as it would load it.
        const table = `var __binshipAutoloadTable = new Map([${entries.join(", ")}]);function __binshipAutoloaded(file) { const load = __binshipAutoloadTable.get(file); return load ? load() : undefined; }`;
        return { contents: `${source}\n${table}\n`, loader: "js" };
      });
    },
  };
}
