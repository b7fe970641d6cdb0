// Every failure a user can cause with `binship bundle`: the exit code (2 for usage and
// configuration, 1 for the service's code), a message that names the problem and its place,
// a hint that names the fix, and no output file left behind.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "../helpers/cli.js";

/** A project dir with the given files; returns its path. */
function project(files: Record<string, string>): string {
  const dir = tempDir("binship-err-");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const service = 'export default { fetch: () => new Response("ok") };\n';

async function bundleIn(dir: string, args: string[] = ["src/index.ts"]) {
  const result = await runCli(["bundle", ...args, "-o", "dist/app.cjs"], { cwd: dir });
  expect(existsSync(join(dir, "dist")), "no output directory after a failure").toBe(false);
  expect(result.stdout).toBe("");
  return result;
}

describe("errors in the service's code exit 1", () => {
  it("a TypeScript syntax error, with esbuild's file:line:col and the line", async () => {
    const dir = project({ "src/index.ts": 'import "./util.js";\n' + service, "src/util.ts": "export const n: number = 1;\nexport function f( {\n" });
    const r = await bundleIn(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("binship: error: bundling failed with 1 error in src/util.ts:3:1");
    expect(r.stderr).toMatch(/src\/util\.ts:3:1: Expected identifier but found end of file/);
  });

  it("an import of binship's runtime namespace that leaves the runtime", async () => {
    const dir = project({ "src/index.ts": 'import "binship-runtime:../../package.json";\n' + service });
    const r = await bundleIn(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`"binship-runtime:../../package.json" is not a file of binship's runtime`);
  });

  it("a syntax error shows the offending line with a caret", async () => {
    const dir = project({ "src/index.ts": "const port: number = ;\n" + service });
    const r = await bundleIn(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('src/index.ts:1:22: Unexpected ";"');
    expect(r.stderr).toContain("    1 | const port: number = ;\n      |                      ^");
  });

  it("an import that cannot be resolved, each one named, with a hint", async () => {
    const dir = project({ "src/index.ts": 'import pad from "left-pad-not-installed";\nimport { x } from "./nowhere.js";\nconsole.log(pad, x);\n' + service });
    const r = await bundleIn(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("bundling failed with 2 errors in src/index.ts:1:17");
    expect(r.stderr).toContain('Could not resolve "left-pad-not-installed"');
    expect(r.stderr).toContain('Could not resolve "./nowhere.js"');
    expect(r.stderr).toContain("hint: Install the missing package");
  });

  it("top-level await in a build the config forces to CommonJS, naming the file, line and key", async () => {
    const dir = project({
      "binship.config.json": JSON.stringify({ format: "cjs" }),
      "src/index.ts": 'const config = await import("./config.js");\nconsole.log(config);\n' + service,
      "src/config.ts": "export const port = 1;\n",
    });
    const r = await bundleIn(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('top-level await in src/index.ts:1:16 needs an ES module bundle, but "format": "cjs" (or --format cjs) forces CommonJS');
    expect(r.stderr).toContain("src/index.ts:1:16: top-level await: CommonJS has none");
    expect(r.stderr).toContain('hint: Remove "format": "cjs" from the config');
  });

  it("a native .node addon, explaining why a single executable cannot load it and what to do", async () => {
    const dir = project({
      "src/index.ts": 'import { hash } from "fast-hash";\nconsole.log(hash);\n' + service,
      "node_modules/fast-hash/package.json": JSON.stringify({ name: "fast-hash", main: "index.js" }),
      "node_modules/fast-hash/index.js": 'module.exports = require("./build/Release/fast_hash.node");\n',
      "node_modules/fast-hash/build/Release/fast_hash.node": "\x7fELF not really",
    });
    const r = await bundleIn(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the service imports a native addon in node_modules/fast-hash/index.js:1:26");
    expect(r.stderr).toContain('"./build/Release/fast_hash.node" is a native Node addon');
    expect(r.stderr).toContain("A single executable cannot load a native .node addon");
    expect(r.stderr).toMatch(/pure-JavaScript or WebAssembly alternative/);
    expect(r.stderr).toContain("--external");
  });

  it("a package that finds its addon at run time through a loader (bindings, node-gyp-build)", async () => {
    const dir = project({
      "src/index.ts": 'import load from "node-gyp-build";\nconsole.log(load(__dirname));\n' + service,
    });
    const r = await bundleIn(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"node-gyp-build" loads a native Node addon at run time');
  });

  // Prisma <= 6's shape: @prisma/client's runtime loads libquery_engine-*.so.node from
  // node_modules/.prisma/client with process.dlopen, which no import names.
  const prismaShaped = {
    "package.json": JSON.stringify({ name: "orders", dependencies: { "@prisma/client": "6.1.0" } }),
    "node_modules/@prisma/client/package.json": JSON.stringify({ name: "@prisma/client", version: "6.1.0", main: "index.js" }),
    "node_modules/@prisma/client/index.js": "module.exports = require('./runtime/library.js');\n",
    "node_modules/@prisma/client/runtime/library.js":
      "const path = require('path');\nexports.PrismaClient = class PrismaClient {\n  constructor() { const m = { exports: {} }; process.dlopen(m, path.join(__dirname, '../../.prisma/client/libquery_engine-debian-openssl-3.0.x.so.node')); this.engine = m.exports; }\n};\n",
    "src/index.ts": 'import { PrismaClient } from "@prisma/client";\nconst db = new PrismaClient();\nexport default { fetch: () => new Response(String(db)) };\n',
  };

  it("a package that loads a native library with process.dlopen (Prisma's query engine), naming the call and Prisma's fix", async () => {
    const r = await bundleIn(project(prismaShaped));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the service loads a native library with process.dlopen() in node_modules/@prisma/client/runtime/library.js:3:");
    expect(r.stderr).toContain("libquery_engine-<platform>.so.node");
    expect(r.stderr).toContain('engineType = "client"');
  });

  it("a dlopen package marked --external is left to the user, and the bundle builds", async () => {
    const r = await runCli(["bundle", "src/index.ts", "-o", "dist/app.cjs", "--external", "@prisma/client"], { cwd: project(prismaShaped) });
    expect(r.code, r.stderr).toBe(0);
  });

  it("a native addon marked --external is left to the user, and the bundle builds", async () => {
    const dir = project({ "src/index.ts": 'import load from "bindings";\nconsole.log(load);\n' + service });
    const r = await runCli(["bundle", "src/index.ts", "-o", "dist/app.cjs", "--external", "bindings"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
  });
});

describe("usage errors exit 2", () => {
  it("a missing entry file, with its path", async () => {
    const dir = project({});
    const r = await bundleIn(dir, ["src/index.ts"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`entry module not found: ${join(dir, "src", "index.ts")}`);
    expect(r.stderr).toContain("hint:");
  });

  it("an entry that is a directory", async () => {
    const dir = project({ "src/index.ts": service });
    const r = await bundleIn(dir, ["src"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("entry module not found");
  });

  it("no entry at all", async () => {
    const r = await bundleIn(project({}), []);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no entry module given");
    expect(r.stderr).toContain('set "entry" in binship.config.json');
  });

  it("an unknown flag", async () => {
    const r = await bundleIn(project({ "src/index.ts": service }), ["src/index.ts", "--minfy"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--minfy'");
  });

  it("a --define without KEY=VALUE", async () => {
    const r = await bundleIn(project({ "src/index.ts": service }), ["src/index.ts", "--define", "STAGE"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--define takes KEY=VALUE, got "STAGE"');
  });

  it.each([
    ["STAGE=prod env", 'invalid define: the value "prod env" is neither a JavaScript literal nor a name'],
    ["1abc=1", 'invalid define: the name "1abc" is not an identifier or a.b.c'],
  ])("a --define esbuild cannot use (%s), with how to quote", async (define, message) => {
    const r = await bundleIn(project({ "src/index.ts": service }), ["src/index.ts", "--define", define]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(`--define 'process.env.STAGE="prod"'`);
  });

  it("a --node that is not a version", async () => {
    const r = await bundleIn(project({ "src/index.ts": service }), ["src/index.ts", "--node", "latest"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--node must be a version like "24", "24.21" or "24.21.0", got "latest"');
  });

  it("an output path that is a directory", async () => {
    const dir = project({ "src/index.ts": service, "out/keep": "" });
    const r = await runCli(["bundle", "src/index.ts", "-o", "out"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the output path is a directory: ${join(dir, "out")}`);
  });

  it("an output that would overwrite the entry or another source, which stays intact", async () => {
    const dir = project({ "src/index.ts": 'import "./helper.js";\n' + service, "src/helper.ts": "export {};\n" });
    const entry = await runCli(["bundle", "src/index.ts", "-o", "src/index.ts"], { cwd: dir });
    expect(entry.code).toBe(2);
    expect(entry.stderr).toContain("the output file is the entry module itself");
    const other = await runCli(["bundle", "src/index.ts", "-o", "src/helper.ts"], { cwd: dir });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("-o src/helper.ts would overwrite an input of this build (src/helper.ts)");
    expect(readFileSync(join(dir, "src", "helper.ts"), "utf8")).toBe("export {};\n");
  });

  it("an output that cannot be written is a build failure (1) with the reason, not a crash", async () => {
    const dir = project({ "src/index.ts": service, "blocker": "a file, not a directory" });
    const r = await runCli(["bundle", "src/index.ts", "-o", "blocker/app.cjs"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`binship: error: cannot write ${join(dir, "blocker", "app.cjs")}: a part of its directory path is a file`);
    expect(r.stderr).not.toContain("unexpected error");
  });

  it("an unknown command", async () => {
    const r = await runCli(["bundel"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'bundel'/);
  });
});

describe("configuration errors exit 2 and name the key", () => {
  const cases: [string, unknown, RegExp[]][] = [
    ["an unknown key, with a suggestion", { entry: "src/index.ts", minfy: false }, [/"minfy" is not a known key/, /Did you mean "minify"\?/]],
    ["a wrong type", { entry: "src/index.ts", minify: "yes" }, [/"minify" must be true or false, got "yes"/]],
    ["a value outside an enumeration, listing the accepted ones", { entry: "src/index.ts", contract: "grpc" }, [/"contract" has the value "grpc", which is not accepted/, /Accepted values: auto, fetch, listener, handler, listen\./]],
    ["a grace period out of range", { entry: "src/index.ts", shutdownGraceSeconds: -1 }, [/"shutdownGraceSeconds" must be a number of seconds from 0 to 3600, got -1/]],
    ["a probe path without a slash", { entry: "src/index.ts", livenessPath: "healthz" }, [/"livenessPath" must be a path starting with "\/", or false, got "healthz"/]],
    ["a list where a record belongs", { entry: "src/index.ts", define: ["A=1"] }, [/"define" must be an object of string values/]],
    ["a config that is not an object", ["src/index.ts"], [/the configuration must be a JSON object/]],
  ];
  it.each(cases)("%s", async (_what, config, patterns) => {
    const dir = project({ "src/index.ts": service, "binship.config.json": JSON.stringify(config) });
    const r = await bundleIn(dir, []);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(dir, "binship.config.json"));
    for (const p of patterns) expect(r.stderr).toMatch(p);
  });

  it("a config file that is not JSON", async () => {
    const dir = project({ "src/index.ts": service, "binship.config.json": '{ "entry": "src/index.ts", }' });
    const r = await bundleIn(dir, []);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("binship.config.json is not valid JSON");
  });

  it("an unknown key under \"binship\" in package.json", async () => {
    const dir = project({ "src/index.ts": service, "package.json": JSON.stringify({ name: "svc", binship: { entry: "src/index.ts", container: { port: "80" } } }) });
    const r = await bundleIn(dir, []);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('("binship" key): "container.port" must be a number, got "80"');
  });

  it("a --config file that does not exist", async () => {
    const dir = project({ "src/index.ts": service });
    const r = await runCli(["--config", "nope.json", "bundle", "src/index.ts", "-o", "dist/app.cjs"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot read config file ${join(dir, "nope.json")}`);
  });
});
