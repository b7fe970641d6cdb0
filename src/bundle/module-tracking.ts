// Module tracking for a snapshot build (runtime/snapshot.ts, README "Start-up: a startup
// snapshot"). esbuild gives every module of the service's graph a lazy initialiser: `__esm` for an
// ES module, `__commonJS` for a CommonJS one (the entry shim requires the service, so the whole
// graph is deferred). A snapshot build needs each module's initialiser by its path, to evaluate at
// build time only the modules that are safe there and leave the rest to the start.
//
// The helpers are esbuild's, printed at the top of the bundle. Their definitions are renamed (to a
// name of the same length, so no column moves and the source map stays true), and function
// declarations under the old names are appended at the end: hoisted, they are what every
// `var init_x = __esm({...})` calls, and each wraps the original initialiser in one that a snapshot
// build can watch. After the build (and in every start) the wrapper only forwards.

import { BinshipError } from "../errors.js";

/** The global the wrappers register in; runtime/snapshot.ts reads it. */
export const registryKey = "binship.snapshot.modules";

const helpers = [
  { name: "__esm", renamed: "__esD" },
  { name: "__commonJS", renamed: "__commonJZ" },
] as const;

const tracker = [
  "",
  `function __binshipTracked(wrapper, init) {`,
  `  var name = Object.keys(wrapper)[0], t = globalThis[Symbol.for(${JSON.stringify(registryKey)})] ??= { inits: new Map(), hook: undefined };`,
  `  t.inits.set(name, init);`,
  `  return function () { return t.hook ? t.hook(name, init) : init(); };`,
  `}`,
].join("\n");

/** The bundle with its module initialisers tracked; unchanged when esbuild printed none. */
export function withModuleTracking(js: string): string {
  let out = js;
  const appended: string[] = [];
  for (const { name, renamed } of helpers) {
    const definition = new RegExp(`\\bvar ${name}( ?)=( ?)\\(`, "g");
    const found = [...out.matchAll(definition)];
    if (found.length === 0) continue;
    if (found.length > 1 || out.includes(renamed)) {
      throw new BinshipError("BUNDLE_FAILED", `internal error: esbuild's ${name} helper is not printed as this binship expects (${found.length} definitions)`, {
        hint: "Build without --snapshot, and report this to binship with the esbuild version.",
      });
    }
    out = out.replace(definition, (_, a: string, b: string) => `var ${renamed}${a}=${b}(`);
    appended.push(`function ${name}(a, b, c) { return __binshipTracked(a, ${renamed}(a, b, c)); }`);
  }
  if (appended.length === 0) return js;
  // Before a trailing source map comment, which tools look for on the last line.
  const tail = /\n\/\/# sourceMappingURL=[^\n]*\n?$/.exec(out);
  const at = tail ? tail.index : out.length;
  const code = `${tracker}\n${appended.join("\n")}\n`;
  return `${out.slice(0, at)}${code}${out.slice(at)}`;
}
