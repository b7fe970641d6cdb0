// ES module bundles: a service with top-level await bundles as an ES module by itself, runs
// under node in server mode and through `binship invoke` (Lambda), waits for its await before
// it serves, and fails to start when the await rejects. CommonJS stays the default for code
// that does not need more; "format" / --format force either, and a forced CommonJS build of
// top-level await names the file, line and key.

import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appsDir, fixturesDir, runCli, tempDir } from "../helpers/cli.js";
import { expectHonoServes, expectReadinessWaited, readinessWhileAwaiting, runWithRejectedAwait } from "../helpers/top-level-await.js";

const honoTla = join(appsDir, "hono-tla", "index.ts");
const handlerTla = join(fixturesDir, "lambda-apps", "tla-handler.ts");
const work = tempDir("binship-bundle-esm-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function bundleTo(entry: string, out: string, ...flags: string[]): Promise<Record<string, unknown>> {
  const r = await runCli(["bundle", entry, "-o", out, "--json", ...flags]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe("a service with top-level await, bundled", () => {
  let hono: string;
  let handler: string;
  beforeAll(async () => {
    hono = join(work, "hono.mjs");
    handler = join(work, "handler.mjs");
    expect(await bundleTo(honoTla, hono)).toMatchObject({ path: hono, format: "esm" });
    expect(await bundleTo(handlerTla, handler)).toMatchObject({ format: "esm" });
  });

  it("is an ES module that answers after its await: import.meta, import() of a built-in, a CommonJS dependency", async () => {
    expect(readFileSync(hono, "utf8")).toContain('import { createRequire as __binshipCreateRequire } from "node:module";');
    await expectHonoServes(process.execPath, [hono]);
  });

  it("is not ready while a 1 s await is pending: /readyz refused, then 200 with the config loaded", async () => {
    expectReadinessWaited(await readinessWhileAwaiting(process.execPath, [hono]));
  });

  it("exits 1 with the error when the await rejects", async () => {
    const r = await runWithRejectedAwait(process.execPath, [hono]);
    expect(r.code).toBe(1);
    expect(r.output).toContain("Error: secrets store unreachable");
    expect(r.output).not.toContain("listening on");
  });

  it("runs as a Lambda handler through invoke, the await done in init", async () => {
    const event = join(work, "event.json");
    writeFileSync(event, JSON.stringify({ name: "init" }));
    const r = await runCli(["invoke", handler, "--event", event, "--env", "FIXTURE_GREETING=from init"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ greeting: "from init", name: "init" });
  });

  it("reports a rejected await as the function failing to start (init/error), exit 1", async () => {
    const r = await runCli(["invoke", handler, "--env", "FIXTURE_INIT_FAIL=secrets store unreachable"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the function failed to start: Error: secrets store unreachable");
  });
});

describe("choosing the format", () => {
  it("keeps CommonJS for a service without top-level await", async () => {
    const out = join(work, "plain.cjs");
    expect(await bundleTo(join(appsDir, "hono", "index.ts"), out)).toMatchObject({ format: "cjs" });
  });

  it('names the default output .mjs when the bundle has to be an ES module', async () => {
    const r = await runCli(["bundle", honoTla, "--json"], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ path: join(work, "dist", "bundle.mjs"), format: "esm" });
  });

  it("builds an ES module when asked with --format esm or \"format\": \"esm\"", async () => {
    expect(await bundleTo(join(appsDir, "hono", "index.ts"), join(work, "asked.mjs"), "--format", "esm")).toMatchObject({ format: "esm" });
    const config = join(work, "esm.config.json");
    writeFileSync(config, JSON.stringify({ format: "esm" }));
    expect(await bundleTo(join(appsDir, "hono", "index.ts"), join(work, "asked-config.mjs"), "-c", config)).toMatchObject({ format: "esm" });
  });

  it('refuses top-level await in a build forced to CommonJS, naming file, line and the key; exit 1, no file', async () => {
    const out = join(work, "forced.cjs");
    const r = await runCli(["bundle", honoTla, "-o", out, "--format", "cjs"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/top-level await in test\/fixtures\/apps\/hono-tla\/index\.ts:9:\d+ needs an ES module bundle, but "format": "cjs" \(or --format cjs\) forces CommonJS/);
    expect(r.stderr).toContain('hint: Remove "format": "cjs"');
    expect(existsSync(out)).toBe(false);
  });

  it("refuses to write an ES module under a .cjs name the user chose (exit 2, no file)", async () => {
    const out = join(work, "named.cjs");
    const r = await runCli(["bundle", honoTla, "-o", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Node loads a .cjs file as CommonJS");
    expect(r.stderr).toContain(`hint: Name it ${join(work, "named.mjs")}.`);
    expect(existsSync(out)).toBe(false);
  });

  it("rejects an unknown --format with exit 2", async () => {
    const r = await runCli(["bundle", honoTla, "-o", join(work, "x.mjs"), "--format", "umd"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--format");
    expect(r.stderr).toMatch(/cjs.*esm/);
  });
});
