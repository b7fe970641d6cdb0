// The source map travels inside the bundle (a single executable has no file beside it to
// read), as a global the runtime's stack formatter reads lazily (src/runtime/source-map.ts).

import { relative, resolve } from "node:path";
import { runtimeNamespace } from "./runtime-source.js";
import { shimNamespace } from "./shim.js";

/** `js` with `mapText` (esbuild's external map, written for `mapDir`) prepended as a global; sources relative to `root`. */
export function embedSourceMap(js: string, mapText: string, root: string, mapDir: string): string {
  const map = JSON.parse(mapText) as { mappings: string; sources: string[] };
  // One line is prepended, so every mapping moves down one generated line (a leading ';').
  map.mappings = `;${map.mappings}`;
  // Stack traces name sources relative to the project (src/index.ts:3:9), as the developer
  // sees them, wherever the bundle ends up (the map's own location is meaningless there).
  // binship's own modules keep their namespace (binship-runtime:fetch/undici.ts).
  const generated = (s: string) => s.startsWith(`${shimNamespace}:`) || s.startsWith(`${runtimeNamespace}:`);
  map.sources = map.sources.map((s) => (generated(s) ? s : relative(root, resolve(mapDir, s))));
  return `globalThis.__binshipSourceMap = ${JSON.stringify(map)};\n${js.replace(/\n\/\/# sourceMappingURL=.*\n?$/, "\n")}`;
}
