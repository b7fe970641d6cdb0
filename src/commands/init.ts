// binship init [entry]: a config file and a Makefile snippet for the project in the current
// directory. The entry comes from the argument, else package.json, else the usual places. An
// existing file is never overwritten: it is kept and named.

import { existsSync, statSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { BinshipError } from "../errors.js";
import type { CommandContext, CommandOutput } from "./context.js";

export interface InitResult {
  entry: string; // relative to the project
  written: string[]; // absolute paths of the files written
  kept: string[]; // absolute paths that existed and were left alone
}

const conventional = ["src/index.ts", "src/main.ts", "src/server.ts", "src/app.ts", "src/handler.ts", "index.ts", "main.ts", "server.ts", "app.ts"];

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

/** A source for a compiled path: dist/server.js -> src/server.ts. */
function sourceOf(path: string): string[] {
  const bare = path.replace(/^\.\//, "").replace(/\.(c|m)?js$/, "");
  const inner = bare.replace(/^(dist|build|lib|out)\//, "");
  return [`${bare}.ts`, `src/${inner}.ts`, `${inner}.ts`, path];
}

async function detectEntry(cwd: string): Promise<string | undefined> {
  let pkg: Record<string, unknown> = {};
  try {
    pkg = JSON.parse(await readFile(join(cwd, "package.json"), "utf8")) as Record<string, unknown>;
  } catch {
    // no (readable) package.json: the usual places only
  }
  const fields = ["source", "module", "main"].map((f) => pkg[f]).filter((v): v is string => typeof v === "string");
  for (const field of fields) for (const candidate of sourceOf(field)) if (/\.(c|m)?ts$/.test(candidate) && isFile(join(cwd, candidate))) return candidate;
  return conventional.find((c) => isFile(join(cwd, c)));
}

function configText(entry: string): string {
  const config = {
    $schema: "./node_modules/binship/schema.json",
    entry,
    node: "24",
    bundle: { outfile: "dist/app.cjs", depfile: "dist/app.d" },
    build: { outfile: "dist/app", depfile: "dist/app-exe.d" },
    lambda: { outfile: "dist/lambda.zip", arch: "arm64", depfile: "dist/lambda.d" },
    container: { outfile: "dist/container", depfile: "dist/container.d" },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

// Each target is rebuilt when binship's depfile says one of its inputs changed (gcc -MD style:
// the depfile is written on the first build and included from then on).
const makefileText = `# binship targets: \`include binship.mk\` from your Makefile (written by binship init).
# Each rule reruns only when a file its depfile names changed; outputs and depfiles are set in
# binship.config.json.
BINSHIP ?= npx binship

.PHONY: bundle build lambda container
bundle: dist/app.cjs
build: dist/app
lambda: dist/lambda.zip
container: dist/container

dist/app.cjs:
\t$(BINSHIP) bundle
dist/app:
\t$(BINSHIP) build
dist/lambda.zip:
\t$(BINSHIP) pack lambda
dist/container:
\t$(BINSHIP) pack container

-include dist/app.d dist/app-exe.d dist/lambda.d dist/container.d
`;

export async function initCommand(ctx: CommandContext, entryArg: string | undefined): Promise<CommandOutput<InitResult>> {
  let entry: string | undefined;
  if (entryArg !== undefined) {
    const path = resolve(ctx.cwd, entryArg);
    if (!isFile(path)) throw new BinshipError("USAGE", `entry module not found: ${entryArg}`, { hint: "Pass the service's entry module, e.g. binship init src/server.ts." });
    entry = relative(ctx.cwd, path);
  } else {
    entry = await detectEntry(ctx.cwd);
    if (!entry) {
      throw new BinshipError("USAGE", "no entry module found: package.json names no TypeScript source, and there is no src/index.ts, src/main.ts, src/server.ts or src/app.ts", {
        hint: "Pass it: binship init src/my-service.ts",
      });
    }
  }
  const files = [
    { path: join(ctx.cwd, "binship.config.json"), text: configText(entry) },
    { path: join(ctx.cwd, "binship.mk"), text: makefileText },
  ];
  const written: string[] = [];
  const kept: string[] = [];
  for (const f of files) {
    try {
      await writeFile(f.path, f.text, { flag: "wx" }); // exclusive: a file that appears meanwhile is not overwritten either
      written.push(f.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      kept.push(f.path);
    }
  }
  const lines = [
    ...written.map((p) => `wrote ${relative(ctx.cwd, p)}`),
    ...kept.map((p) => `kept ${relative(ctx.cwd, p)} (it exists; binship init never overwrites a file)`),
    `entry: ${entry}`,
  ];
  if (written.some((p) => p.endsWith("binship.mk"))) lines.push("next: add `include binship.mk` to your Makefile, then `make lambda` or `make container`");
  return { lines, json: { entry, written, kept }, warnings: [] };
}
