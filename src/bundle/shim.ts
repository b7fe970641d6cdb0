// The generated entry module: it is what esbuild bundles, and it requires the user's module
// lazily (esbuild turns the require of an ES module into a deferred init), so the runtime is
// set up before any user code runs and can report a load failure to Lambda's init/error.

import type { RuntimeOptions } from "../runtime/options.js";

export const shimNamespace = "binship-shim";
export const shimPath = "binship:entry";

export function shimSource(entry: string, runtimeEntry: string, options: Partial<RuntimeOptions>, withSourceMap: boolean): string {
  const sourceMap = withSourceMap ? ", sourceMap: { payload: globalThis.__binshipSourceMap, file: __filename }" : "";
  return [
    `import { start } from ${JSON.stringify(runtimeEntry)};`,
    `start(() => require(${JSON.stringify(entry)}), { ...${JSON.stringify(options)}${sourceMap} });`,
    "",
  ].join("\n");
}
