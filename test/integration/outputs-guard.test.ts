// Every output flag of every command goes through one guard (issue 21). The flags are read from
// each command's own --help, so a new output flag that the guard does not cover fails here: it
// is pointed at a source only the bundle knows it reads (src/lib.ts), at a symlink to that
// source, at a directory holding sources, and into binship's cache. Each must exit 2, name the
// flag, and leave every file of the project (and the cache) as it was.

import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../helpers/cli.js";

const commands = [["build"], ["bundle"], ["pack", "lambda"], ["pack", "container"]];
// Flags that take a path the command reads, never writes; any other <file>/<dir> flag is an output.
const inputFlags = new Set(["--executable", "--sysroot", "--node-binary", "--generator-node"]);

let project: string;
let cache: string;
const helpOf = new Map<string, { flag: string; dir: boolean }[]>();

function makeProject(): string {
  const dir = tempDir("binship-guard-");
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src/index.ts"), 'import { greet } from "./lib.js";\nexport default { fetch: () => new Response(greet()) };\n');
  writeFileSync(join(dir, "src/lib.ts"), 'export const greet = () => "hello";\n');
  writeFileSync(join(dir, "package.json"), '{ "name": "svc", "private": true }\n');
  writeFileSync(join(dir, "package-lock.json"), '{ "name": "svc", "lockfileVersion": 3, "packages": { "": { "name": "svc" } } }\n');
  writeFileSync(join(dir, "binship.config.json"), '{ "entry": "src/index.ts" }\n');
  symlinkSync("src/lib.ts", join(dir, "link-lib.ts"));
  return dir;
}

function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), `${prefix}${e.name}/`);
      else out[`${prefix}${e.name}`] = e.isSymbolicLink() ? "link" : readFileSync(join(dir, e.name), "latin1");
    }
  };
  walk(root, "");
  return out;
}

const run = (args: string[]) => runCli(args, { cwd: project, env: { BINSHIP_CACHE_DIR: cache } });

beforeAll(async () => {
  project = makeProject();
  cache = tempDir("binship-guard-cache-");
  mkdirSync(join(cache, "node"), { recursive: true });
  writeFileSync(join(cache, "node", "node-stripped"), "cached bytes\n");
  for (const cmd of commands) {
    const { stdout, code } = await run([...cmd, "--help"]);
    expect(code).toBe(0);
    const flags = [...stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+) <(file|dir)>/gm)]
      .map((m) => ({ flag: m[1]!, dir: m[2] === "dir" }))
      .filter((f) => !inputFlags.has(f.flag));
    helpOf.set(cmd.join(" "), flags);
  }
});

describe("the output flags are found in --help", () => {
  it("each command has the outputs users know of", () => {
    const names = (cmd: string) => helpOf.get(cmd)!.map((f) => f.flag).sort();
    expect(names("build")).toEqual(["--depfile", "--metafile", "--outfile", "--report", "--sbom"]);
    expect(names("bundle")).toEqual(["--depfile", "--metafile", "--outfile"]);
    expect(names("pack lambda")).toEqual(["--depfile", "--metafile", "--outfile", "--report", "--sbom"]);
    expect(names("pack container")).toEqual(["--depfile", "--oci-layout", "--outfile", "--report", "--sbom", "--tarball"]);
  });
});

for (const cmd of commands) {
  const name = cmd.join(" ");
  describe(`${name}: no output flag may touch an input or the cache`, () => {
    // The targets each output flag is pointed at; a directory output is also pointed at src/.
    const targets = (dir: boolean) => [
      { what: "a source only the bundle reads", path: dir ? "src" : "src/lib.ts", message: dir ? /would replace a directory holding an input/ : /would overwrite an input/ },
      ...(dir ? [] : [{ what: "a symlink to a source", path: "link-lib.ts", message: /would overwrite an input/ }]),
      ...(dir ? [] : [{ what: "the lockfile", path: "package-lock.json", message: /would overwrite an input/ }]),
      { what: "a file in binship's cache", path: "CACHE/node/node-stripped", message: /is inside binship's cache/ },
    ];
    it("every output flag is refused with exit 2, and nothing changes", async () => {
      const flags = helpOf.get(name)!;
      expect(flags.length).toBeGreaterThan(0);
      for (const { flag, dir } of flags) {
        for (const t of targets(dir)) {
          const before = snapshot(project);
          const cached = snapshot(cache);
          const zipOut = name === "pack lambda" && flag === "--outfile";
          const path = (zipOut && t.path.startsWith("CACHE") ? "CACHE/node/lambda.zip" : t.path).replace("CACHE", cache);
          // Outputs other than -o keep -o away from the project's root (pack container replaces it as a whole).
          const args = [...cmd, ...(name === "bundle" ? [] : ["--arch", "x64"]), flag, path, ...(flag === "--outfile" ? [] : ["-o", name === "pack container" ? "dist/container" : name === "pack lambda" ? "dist/fn.zip" : "dist/out"])];
          const r = await run(args);
          // A zip's -o is refused for its name first (a source is no .zip): refused all the same.
          const message = zipOut && !t.path.startsWith("CACHE") ? /the output of pack lambda is a zip file/ : t.message;
          expect({ args, code: r.code, refused: message.test(r.stderr) }, `${t.what}: ${r.stderr}`).toEqual({ args, code: 2, refused: true });
          expect(r.stderr).toContain(flag === "--outfile" ? "-o" : flag);
          expect(snapshot(project)).toEqual(before);
          expect(snapshot(cache)).toEqual(cached);
        }
      }
    }, 300_000);
  });
}
