// What a script or CI sees when a command cannot run: --json failures as one object on stdout
// with the exit code kept, usage errors in binship's format with a hint, a Node too old for
// binship refused by name, and pack container's depfile.

import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cacheDirFrom } from "../../src/executable/options.js";
import { silentLogger } from "../../src/log.js";
import { provisionNode, registryFromNpmConfig } from "../../src/node-dist/index.js";
import { binshipBin, repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { parseDepfile } from "../helpers/depfile.js";

const service = 'export default { fetch: () => new Response("ok") };\n';

function project(files: Record<string, string>): string {
  const dir = tempDir("binship-usage-");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

interface JsonError {
  error: { code: string; message: string; hint: string | null; diagnostics: { text: string }[]; exitCode: number };
}

describe("--json when the command fails", () => {
  it("prints one error object on stdout, every config problem in it, and keeps exit 2", async () => {
    const dir = project({ "src/index.ts": service, "binship.config.json": JSON.stringify({ entry: "src/index.ts", outfile: "dist/x.cjs", minfy: true }) });
    const r = await runCli(["--json", "bundle"], { cwd: dir });
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as JsonError;
    expect(out.error).toMatchObject({ code: "CONFIG_INVALID", exitCode: 2 });
    expect(out.error.message).toContain("2 problems");
    expect(out.error.diagnostics.map((d) => d.text)).toEqual([expect.stringContaining('"outfile" belongs in'), '"minfy" is not a known key']);
    expect(r.stderr).toContain("binship: error:");
  });

  it("prints the build failure's object with its diagnostics and exit 1", async () => {
    const dir = project({ "src/index.ts": "export default {\n" });
    const r = await runCli(["bundle", "src/index.ts", "-o", "dist/app.cjs", "--json"], { cwd: dir });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as JsonError;
    expect(out.error.code).toBe("BUNDLE_FAILED");
    expect(out.error.diagnostics.length).toBeGreaterThan(0);
  });

  it("prints an object for a usage error commander finds, too", async () => {
    const r = await runCli(["--json", "bundle", "--minfy"]);
    expect(r.code).toBe(2);
    expect((JSON.parse(r.stdout) as JsonError).error).toMatchObject({ code: "USAGE", message: "unknown option '--minfy'", hint: "Did you mean --minify? Run `binship bundle --help` for the usage." });
  });
});

describe("usage errors", () => {
  it.each([
    [["bundle", "--minfy"], "binship: error: unknown option '--minfy'", "hint: Did you mean --minify? Run `binship bundle --help`"],
    [["pack", "lambda", "--zip-level"], "binship: error: option '--zip-level <0-9>' argument missing", "hint: Run `binship pack lambda --help`"],
    [["pack", "lambada"], "binship: error: unknown command 'lambada'", "hint: Did you mean lambda? Run `binship pack --help`"],
    [["audit", "--help"], "binship: error: unknown command 'audit'", "hint: Commands: init, bundle, build, inspect, pack, invoke."],
  ])("%j is exit 2 in binship's format", async (args, error, hint) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(error);
    expect(r.stderr).toContain(hint);
    expect(r.stdout).not.toContain("Usage: binship [options]"); // `audit --help` is not the main help
  });

  it("a group without its command prints the group's help and exits 2", async () => {
    const r = await runCli(["pack"]);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain("lambda [options] [entry]");
  });
});

describe("the Node binship runs on", () => {
  let oldNode: string;
  beforeAll(async () => {
    const dist = await provisionNode({ spec: "20", arch: "x64", cacheDir: cacheDirFrom(process.env, repoRoot), registry: registryFromNpmConfig(process.env, repoRoot), logger: silentLogger });
    oldNode = dist.target.path;
  }, 600_000);

  it("is refused below 22, naming the version found and the fix (exit 2)", () => {
    const r = spawnSync(oldNode, [binshipBin, "--version"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^binship: error: binship needs Node 22 or later; this is Node 20\.\d+\.\d+\n {2}hint: /);
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(">=22");
  });
});

describe("pack container --depfile", () => {
  it("names every source of the recipe, the config and the lockfile, with the directory as the target", async () => {
    const dir = project({
      "src/index.ts": 'import { greet } from "./greet.js";\nexport default { fetch: () => new Response(greet()) };\n',
      "src/greet.ts": 'export const greet = () => "hi";\n',
      "package.json": JSON.stringify({ name: "svc" }),
      "package-lock.json": JSON.stringify({ name: "svc", lockfileVersion: 3, packages: { "": { name: "svc" } } }),
      "binship.config.json": JSON.stringify({ entry: "src/index.ts", container: { layout: "bundle", depfile: "dist/container.d" } }),
    });
    const r = await runCli(["pack", "container"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const dep = parseDepfile(readFileSync(join(dir, "dist", "container.d"), "utf8"));
    expect(dep.target).toBe("dist/container");
    expect(dep.deps).toEqual(expect.arrayContaining(["src/index.ts", "src/greet.ts", "binship.config.json", "package-lock.json"]));
    const clash = await runCli(["pack", "container", "--depfile", "src/greet.ts"], { cwd: dir });
    expect(clash.code).toBe(2);
    expect(readFileSync(join(dir, "src", "greet.ts"), "utf8")).toContain("hi");
  });
});
