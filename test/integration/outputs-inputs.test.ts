// An output never overwrites an input: the entry, any other source the bundle read, the config
// file and package.json, for every output of every command (-o, --depfile, --metafile, the
// directory pack container replaces). Each refusal exits 2 and writes nothing; the inputs
// keep their bytes. Also here: the small config checks of issue 11 (malformed package.json,
// an unknown Node major, --metafile on pack lambda and its intermediate directory's name).

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { repoRoot, runCli, tempDir } from "../helpers/cli.js";

let project: string;
const sources = {
  "src/index.ts": 'import { greet } from "./lib.js";\nexport default { fetch: () => new Response(greet()) };\n',
  "src/lib.ts": 'export const greet = () => "hello";\n',
  "package.json": '{ "name": "svc", "private": true }\n',
  "binship.config.json": '{ "entry": "src/index.ts" }\n',
};

beforeEach(() => {
  project = tempDir("binship-outputs-");
  mkdirSync(join(project, "src"));
  for (const [name, text] of Object.entries(sources)) writeFileSync(join(project, name), text);
});

/** Every file of the project with its text: unchanged inputs and no new file. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), `${prefix}${e.name}/`);
      else out[`${prefix}${e.name}`] = readFileSync(join(dir, e.name), "latin1");
    }
  };
  walk(project, "");
  return out;
}

const run = (args: string[]) => runCli(args, { cwd: project, env: { BINSHIP_CACHE_DIR: join(project, ".no-cache") } });

describe("outputs that would destroy an input are refused with exit 2 and nothing written", () => {
  const cases: [string, string[], RegExp][] = [
    ["build -o ENTRY", ["build", "src/index.ts", "-o", "src/index.ts"], /-o src\/index\.ts would overwrite an input/],
    ["build -o another source the bundle read", ["build", "src/index.ts", "--arch", "x64", "-o", "src/lib.ts"], /-o src\/lib\.ts would overwrite an input/],
    ["build --depfile ENTRY", ["build", "--depfile", "src/index.ts"], /--depfile src\/index\.ts would overwrite/],
    ["build --metafile package.json", ["build", "--metafile", "package.json"], /--metafile package\.json would overwrite/],
    ["build -o X --depfile X", ["build", "-o", "dist/app", "--depfile", "dist/app"], /--depfile and -o name the same file/],
    ["pack lambda ENTRY --depfile ENTRY", ["pack", "lambda", "src/index.ts", "--depfile", "src/index.ts"], /--depfile src\/index\.ts would overwrite/],
    ["pack lambda --depfile another source", ["pack", "lambda", "--arch", "x64", "--depfile", "src/lib.ts"], /--depfile src\/lib\.ts would overwrite/],
    ["pack lambda --metafile the config", ["pack", "lambda", "--metafile", "binship.config.json"], /--metafile binship\.config\.json would overwrite/],
    ["pack container -o the source directory", ["pack", "container", "-o", "src"], /-o src would replace a directory holding an input/],
    ["bundle -o binship.config.json", ["bundle", "-o", "binship.config.json"], /-o binship\.config\.json would overwrite/],
    ["bundle -o package.json", ["bundle", "-o", "package.json"], /-o package\.json would overwrite/],
    ["bundle --metafile another source", ["bundle", "-o", "dist/app.cjs", "--metafile", "src/lib.ts"], /--metafile src\/lib\.ts would overwrite/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const before = snapshot();
      const r = await run(args);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
      expect(snapshot()).toEqual(before);
    });
  }

  it("a path through ../ to the entry is the entry", async () => {
    const before = snapshot();
    const r = await run(["bundle", "-o", "src/../src/./index.ts"]);
    expect(r.code).toBe(2);
    expect(snapshot()).toEqual(before);
  });
});

describe("configuration problems", () => {
  it("a malformed package.json is a configuration error (exit 2) naming the file", async () => {
    writeFileSync(join(project, "package.json"), '{ "name": "svc", }\n');
    rmSync(join(project, "binship.config.json")); // package.json is where the config would be
    const r2 = await run(["bundle", "src/index.ts", "-o", "dist/app.cjs"]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/package\.json is not valid JSON/);
  });

  it("bundle --node 99 warns that no such Node release is known", async () => {
    const r = await run(["bundle", "-o", "dist/app.cjs", "--node", "99"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: Node 99 is not a Node release binship knows \(the newest is \d+\)/);
    const ok = await run(["bundle", "-o", "dist/app.cjs", "--node", "24"]);
    expect(ok.stderr).not.toMatch(/warning/);
  });
});

describe("pack lambda takes --metafile, and keeps its intermediate files where the README says", () => {
  it("writes the metafile, builds the executable in the cache and keeps only the zip's digest in dist/.lambda.binship/", async () => {
    rmBinshipConfig();
    const r = await run(["pack", "lambda", "src/index.ts", "--arch", "x64", "--metafile", "dist/meta.json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const meta = JSON.parse(readFileSync(join(project, "dist", "meta.json"), "utf8")) as { inputs: Record<string, unknown> };
    expect(Object.keys(meta.inputs)).toContain("src/lib.ts");
    expect(readdirSync(join(project, "dist")).sort()).toEqual([".lambda.binship", "lambda.zip", "meta.json"]);
    expect(readdirSync(join(project, "dist", ".lambda.binship"))).toEqual(["zip-stamp.json"]);
    const builds = join(project, ".no-cache", "lambda-builds");
    expect(readdirSync(builds).some((d) => existsSync(join(builds, d, "app-x64")))).toBe(true);
    expect(readFileSync(join(repoRoot, "README.md"), "utf8")).toContain("`dist/.lambda.binship/`");
  }, 300_000);
});

function rmBinshipConfig() {
  writeFileSync(join(project, "binship.config.json"), "{}\n");
}
