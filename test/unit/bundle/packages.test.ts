// The bundle stage attributes its output to npm packages from esbuild's metafile: a package
// whose code is tree-shaken away is read by esbuild but contributes no bytes, so it is not
// part of the bundle's package list (and so not of the build info or the SBOM); a package that
// is only a devDependency of the project never appears at all.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundle, resolveBundleOptions } from "../../../src/bundle/index.js";
import { tempDir } from "../../helpers/cli.js";

const project = tempDir("binship-packages-");
afterAll(() => rmSync(project, { recursive: true, force: true }));

function write(path: string, text: string) {
  mkdirSync(join(project, path, ".."), { recursive: true });
  writeFileSync(join(project, path), text);
}

write("package.json", JSON.stringify({ name: "svc", version: "1.2.3", dependencies: { used: "1.0.0", "@scope/lib": "2.0.0", shaken: "3.0.0" }, devDependencies: { devonly: "4.0.0" } }));
write(
  "package-lock.json",
  JSON.stringify({
    lockfileVersion: 3,
    packages: {
      "": { name: "svc" },
      "node_modules/used": { version: "1.0.0", integrity: "sha512-dXNlZA==" },
      "node_modules/@scope/lib": { version: "2.0.0", integrity: "sha512-bGli" },
      "node_modules/shaken": { version: "3.0.0" },
      "node_modules/devonly": { version: "4.0.0", dev: true },
    },
  }),
);
write("node_modules/used/package.json", JSON.stringify({ name: "used", version: "1.0.0", license: "MIT", main: "index.js" }));
write("node_modules/used/index.js", "exports.greet = (n) => 'hello ' + n;\n");
write("node_modules/@scope/lib/package.json", JSON.stringify({ name: "@scope/lib", version: "2.0.0", license: { type: "ISC" }, main: "lib.js" }));
write("node_modules/@scope/lib/lib.js", "module.exports = function twice(s) { return s + s; };\n");
// ES module with no side effects: importing one unused export lets esbuild drop the file.
write("node_modules/shaken/package.json", JSON.stringify({ name: "shaken", version: "3.0.0", license: "Apache-2.0", sideEffects: false, module: "index.mjs", main: "index.mjs" }));
write("node_modules/shaken/index.mjs", "export const unused = () => 'never in the bundle';\n");
write("node_modules/devonly/package.json", JSON.stringify({ name: "devonly", version: "4.0.0", main: "index.js" }));
write("node_modules/devonly/index.js", "module.exports = 1;\n");
write(
  "src/index.ts",
  "import { greet } from 'used';\nimport twice from '@scope/lib';\nimport { unused } from 'shaken';\nvoid unused;\nexport const handler = async () => twice(greet('x'));\n",
);

describe("the bundle's package list", () => {
  it("lists each package that contributed bytes, with version, licence, path and lockfile integrity; not tree-shaken ones", async () => {
    const result = await bundle(resolveBundleOptions({ entry: "src/index.ts", node: "24", minify: true }, project, join(project, "dist", "app.cjs")));
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain("node_modules/shaken/index.mjs"); // esbuild read it ...
    const names = result.contents.packages.map((p) => p.name);
    expect(names).toEqual(["@scope/lib", "used"]); // ... and dropped it; devonly was never read
    expect(result.contents.packages[1]).toMatchObject({ name: "used", version: "1.0.0", license: "MIT", path: "node_modules/used", integrity: "sha512-dXNlZA==" });
    expect(result.contents.packages[0]).toMatchObject({ license: "ISC", path: "node_modules/@scope/lib" });
    expect(result.contents.packages[1]!.files["index.js"]).toBe(result.contents.packages[1]!.bytes);
    expect(Object.keys(result.contents.sources)).toEqual(["src/index.ts"]);
    expect(result.contents.runtimeBytes).toBeGreaterThan(1000); // binship's runtime is in every bundle
    expect(result.contents.app).toEqual({ name: "svc", version: "1.2.3" });
    // Every byte of the output is attributed somewhere, or to esbuild's own glue.
    const attributed = result.contents.packages.reduce((n, p) => n + p.bytes, 0) + Object.values(result.contents.sources).reduce((n, b) => n + b, 0) + result.contents.runtimeBytes;
    expect(attributed).toBeLessThanOrEqual(result.bytes);
  });
});
