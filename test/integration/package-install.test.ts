// binship as users meet it: `npm pack`, then the tarball installed into a fresh project outside
// the repository beside that project's own dependencies (hono, zod), then `init` and every
// command from the one config it writes, make over the depfiles, and the API from TypeScript
// under `tsc --strict` and from Node. Also: the tool's own build leaves a clone's dist/ alone.

import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/cli.js";
import { requireTools } from "../helpers/tools.js";

const hasMake = requireTools("make");
const project = mkdtempSync(join(tmpdir(), "binship-installed-"));
const env = { ...process.env, NO_COLOR: "1", npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };

function sh(cmd: string, args: string[], cwd = project): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const binship = (...args: string[]) => sh(join(project, "node_modules", ".bin", "binship"), args);

const service = `import { Hono } from "hono";
import { z } from "zod";

const Order = z.object({ id: z.number().int(), item: z.string() });
const app = new Hono();
app.get("/orders/:id", (c) => c.json(Order.parse({ id: Number(c.req.param("id")), item: "tea" })));
export default app;
`;

beforeAll(() => {
  // lib/ is built (npm test builds before vitest): pack without running prepare, which would rebuild it under other tests.
  const packed = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", project], { cwd: repoRoot, env, encoding: "utf8" }).trim().split("\n").pop()!;
  mkdirSync(join(project, "src"));
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "orders-svc", version: "1.2.3", private: true, type: "module", main: "dist/server.js" }, null, 2));
  writeFileSync(join(project, "src", "server.ts"), service);
  const install = sh("npm", ["install", "--prefer-offline", "--save-dev", `./${packed}`, "typescript@5.9.3", "@types/node@24"]);
  if (install.code !== 0) throw new Error(`npm install failed:\n${install.stderr}`);
  const deps = sh("npm", ["install", "--prefer-offline", "hono@4", "zod@3"]);
  if (deps.code !== 0) throw new Error(`npm install failed:\n${deps.stderr}`);
}, 600_000);

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe("installed from its tarball into a fresh project", () => {
  it("ships its types, the schema and a LICENSE, and no test or build leftovers", () => {
    const root = join(project, "node_modules", "binship");
    for (const f of ["LICENSE", "schema.json", "lib/index.js", "lib/cli.js", "lib/types/index.d.ts", "src/runtime/index.ts"]) expect(existsSync(join(root, f)), f).toBe(true);
    for (const f of ["test", "dist", "bench", "src/cli.ts"]) expect(existsSync(join(root, f)), f).toBe(false);
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Record<string, unknown>;
    expect(pkg).toMatchObject({ license: "MIT", types: "./lib/types/index.d.ts", engines: { node: ">=22" } });
    expect(pkg.repository).toBeDefined();
  });

  it("init writes a config (its entry from package.json's main) and make rules, and never overwrites them", () => {
    const first = binship("init");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("entry: src/server.ts");
    const config = JSON.parse(readFileSync(join(project, "binship.config.json"), "utf8")) as Record<string, unknown>;
    expect(config).toMatchObject({ $schema: "./node_modules/binship/schema.json", entry: "src/server.ts" });
    expect(existsSync(join(project, config.$schema as string))).toBe(true);
    writeFileSync(join(project, "binship.mk"), "# mine\n");
    const again = binship("init");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("kept binship.config.json");
    expect(readFileSync(join(project, "binship.mk"), "utf8")).toBe("# mine\n");
    rmSync(join(project, "binship.mk"));
    expect(binship("init").stdout).toContain("wrote binship.mk");
    // x64, so every artifact runs on this machine without qemu.
    writeFileSync(join(project, "binship.config.json"), JSON.stringify({ ...config, lambda: { ...(config.lambda as object), arch: "x64" }, container: { ...(config.container as object), arch: "x64" } }, null, 2));
  });

  it("every command writes its own output from the one config", async () => {
    for (const [args, out] of [
      [["bundle"], "dist/app.cjs"],
      [["build"], "dist/app"],
      [["pack", "lambda"], "dist/lambda.zip"],
      [["pack", "container"], "dist/container/Dockerfile"],
    ] as const) {
      const r = binship(...args, "--json");
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
      expect(existsSync(join(project, out)), out).toBe(true);
    }
    expect(readFileSync(join(project, "dist", "app.cjs"), "utf8").startsWith("\x7fELF")).toBe(false); // the bundle, not an executable over it
    expect(readFileSync(join(project, "dist", "container", "k8s", "deployment.yaml"), "utf8")).toContain('name: "orders-svc"');
    const invoked = binship("invoke", "dist/lambda.zip", "--http", "GET /orders/7");
    expect(invoked.code, invoked.stderr).toBe(0);
    expect(invoked.stdout).toContain('{"id":7,"item":"tea"}');
    // Only artifacts and depfiles in dist/: no hidden intermediate executables.
    const du = execFileSync("du", ["-sb", join(project, "dist", ".lambda.binship")], { encoding: "utf8" });
    expect(Number(du.split("\t")[0])).toBeLessThan(64 * 1024);
  }, 600_000);

  it.skipIf(!hasMake)("make reruns nothing on a second run, and reruns pack container after a source edit", () => {
    writeFileSync(join(project, "Makefile"), "include binship.mk\n");
    const first = sh("make", ["lambda", "container", "BINSHIP=node_modules/.bin/binship"]);
    expect(first.code, first.stderr).toBe(0);
    const second = sh("make", ["lambda", "container", "BINSHIP=node_modules/.bin/binship"]);
    expect(second.stdout).not.toContain("binship pack");
    const later = new Date(Date.now() + 5000);
    writeFileSync(join(project, "src", "server.ts"), service.replace('"tea"', '"coffee"'));
    spawnSync("touch", ["-d", later.toISOString(), join(project, "src", "server.ts")]);
    const third = sh("make", ["container", "BINSHIP=node_modules/.bin/binship"]);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toContain("binship pack container");
  }, 600_000);

  it("the API type-checks under tsc --strict and returns what --json prints", () => {
    writeFileSync(
      join(project, "api.mts"),
      `import { BinshipError, bundle, invoke, packLambda, type BundleResult, type InvokeRunResult, type PackLambdaResult } from "binship";
const b: BundleResult = await bundle({ outfile: "dist/api.cjs", minify: false });
const z: PackLambdaResult = await packLambda({ arch: "x64", outfile: "dist/api.zip", layout: "executable" });
const i: InvokeRunResult = await invoke(z.path, { http: "GET /orders/5" });
let code = "";
try {
  await bundle({ config: false, entry: "src/missing.ts" });
} catch (err) {
  if (err instanceof BinshipError) code = \`\${err.code} \${err.exitCode}\`;
}
console.log(JSON.stringify({ bundle: b.path, warnings: b.warnings, zip: z.path, base64: z.sha256Base64, code, ok: i.ok, http: i.invocations[0]?.http }));
`,
    );
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", noEmit: true, types: ["node"] }, files: ["api.mts"] }));
    const tsc = sh(join(project, "node_modules", ".bin", "tsc"), ["-p", "."]);
    expect(tsc.code, tsc.stdout + tsc.stderr).toBe(0);
    writeFileSync(join(project, "bad.mts"), `import { packLambda } from "binship";\nawait packLambda({ arch: "riscv" });\n`);
    const bad = sh(join(project, "node_modules", ".bin", "tsc"), ["--strict", "--noEmit", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "bad.mts"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toContain('"riscv"');
    const run = sh(process.execPath, ["--experimental-strip-types", "--no-warnings", "api.mts"]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ bundle: join(project, "dist", "api.cjs"), warnings: [], zip: join(project, "dist", "api.zip"), code: "ENTRY_NOT_FOUND 2", ok: true });
    expect(out.http).toMatchObject({ statusCode: 200, body: expect.stringContaining('"id":5') });
    expect(existsSync(join(project, "dist", "api.zip"))).toBe(true);
  }, 600_000);
});

describe("the tool's own build", () => {
  it("leaves the Quick start's output in dist/ alone", () => {
    const clone = mkdtempSync(join(tmpdir(), "binship-clone-"));
    try {
      for (const f of ["package.json", "tsconfig.json", "tsconfig.types.json", "scripts", "src"]) cpSync(join(repoRoot, f), join(clone, f), { recursive: true });
      symlinkSync(join(repoRoot, "node_modules"), join(clone, "node_modules"));
      mkdirSync(join(clone, "dist"));
      writeFileSync(join(clone, "dist", "lambda.zip"), "the user's artifact");
      const r = sh("npm", ["run", "build"], clone);
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(join(clone, "dist", "lambda.zip"), "utf8")).toBe("the user's artifact");
      expect(existsSync(join(clone, "lib", "cli.js"))).toBe(true);
      expect(JSON.parse(readFileSync(join(clone, "schema.json"), "utf8"))).toMatchObject({ title: "binship config" });
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  }, 300_000);
});
