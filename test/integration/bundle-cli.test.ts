// `binship bundle` as a user runs it: what it prints (--json, --quiet), --version and --help,
// and what each bundle flag does to the program that comes out.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { appsDir, repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { startService, type Service } from "../helpers/process.js";

let svc: Service | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;

/** A tiny project whose error route throws on a known line of src/index.ts. */
function project(): string {
  const dir = tempDir("binship-cli-");
  mkdirSync(join(dir, "src"));
  writeFileSync(
    join(dir, "src", "index.ts"),
    [
      "declare const STAGE: string;", // line 1
      "function explode(): never {", // line 2
      '  throw new Error("exploded on purpose");', // line 3, column 9 is "new"
      "}",
      "export default {",
      "  fetch(request: Request): Response {",
      "    const path = new URL(request.url).pathname;",
      '    if (path === "/boom") explode();',
      '    if (path === "/stage") return new Response(typeof STAGE === "undefined" ? "unset" : STAGE);',
      '    return new Response("ok");',
      "  },",
      "};",
      "export const region = process.env.REGION;", // after the lines the stack tests look at
      "",
    ].join("\n"),
  );
  return dir;
}

describe("output", () => {
  const dir = project();

  it("prints one line per artifact on stdout, nothing on stderr", async () => {
    const r = await runCli(["bundle", "src/index.ts", "-o", "dist/app.cjs"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^dist\/app\.cjs {2}\d+(\.\d)? KiB {2}sha256:[0-9a-f]{12}\n$/);
    expect(r.stderr).toBe("");
  });

  it("--json prints exactly one JSON object on stdout", async () => {
    const r = await runCli(["--json", "bundle", "src/index.ts", "-o", "dist/json.cjs"], { cwd: dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ path: join(dir, "dist", "json.cjs"), changed: true, node: 24 });
    expect(out.bytes).toBe(readFileSync(join(dir, "dist", "json.cjs")).length);
    expect(out.inputs).toContain(join(dir, "src", "index.ts"));
    expect(r.stdout.trim().startsWith("{") && r.stdout.trim().endsWith("}")).toBe(true);
  });

  it("takes global flags after the command too", async () => {
    const r = await runCli(["bundle", "src/index.ts", "-o", "dist/after.cjs", "--json"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ path: join(dir, "dist", "after.cjs") });
  });

  it("--verbose logs where the config came from, on stderr", async () => {
    const cfgDir = project();
    writeFileSync(join(cfgDir, "binship.config.json"), JSON.stringify({ entry: "src/index.ts" }));
    const r = await runCli(["--verbose", "bundle", "-o", "dist/v.cjs"], { cwd: cfgDir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`config: ${join(cfgDir, "binship.config.json")}`);
    expect(r.stdout).not.toContain("config:");
  });

  it("--quiet prints nothing on success", async () => {
    const r = await runCli(["--quiet", "bundle", "src/index.ts", "-o", "dist/quiet.cjs"], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(existsSync(join(dir, "dist", "quiet.cjs"))).toBe(true);
  });

  it("--quiet still prints errors", async () => {
    const r = await runCli(["--quiet", "bundle", "src/missing.ts"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("entry module not found");
  });

  it("--version prints the package version", async () => {
    const r = await runCli(["--version"]);
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it("--help lists the commands, and each one listed has working help", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Exit codes: 0 ok, 1 build failed, 2 usage or configuration error.");
    const commands = [...r.stdout.split("Commands:")[1]!.split("\n\n")[0]!.matchAll(/^ {2}([a-z-]+)( [a-z]+)?/gm)].map((m) => m[1]!).filter((c) => c !== "help");
    expect(commands).toContain("bundle");
    for (const c of commands) {
      const help = await runCli([c, "--help"]);
      expect(help.code, `binship ${c} --help`).toBe(0);
    }
    const bundleHelp = await runCli(["bundle", "--help"]);
    for (const flag of ["--outfile", "--node", "--no-minify", "--sourcemap", "--define", "--external", "--metafile", "--depfile"]) {
      expect(bundleHelp.stdout).toContain(flag);
    }
  });

  it("lets flags win over the config file", async () => {
    const cfgDir = project();
    writeFileSync(
      join(cfgDir, "binship.config.json"),
      JSON.stringify({ entry: "src/index.ts", bundle: { outfile: "build/svc.cjs" }, minify: false, define: { STAGE: '"from-config"', "process.env.REGION": '"eu-west-1"' } }),
    );
    const r = await runCli(["--json", "bundle", "-o", "flagged.cjs", "--minify", "--define", 'STAGE="from-flag"'], { cwd: cfgDir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ path: join(cfgDir, "flagged.cjs") });
    expect(existsSync(join(cfgDir, "build"))).toBe(false);
    const code = readFileSync(join(cfgDir, "flagged.cjs"), "utf8");
    expect(code).not.toContain("// src/index.ts"); // minified, as the flag says
    expect(code).toContain("from-flag");
    expect(code).not.toContain("from-config");
    expect(code).toContain("eu-west-1"); // the file's other define stays
  });

  it("takes the entry and the outfile from the config when not given", async () => {
    const cfgDir = project();
    writeFileSync(join(cfgDir, "binship.config.json"), JSON.stringify({ entry: "src/index.ts", bundle: { outfile: "build/svc.cjs" } }));
    const r = await runCli(["bundle"], { cwd: cfgDir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^build\/svc\.cjs /);
  });
});

describe("flags", () => {
  const dir = project();
  beforeAll(() => writeFileSync(join(dir, "src", "uses-dep.ts"), 'import pad from "left-pad-not-installed";\nexport default { fetch: () => new Response(pad("x", 3)) };\n'));

  it("--define replaces an expression at build time", async () => {
    const r = await runCli(["bundle", "src/index.ts", "-o", "dist/defined.cjs", "--define", 'STAGE="prod"'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    svc = await startService(process.execPath, [join(dir, "dist", "defined.cjs")]);
    expect((await httpRequest(`${svc.url}/stage`)).body.toString()).toBe("prod");
  });

  it("--external leaves the module as a run-time require()", async () => {
    const r = await runCli(["bundle", "src/uses-dep.ts", "-o", "dist/ext.cjs", "--external", "left-pad-not-installed", "--no-minify"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, "dist", "ext.cjs"), "utf8")).toContain('require("left-pad-not-installed")');
  });

  it("--no-minify keeps readable code, the default minifies", async () => {
    await runCli(["bundle", "src/index.ts", "-o", "dist/min.cjs"], { cwd: dir });
    await runCli(["bundle", "src/index.ts", "-o", "dist/nomin.cjs", "--no-minify"], { cwd: dir });
    const min = readFileSync(join(dir, "dist", "min.cjs"), "utf8");
    const plain = readFileSync(join(dir, "dist", "nomin.cjs"), "utf8");
    expect(plain).toContain("function explode()");
    expect(plain).toContain("// src/index.ts");
    expect(min).not.toContain("// src/index.ts");
    expect(min.length).toBeLessThan(plain.length * 0.8);
  });

  it("--node sets the target major, reported in --json; below 18 is refused", async () => {
    const ok = await runCli(["--json", "bundle", "src/index.ts", "-o", "dist/n20.cjs", "--node", "20.19"], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ node: 20 });
    const old = await runCli(["bundle", "src/index.ts", "-o", "dist/n16.cjs", "--node", "16"], { cwd: dir });
    expect(old.code).toBe(2);
    expect(old.stderr).toContain('"node" must be 18 or later');
    expect(existsSync(join(dir, "dist", "n16.cjs"))).toBe(false);
  });

  it("--metafile writes esbuild's metafile naming the inputs", async () => {
    const r = await runCli(["bundle", "src/index.ts", "-o", "dist/meta.cjs", "--metafile", "dist/meta.json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const meta = JSON.parse(readFileSync(join(dir, "dist", "meta.json"), "utf8")) as { inputs: Record<string, unknown>; outputs: Record<string, unknown> };
    expect(Object.keys(meta.inputs)).toContain("src/index.ts");
    expect(Object.keys(meta.outputs)).toContain("dist/meta.cjs");
  });

  it("--sourcemap: a thrown error's stack points at the TypeScript file and line", async () => {
    const r = await runCli(["bundle", "src/index.ts", "-o", "dist/mapped.cjs", "--sourcemap"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    svc = await startService(process.execPath, [join(dir, "dist", "mapped.cjs")]);
    expect((await httpRequest(`${svc.url}/boom`)).status).toBe(500);
    const stack = svc.output();
    expect(stack).toContain("Error: exploded on purpose");
    expect(stack).toMatch(/^ {4}at .*src\/index\.ts:3:9\)?$/m);
    expect(stack).toMatch(/^ {4}at .*src\/index\.ts:8:\d+\)?$/m);
    expect(stack).not.toContain("mapped.cjs");
  });

  it("without --sourcemap the stack points into the bundle", async () => {
    await runCli(["bundle", "src/index.ts", "-o", "dist/unmapped.cjs"], { cwd: dir });
    svc = await startService(process.execPath, [join(dir, "dist", "unmapped.cjs")]);
    await httpRequest(`${svc.url}/boom`);
    expect(svc.output()).toContain("Error: exploded on purpose");
    expect(svc.output()).toMatch(/unmapped\.cjs:\d+:\d+/);
    expect(svc.output()).not.toContain("src/index.ts");
  });

  it("gives ES module code working import.meta.url, dirname and filename", async () => {
    const esm = project();
    writeFileSync(
      join(esm, "src", "meta.ts"),
      "export default { fetch: () => Response.json({ url: import.meta.url, dirname: import.meta.dirname, filename: import.meta.filename }) };\n",
    );
    expect((await runCli(["bundle", "src/meta.ts", "-o", "dist/meta.cjs"], { cwd: esm })).code).toBe(0);
    svc = await startService(process.execPath, [join(esm, "dist", "meta.cjs")]);
    const bundle = join(esm, "dist", "meta.cjs");
    expect(JSON.parse((await httpRequest(`${svc.url}/`)).body.toString())).toEqual({ url: `file://${bundle}`, dirname: join(esm, "dist"), filename: bundle });
    // The file URL is computed at start only by a bundle that reads it.
    expect(readFileSync(bundle, "utf8")).toContain("pathToFileURL(__filename)");
    expect((await runCli(["bundle", "src/index.ts", "-o", "dist/plain.cjs"], { cwd: esm })).code).toBe(0);
    expect(readFileSync(join(esm, "dist", "plain.cjs"), "utf8")).not.toContain("pathToFileURL");
  });

  it("bundles the documented example and serves it", async () => {
    const out = join(tempDir(), "hello.cjs");
    expect((await runCli(["bundle", "examples/hello/src/index.ts", "-o", out])).code).toBe(0);
    svc = await startService(process.execPath, [out]);
    expect(await (await fetch(`${svc.url}/hello?name=make`)).json()).toEqual({ message: "hello, make" });
  });

  it("keeps class and function names in minified bundles (error names become Lambda errorTypes)", async () => {
    const named = project();
    writeFileSync(
      join(named, "src", "named.ts"),
      "class QuotaExceededError extends Error {}\nfunction handlerName() {}\nclass Context { json = () => 1; }\n" +
        "const perRequest = () => { const inner = () => 1; return [inner.name, new Context().json.name]; };\n" +
        "export default { fetch: () => Response.json([new QuotaExceededError('x').constructor.name, handlerName.name, ...perRequest()]) };\n",
    );
    expect((await runCli(["bundle", "src/named.ts", "-o", "named.cjs"], { cwd: named })).code).toBe(0);
    svc = await startService(process.execPath, [join(named, "named.cjs")]);
    expect(JSON.parse((await httpRequest(`${svc.url}/`)).body.toString())).toEqual(["QuotaExceededError", "handlerName", "inner", "json"]);
    // Without a name defined at run time on each closure as it is made (esbuild's keepNames
    // helper): 250 ns per closure, 16 closures per Hono request (BENCHMARKS.md, issue 10).
    expect(readFileSync(join(named, "named.cjs"), "utf8")).not.toMatch(/"name",\s*\{\s*value(?::\s*\w+)?,\s*configurable/);
  });
});
