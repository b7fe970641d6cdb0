// A dependency that requires packages the project never installed (knex and its dialect
// drivers) bundles with one warning naming them, and the service runs: the dialect that is
// installed works, and a missing one fails where it is required, with binship's message.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { appsDir, runCli, tempDir } from "../helpers/cli.js";
import { startService } from "../helpers/process.js";
import { expectKnexServes } from "../helpers/real-services.js";

const outDir = tempDir("binship-optional-");
const entry = join(appsDir, "knex", "index.ts");
const missingDrivers = ["better-sqlite3", "mysql", "mysql2", "oracledb", "sqlite3", "tedious"];

describe("knex with one dialect installed", () => {
  let bundled: { code: number | null; stderr: string; json: { warnings: { text: string }[] } };
  beforeAll(async () => {
    const r = await runCli(["bundle", entry, "-o", join(outDir, "app.cjs"), "--json"]);
    bundled = { code: r.code, stderr: r.stderr, json: JSON.parse(r.stdout) };
  });

  it("bundles with exit 0 and one warning listing each missing driver and who requires it", () => {
    expect(bundled.code, bundled.stderr).toBe(0);
    const missing = bundled.json.warnings.filter((w) => w.text.includes("not installed"));
    expect(missing).toHaveLength(1);
    for (const name of missingDrivers) expect(missing[0]!.text).toContain(`${name} (required by knex)`);
    expect(missing[0]!.text).not.toMatch(/\bpg \(/); // installed, so bundled
    expect(bundled.stderr.match(/^warning: /gm)).toHaveLength(1);
  });

  it("runs from the bundle: the installed dialect works, a missing one throws MODULE_NOT_FOUND with binship's message where it is required", async () => {
    const svc = await startService(process.execPath, [join(outDir, "app.cjs")]);
    try {
      await expectKnexServes(svc);
    } finally {
      await svc.stop();
    }
  });

  it("runs from the executable", async () => {
    const out = join(outDir, "app-x64");
    const r = await runCli(["build", entry, "--arch", "x64", "-o", out]);
    expect(r.code, r.stderr).toBe(0);
    const svc = await startService(out, [], { env: { PATH: "/usr/bin:/bin" } });
    try {
      await expectKnexServes(svc);
    } finally {
      await svc.stop();
    }
  });

  it("answers through the Lambda zip under binship invoke, the missing dialect failing at its point of use", async () => {
    const zip = join(outDir, "lambda.zip");
    const packed = await runCli(["pack", "lambda", entry, "--arch", "x64", "-o", zip]);
    expect(packed.code, packed.stderr).toBe(0);
    const sql = await runCli(["invoke", zip, "--http", "GET /sql"]);
    expect(sql.code, sql.stderr).toBe(0);
    expect(sql.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(sql.stdout).toContain('select * from "orders" where "id" = 1');
    const sqlite = await runCli(["invoke", zip, "--http", "GET /sqlite"]);
    expect(sqlite.code, sqlite.stderr).toBe(0);
    expect(sqlite.stdout).toContain("Cannot find module 'sqlite3'");
  });

  it("keeps a missing package the service's own code requires an error (a typo stays a build failure)", async () => {
    const dir = tempDir("binship-optional-own-");
    writeFileSync(join(dir, "index.ts"), 'export const handler = async () => require("not-installed-anywhere");\n');
    const r = await runCli(["bundle", join(dir, "index.ts"), "-o", join(dir, "app.cjs")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Could not resolve "not-installed-anywhere"');
  });
});
