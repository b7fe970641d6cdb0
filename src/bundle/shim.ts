// The generated entry module: it is what esbuild bundles, and it requires (or, in an ES module
// bundle, imports) the user's module lazily (esbuild turns the require of an ES module into a deferred init), so the runtime is
// set up before any user code runs and can report a load failure to Lambda's init/error.

import { dirname, relative, sep } from "node:path";
import type { RuntimeOptions } from "../runtime/options.js";
import { loadExpression, type BundleFormat } from "./format.js";
import { runtimeSpecifier } from "./runtime-source.js";

export const shimNamespace = "binship-shim";
export const shimPath = "binship:entry";

/** A specifier for `path` as seen from `dir`, the shim's resolve dir. */
function specifier(dir: string, path: string): string {
  const rel = relative(dir, path).split(sep).join("/");
  return rel.startsWith("../") ? rel : `./${rel}`;
}

/**
 * The shim's text. The service is imported relative to the entry's directory (the shim's resolve
 * dir) and the runtime from its namespace: absolute paths would make the bundle, through the
 * source map, depend on the checkout location.
 */
export function shimSource(entry: string, options: Partial<RuntimeOptions>, withSourceMap: boolean, format: BundleFormat = "cjs", snapshot = false): string {
  const sourceMap = withSourceMap ? ", sourceMap: { payload: globalThis.__binshipSourceMap }" : "";
  const dir = dirname(entry);
  // A snapshot build's start evaluates the module at build time (runtime/snapshot.ts).
  const from = snapshot ? `{ startSnapshot as start } from ${JSON.stringify(runtimeSpecifier("snapshot.ts"))}` : `{ start } from ${JSON.stringify(runtimeSpecifier("index.ts"))}`;
  return [
    `import ${from};`,
    `start(() => ${loadExpression(format, specifier(dir, entry))}, { ...${JSON.stringify(options)}${sourceMap} });`,
    "",
  ].join("\n");
}
