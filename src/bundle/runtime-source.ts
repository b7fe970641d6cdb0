// binship's runtime enters the bundle from a namespace of its own ("binship-runtime:index.ts")
// instead of by its path on disk. esbuild names modules in the output (module keys of lazily
// loaded modules, `// file` markers, source map sources) by their path relative to the working
// directory: for the runtime that path says where binship is installed (a checkout, an npx
// cache), so two machines would bundle the same project into different bytes.

import { readFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { Plugin } from "esbuild";
import { packageRoot } from "../paths.js";

export const runtimeNamespace = "binship-runtime";
const prefix = `${runtimeNamespace}:`;

/** The runtime's sources on disk. */
export const runtimeDir = (): string => join(packageRoot(), "src", "runtime");

/** An import of a runtime module by its path inside src/runtime, e.g. "fetch/globals.ts". */
export const runtimeSpecifier = (inner: string): string => prefix + inner;

/** A metafile input of the runtime namespace -> the file on disk; undefined for any other input. */
export function runtimeFile(input: string): string | undefined {
  return input.startsWith(prefix) ? join(runtimeDir(), input.slice(prefix.length)) : undefined;
}

export function runtimeSourcePlugin(): Plugin {
  return {
    name: "binship-runtime",
    setup(b) {
      const dir = runtimeDir();
      b.onResolve({ filter: new RegExp(`^${prefix}`) }, (args) => {
        const inner = args.path.slice(prefix.length);
        // Only the runtime's own files: an import spelled this way elsewhere cannot reach outside it.
        if (!join(dir, inner).startsWith(dir + sep)) return { errors: [{ text: `"${args.path}" is not a file of binship's runtime` }] };
        return { path: inner, namespace: runtimeNamespace };
      });
      // The runtime's relative imports ("./fetch/undici.js" for a .ts file) resolve as usual,
      // then stay in the namespace.
      b.onResolve({ filter: /^\./, namespace: runtimeNamespace }, async (args) => {
        const found = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind });
        if (found.errors.length > 0 || !found.path.startsWith(dir + sep)) return found;
        return { path: relative(dir, found.path).split(sep).join("/"), namespace: runtimeNamespace };
      });
      b.onLoad({ filter: /.*/, namespace: runtimeNamespace }, async (args) => {
        const file = join(dir, args.path);
        return { contents: await readFile(file, "utf8"), loader: "ts", resolveDir: dirname(file), watchFiles: [file] };
      });
    },
  };
}
