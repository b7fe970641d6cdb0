// Same inputs, same bytes: Terraform's source_code_hash and make both depend on it. Outputs
// are written atomically and left alone (mtime kept) when their content is unchanged.

import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appsDir, repoRoot, runCli, tempDir } from "../helpers/cli.js";

describe("determinism", () => {
  it.each([
    ["express", []],
    ["fastify", ["--sourcemap"]],
    ["hono", ["--no-minify"]],
  ])("bundling the %s fixture twice gives identical bytes (%j)", async (name, flags) => {
    const dir = tempDir("binship-det-");
    const entry = join(appsDir, name, "index.ts");
    expect((await runCli(["bundle", entry, "-o", join(dir, "a.cjs"), ...flags])).code).toBe(0);
    expect((await runCli(["bundle", entry, "-o", join(dir, "b.cjs"), ...flags])).code).toBe(0);
    expect(readFileSync(join(dir, "a.cjs")).equals(readFileSync(join(dir, "b.cjs")))).toBe(true);
  });

  it("gives identical bytes whatever directory binship runs in, naming modules from the project root", async () => {
    const dir = tempDir("binship-det-");
    const entry = join(appsDir, "express", "index.ts");
    expect((await runCli(["bundle", entry, "-o", join(dir, "here.cjs")])).code).toBe(0);
    expect((await runCli(["bundle", entry, "-o", join(dir, "there.cjs")], { cwd: tmpdir() })).code).toBe(0);
    const here = readFileSync(join(dir, "here.cjs"));
    expect(here.equals(readFileSync(join(dir, "there.cjs")))).toBe(true);
    // Module keys are relative to the project (the lockfile's directory); binship's runtime is
    // named by its namespace, never by where binship is installed.
    const text = here.toString();
    expect(text).toContain('"node_modules/express/index.js"(');
    expect(text).toContain('"binship-runtime:fetch/undici.ts"()');
    expect(text).not.toContain(repoRoot);
    expect(text).not.toMatch(/"\.\.\//);
  });

  it("gives identical bytes for the same project in two checkout locations", async () => {
    // Same depth below the temp dir, so the path from each project to binship is the same too.
    const root = tempDir("binship-loc-");
    const outputs: Buffer[] = [];
    for (const where of ["first", "second"]) {
      const project = join(root, where, "svc");
      mkdirSync(project, { recursive: true });
      cpSync(join(appsDir, "fetch"), join(project, "src"), { recursive: true });
      cpSync(join(appsDir, "shared"), join(project, "shared"), { recursive: true });
      const result = await runCli(["bundle", "src/index.ts", "-o", "dist/app.cjs", "--sourcemap", "--no-minify"], { cwd: project });
      expect(result.code, result.stderr).toBe(0);
      const bytes = readFileSync(join(project, "dist", "app.cjs"));
      expect(bytes.toString()).not.toContain(project); // no absolute path of the checkout leaks in
      outputs.push(bytes);
    }
    expect(outputs[0]!.equals(outputs[1]!)).toBe(true);
  });
});

describe("writing outputs", () => {
  it("leaves an unchanged bundle (and its depfile) untouched, mtime included", async () => {
    const dir = tempDir("binship-mtime-");
    const args = ["--json", "bundle", join(appsDir, "listener", "index.ts"), "-o", join(dir, "app.cjs"), "--depfile", join(dir, "app.d")];
    const first = await runCli(args);
    expect(JSON.parse(first.stdout)).toMatchObject({ changed: true });
    const past = new Date("2020-01-01T00:00:00Z");
    utimesSync(join(dir, "app.cjs"), past, past);
    utimesSync(join(dir, "app.d"), past, past);
    const second = await runCli(args);
    expect(JSON.parse(second.stdout)).toMatchObject({ changed: false });
    expect(statSync(join(dir, "app.cjs")).mtime).toEqual(past);
    expect(statSync(join(dir, "app.d")).mtime).toEqual(past);
    const human = await runCli(args.slice(1));
    expect(human.stdout).toContain("(unchanged)");
  });

  it("rewrites the bundle when its content changes", async () => {
    const dir = tempDir("binship-change-");
    writeFileSync(join(dir, "index.ts"), 'export default { fetch: () => new Response("one") };\n');
    await runCli(["bundle", "index.ts", "-o", "app.cjs"], { cwd: dir });
    writeFileSync(join(dir, "index.ts"), 'export default { fetch: () => new Response("two") };\n');
    const r = await runCli(["--json", "bundle", "index.ts", "-o", "app.cjs"], { cwd: dir });
    expect(JSON.parse(r.stdout)).toMatchObject({ changed: true });
    expect(readFileSync(join(dir, "app.cjs"), "utf8")).toContain('"two"');
  });

  it("keeps the previous bundle when a build fails, and leaves no temporary files", async () => {
    const dir = tempDir("binship-atomic-");
    writeFileSync(join(dir, "index.ts"), 'export default { fetch: () => new Response("good") };\n');
    expect((await runCli(["bundle", "index.ts", "-o", "out/app.cjs"], { cwd: dir })).code).toBe(0);
    const good = readFileSync(join(dir, "out", "app.cjs"));
    writeFileSync(join(dir, "index.ts"), "export default { fetch: () => new Response(\"bad\" };\n");
    expect((await runCli(["bundle", "index.ts", "-o", "out/app.cjs"], { cwd: dir })).code).toBe(1);
    expect(readFileSync(join(dir, "out", "app.cjs")).equals(good)).toBe(true);
    expect(readdirSync(join(dir, "out"))).toEqual(["app.cjs"]);
  });

  it("creates no output at all when the first build fails", async () => {
    const dir = tempDir("binship-nofile-");
    writeFileSync(join(dir, "index.ts"), 'import "./missing.js";\n');
    const r = await runCli(["bundle", "index.ts", "-o", "out/app.cjs", "--depfile", "out/app.d", "--metafile", "out/meta.json"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(existsSync(join(dir, "out"))).toBe(false);
  });
});
