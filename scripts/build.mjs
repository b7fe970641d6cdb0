// Compiles the CLI and the API to lib/ (never dist/: that is where users' artifacts go, and a
// clone's Quick start writes there), their type declarations to lib/types/, and the config's
// JSON Schema to schema.json. The runtime is not compiled here: every user bundle compiles
// src/runtime/ itself, so it ships as TypeScript.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
rmSync(new URL("../lib", import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: "src/cli.ts", index: "src/index.ts" },
  outdir: "lib",
  absWorkingDir: root,
  bundle: true,
  splitting: true, // one copy of BinshipError and the rest for the CLI and the API
  chunkNames: "chunks/[name]-[hash]",
  platform: "node",
  format: "esm",
  target: "node22",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning",
});
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", "tsconfig.types.json"], { cwd: root, stdio: "inherit" });
const { configJsonSchema } = await import(new URL("../lib/index.js", import.meta.url).href);
writeFileSync(new URL("../schema.json", import.meta.url), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
