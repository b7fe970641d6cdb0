// A NestJS 11 service whose tsconfig sets emitDecoratorMetadata (constructor injection by type, a
// DTO checked by ValidationPipe, an entity with class-transformer's @Type) runs from the bundle,
// the executable and the Lambda zip: binship compiles its decorated files with the project's
// TypeScript, which writes the design:* metadata esbuild does not. Without the setting, the
// build warns, naming the file and the setting.

import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appsDir, repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { startService } from "../helpers/process.js";
import { expectArticles } from "../helpers/real-services.js";

const outDir = tempDir("binship-nest-");
const fixture = join(appsDir, "nestjs");

describe("a NestJS app with emitDecoratorMetadata", () => {
  let warnings: { text: string; file?: string }[];
  beforeAll(async () => {
    const r = await runCli(["bundle", join(fixture, "index.ts"), "-o", join(outDir, "app.cjs"), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    warnings = JSON.parse(r.stdout).warnings;
  });

  it("bundles with no decorator warning and runs from the bundle: injection, validation and the entity work", async () => {
    expect(warnings.filter((w) => w.text.includes("emitDecoratorMetadata"))).toEqual([]);
    // The decorated files are TypeScript's output, with TypeScript's metadata calls.
    const code = readFileSync(join(outDir, "app.cjs"), "utf8");
    expect(/__metadata\d*\("design:paramtypes",\s*\[typeof\s*\(\w+\s*=\s*typeof ArticleStore/.test(code), "ArticleService's design:paramtypes names ArticleStore").toBe(true);
    const svc = await startService(process.execPath, [join(outDir, "app.cjs")]);
    try {
      await expectArticles(svc);
    } finally {
      await svc.stop();
    }
  });

  it("runs from the executable", async () => {
    const exe = join(outDir, "app-x64");
    const r = await runCli(["build", join(fixture, "index.ts"), "--arch", "x64", "-o", exe]);
    expect(r.code, r.stderr).toBe(0);
    const svc = await startService(exe, [], { env: { PATH: "/usr/bin:/bin" } });
    try {
      await expectArticles(svc);
    } finally {
      await svc.stop();
    }
  });

  it("answers through the Lambda zip under binship invoke", async () => {
    const zip = join(outDir, "lambda.zip");
    const packed = await runCli(["pack", "lambda", join(fixture, "index.ts"), "--arch", "x64", "-o", zip]);
    expect(packed.code, packed.stderr).toBe(0);
    const r = await runCli(["invoke", zip, "--http", "GET /articles"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(r.stdout).toContain('"title":"Hello from an injected store"');
  });
});

describe("decorators without emitDecoratorMetadata", () => {
  // A copy inside the repository, so the fixture's packages still resolve from node_modules.
  const copy = join(repoRoot, ".tmp", `nest-${process.pid}`);
  beforeAll(() => {
    mkdirSync(copy, { recursive: true });
    cpSync(fixture, copy, { recursive: true });
    writeFileSync(join(copy, "tsconfig.json"), JSON.stringify({ compilerOptions: { experimentalDecorators: true, strict: true } }));
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it("warns for each file with a decorated class that takes constructor parameters, naming the setting", async () => {
    const r = await runCli(["bundle", join(copy, "index.ts"), "-o", join(outDir, "plain.cjs"), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const decorators = (JSON.parse(r.stdout).warnings as { text: string; file?: string }[]).filter((w) => w.text.includes("emitDecoratorMetadata"));
    expect(decorators.map((w) => w.file?.slice(copy.length + 1)).sort()).toEqual(["articles.controller.ts", "articles.service.ts"]);
    expect(decorators[0]!.text).toContain("tsconfig.json does not set emitDecoratorMetadata");
    expect(r.stderr).toContain('"emitDecoratorMetadata": true');
  });
});
