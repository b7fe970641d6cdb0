// bundle/module-tracking.ts: esbuild's module initialisers, tracked by name, with no column of
// the bundle moved (the source map stays true) and the same results as untracked.

import { runInNewContext } from "node:vm";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { registryKey, withModuleTracking } from "../../src/bundle/module-tracking.js";

async function bundleText(minify: boolean): Promise<string> {
  const r = await build({
    stdin: { contents: 'const a = require("./a.cjs"); import("./b.mjs"); module.exports = a;', resolveDir: "/virtual", sourcefile: "entry.cjs" },
    bundle: true, write: false, format: "cjs", platform: "node", minifyWhitespace: minify, logLevel: "silent",
    plugins: [{ name: "v", setup(b) {
      b.onResolve({ filter: /^\.\/[ab]/ }, (args) => ({ path: args.path, namespace: "v" }));
      b.onLoad({ filter: /a\.cjs$/, namespace: "v" }, () => ({ contents: "module.exports = { a: 1 };", loader: "js" }));
      b.onLoad({ filter: /b\.mjs$/, namespace: "v" }, () => ({ contents: "export const b = 2;", loader: "js" }));
    } }],
  });
  return r.outputFiles[0]!.text;
}

describe("withModuleTracking", () => {
  for (const minify of [false, true]) {
    it(`registers each initialiser by its module path, keeping every line's length up to the end${minify ? " (minified)" : ""}`, async () => {
      const js = await bundleText(minify);
      const tracked = withModuleTracking(js);
      const lines = js.split("\n");
      expect(tracked.split("\n").slice(0, lines.length - 1)).toEqual(lines.slice(0, -1).map((l) => l.replace("var __esm", "var __esD").replace("var __commonJS", "var __commonJZ")));
      const sandbox: Record<string, unknown> = { module: { exports: {} }, require };
      const registry = runInNewContext(`(function (module) {${tracked}\n})(module); globalThis[Symbol.for(${JSON.stringify(registryKey)})]`, sandbox) as { inits: Map<string, unknown> };
      expect(JSON.stringify((sandbox.module as { exports: unknown }).exports)).toBe('{"a":1}');
      expect([...registry.inits.keys()].sort()).toEqual(["v:./a.cjs", "v:./b.mjs"]);
    });
  }

  it("leaves a bundle without initialisers unchanged", () => {
    expect(withModuleTracking("console.log(1);\n")).toBe("console.log(1);\n");
  });
});
