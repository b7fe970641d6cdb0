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

describe("a generated folder without package.json (Prisma's .prisma/client)", () => {
  const gen = tempDir("binship-packages-gen-");
  afterAll(() => rmSync(gen, { recursive: true, force: true }));
  const put = (path: string, text: string) => {
    mkdirSync(join(gen, path, ".."), { recursive: true });
    writeFileSync(join(gen, path), text);
  };
  put("package.json", JSON.stringify({ name: "orders", version: "1.0.0", dependencies: { "@prisma/client": "6.1.0" } }));
  put("package-lock.json", JSON.stringify({ lockfileVersion: 3, packages: { "": { name: "orders" }, "node_modules/@prisma/client": { version: "6.1.0", integrity: "sha512-cHJpc21h" } } }));
  // The shape Prisma 6 installs: @prisma/client re-exports the client generated into
  // node_modules/.prisma/client, a folder with no package.json of its own.
  put("node_modules/@prisma/client/package.json", JSON.stringify({ name: "@prisma/client", version: "6.1.0", license: "Apache-2.0", main: "index.js" }));
  put("node_modules/@prisma/client/index.js", "module.exports = { ...require('.prisma/client/default') };\n");
  put("node_modules/.prisma/client/default.js", "module.exports = { ...require('./index.js') };\n");
  put("node_modules/.prisma/client/index.js", `exports.PrismaClient = class PrismaClient { models() { return ${JSON.stringify("x".repeat(4000))}; } };\n`);
  put("src/index.ts", "import { PrismaClient } from '@prisma/client';\nexport const handler = async () => new PrismaClient().models().length;\n");

  it("counts the generated client's bytes as @prisma/client's, not as the service's own code", async () => {
    const result = await bundle(resolveBundleOptions({ entry: "src/index.ts", node: "24", minify: true }, gen, join(gen, "dist", "app.cjs")));
    expect(Object.keys(result.contents.sources)).toEqual(["src/index.ts"]);
    const prisma = result.contents.packages.find((p) => p.name === "@prisma/client");
    expect(prisma).toMatchObject({ version: "6.1.0", path: "node_modules/@prisma/client", integrity: "sha512-cHJpc21h" });
    expect(Object.keys(prisma!.files).sort()).toEqual(["index.js", "node_modules/.prisma/client/default.js", "node_modules/.prisma/client/index.js"]);
    expect(prisma!.files["node_modules/.prisma/client/index.js"]).toBeGreaterThan(4000);
    expect(prisma!.bytes).toBe(Object.values(prisma!.files).reduce((n, b) => n + b, 0));
  });
});
