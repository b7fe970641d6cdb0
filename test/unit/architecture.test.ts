// The layering docs/ARCHITECTURE.md describes, checked on the real import graph: a change that
// makes a stage call back up into a flow or a command, closes an import cycle, lets src/ import
// from test/, or lets the runtime pull in build-time code fails here.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const src = join(root, "src");

/** Layer of each top-level part of src/: a module may import only from its own layer or lower ones. */
const layers: Record<string, number> = {
  runtime: 0, // ships in every user binary; imports nothing but itself (checked separately)
  "config.ts": 0,
  "errors.ts": 0,
  "diagnostic.ts": 0,
  "log.ts": 0,
  "paths.ts": 0,
  util: 0,
  inspect: 1,
  "node-dist": 1,
  bundle: 2,
  executable: 2,
  sbom: 2,
  report: 2,
  artifacts: 3,
  invoke: 4,
  pipeline: 5,
  commands: 6,
  "cli.ts": 7,
  "index.ts": 7, // the API: the commands as functions, beside the CLI
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** Relative imports of a file, resolved to absolute .ts paths (type-only imports included: they are coupling too). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)(?:[^"';]*?from)?\s*["'](\.[^"']+)["']/g)].map((m) => m[1]!);
  return specs.map((s) => resolve(dirname(file), s.replace(/\.js$/, ".ts")));
}

const top = (file: string) => relative(src, file).split("/")[0]!;
const files = sources(src);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe("architecture", () => {
  it("knows the layer of every top-level part of src/", () => {
    expect([...new Set(files.map(top))].filter((t) => layers[t] === undefined)).toEqual([]);
  });

  it("has no import from a lower layer up to a higher one (stages never call flows or commands)", () => {
    const upward = files.flatMap((f) =>
      graph.get(f)!.filter((to) => to.startsWith(src) && layers[top(to)]! > layers[top(f)]!).map((to) => `${relative(src, f)} -> ${relative(src, to)}`),
    );
    expect(upward).toEqual([]);
  });

  it("keeps the runtime self-contained: it imports only itself and Node built-ins", () => {
    const runtime = files.filter((f) => top(f) === "runtime");
    const outside = runtime.flatMap((f) => graph.get(f)!.filter((to) => top(to) !== "runtime").map((to) => `${relative(src, f)} -> ${relative(root, to)}`));
    expect(outside).toEqual([]);
    const packages = runtime.flatMap((f) => [...readFileSync(f, "utf8").matchAll(/from\s*["']([^".][^"']*)["']/g)].map((m) => m[1]!).filter((p) => !p.startsWith("node:")));
    expect(packages).toEqual([]);
  });

  it("never imports test code from src/", () => {
    expect(files.flatMap((f) => graph.get(f)!.filter((to) => !to.startsWith(src)).map((to) => relative(root, to)))).toEqual([]);
  });

  it("has no import cycle", () => {
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "open") {
        cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(src, p)).join(" -> "));
        return;
      }
      state.set(f, "open");
      for (const to of graph.get(f) ?? []) if (graph.has(to)) visit(to, [...path, f]);
      state.set(f, "done");
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
  });
});
