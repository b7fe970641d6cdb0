// Server-mode settings a user changes in binship.config.json or the environment: probe paths
// (or none), the forced contract, HOST/PORT problems, and a module with no service at all.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { appsDir, runCli, tempDir } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { freePort, startService, type Service } from "../helpers/process.js";
import { spawn } from "node:child_process";

let svc: Service | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

/** Bundles `entry` in a fresh project dir holding `config` as binship.config.json. */
async function bundleWithConfig(entry: string, config: Record<string, unknown>): Promise<string> {
  const dir = tempDir("binship-srvcfg-");
  writeFileSync(join(dir, "binship.config.json"), JSON.stringify({ entry, ...config }));
  const result = await runCli(["bundle", "-o", "out.cjs"], { cwd: dir });
  expect(result.code, result.stderr).toBe(0);
  return join(dir, "out.cjs");
}

/** Runs a bundle that is expected to fail at startup. */
function runToExit(bundle: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bundle], { env: { ...process.env, HOST: "127.0.0.1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("probe paths", () => {
  it("serves liveness and readiness at configured paths; the defaults then reach the app", async () => {
    const bundle = await bundleWithConfig(join(appsDir, "fetch", "index.ts"), { livenessPath: "/-/live", readinessPath: "/-/ready" });
    svc = await startService(process.execPath, [bundle]);
    expect((await httpRequest(`${svc.url}/-/live`)).status).toBe(200);
    expect((await httpRequest(`${svc.url}/-/ready`)).status).toBe(200);
    expect((await httpRequest(`${svc.url}/healthz`)).status).toBe(404); // the app's own 404
    expect((await httpRequest(`${svc.url}/readyz`)).status).toBe(404);
  });

  it("switches the probes off with false, leaving every path to the app", async () => {
    const bundle = await bundleWithConfig(join(appsDir, "fetch", "index.ts"), { livenessPath: false, readinessPath: false });
    svc = await startService(process.execPath, [bundle]);
    expect((await httpRequest(`${svc.url}/healthz`)).body.toString()).toBe("not found\n");
    expect((await httpRequest(`${svc.url}/readyz`)).body.toString()).toBe("not found\n");
    expect((await httpRequest(`${svc.url}/hello`)).status).toBe(200);
  });

  it("takes probe paths from the \"binship\" key of package.json too", async () => {
    const dir = tempDir("binship-pkgcfg-");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "svc", binship: { entry: join(appsDir, "fetch", "index.ts"), livenessPath: "/alive" } }));
    expect((await runCli(["bundle", "-o", "out.cjs"], { cwd: dir })).code).toBe(0);
    svc = await startService(process.execPath, [join(dir, "out.cjs")]);
    expect((await httpRequest(`${svc.url}/alive`)).status).toBe(200);
  });
});

describe("a module that listens after async setup", () => {
  it("is recognised once it calls listen(), and drains on SIGTERM", async () => {
    const dir = tempDir("binship-late-");
    writeFileSync(
      join(dir, "index.ts"),
      [
        'import http from "node:http";',
        "async function connectToDatabase(): Promise<void> {",
        "  await new Promise((resolve) => setTimeout(resolve, 300));",
        "}",
        "void connectToDatabase().then(() => {",
        '  http.createServer((_req, res) => res.end("late but ready")).listen(Number(process.env.PORT), process.env.HOST);',
        "});",
        "",
      ].join("\n"),
    );
    expect((await runCli(["bundle", "index.ts", "-o", "out.cjs"], { cwd: dir })).code).toBe(0);
    svc = await startService(process.execPath, [join(dir, "out.cjs")]);
    expect((await httpRequest(`${svc.url}/`)).body.toString()).toBe("late but ready");
    svc.child.kill("SIGTERM");
    expect(await svc.exited).toEqual({ code: 0, signal: null });
  });
});

describe("startup failures", () => {
  it("names the four service shapes when the module matches none", async () => {
    const dir = tempDir("binship-noshape-");
    writeFileSync(join(dir, "index.ts"), "export const answer = 42;\nexport default { name: 'not a service' };\n");
    expect((await runCli(["bundle", "index.ts", "-o", "out.cjs"], { cwd: dir })).code).toBe(0);
    const run = await runToExit(join(dir, "out.cjs"), { PORT: String(await freePort()) });
    expect(run.code).toBe(1);
    expect(run.output).toContain("no service this runtime can start");
    expect(run.output).toContain("it exports: answer, default");
    expect(run.output).toMatch(/1\. export default an object with fetch\(request\)/);
    expect(run.output).toMatch(/2\. export default a Node request listener/);
    expect(run.output).toMatch(/3\. export const handler/);
    expect(run.output).toMatch(/4\. call listen\(\)/);
    expect(run.output).not.toMatch(/^\s+at /m); // an explanation, not a stack
  });

  it("exits 1 with the source-mapped stack when the module throws while loading", async () => {
    const dir = tempDir("binship-throws-");
    writeFileSync(join(dir, "index.ts"), 'const url: string | undefined = process.env.DATABASE_URL;\nif (!url) throw new Error("DATABASE_URL is not set");\nexport default { fetch: () => new Response(url) };\n');
    expect((await runCli(["bundle", "index.ts", "-o", "out.cjs", "--sourcemap"], { cwd: dir })).code).toBe(0);
    const run = await runToExit(join(dir, "out.cjs"), { PORT: String(await freePort()), DATABASE_URL: "" });
    expect(run.code).toBe(1);
    expect(run.output).toContain("Error: DATABASE_URL is not set");
    expect(run.output).toMatch(/at .*index\.ts:2:\d+/);
  });

  it("refuses a forced contract the module does not fit", async () => {
    const bundle = await bundleWithConfig(join(appsDir, "express", "index.ts"), { contract: "fetch" });
    const run = await runToExit(bundle, { PORT: String(await freePort()) });
    expect(run.code).toBe(1);
    expect(run.output).toContain('contract "fetch" needs a default export with a fetch(request) method');
  });

  it("--contract on the command line wins over the config file's", async () => {
    const dir = tempDir("binship-contract-flag-");
    writeFileSync(join(dir, "binship.config.json"), JSON.stringify({ entry: join(appsDir, "express", "index.ts"), contract: "listener" }));
    expect((await runCli(["bundle", "-o", "out.cjs", "--contract", "fetch"], { cwd: dir })).code).toBe(0);
    const run = await runToExit(join(dir, "out.cjs"), { PORT: String(await freePort()) });
    expect(run.code).toBe(1);
    expect(run.output).toContain('contract "fetch" needs a default export with a fetch(request) method');
    const bad = await runCli(["bundle", "-o", "out.cjs", "--contract", "grpc"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--contract");
    expect(bad.stderr).toContain("auto, fetch, listener, handler, listen");
  });

  it("serves a module that fits both shapes as the forced one", async () => {
    const dir = tempDir("binship-both-");
    mkdirSync(join(dir, "src"));
    writeFileSync(
      join(dir, "src", "index.ts"),
      [
        "export default { fetch: () => new Response('from fetch') };",
        "export const handler = async () => ({ from: 'handler' });",
      ].join("\n"),
    );
    writeFileSync(join(dir, "binship.config.json"), JSON.stringify({ entry: "src/index.ts", contract: "handler" }));
    expect((await runCli(["bundle", "-o", "out.cjs"], { cwd: dir })).code).toBe(0);
    svc = await startService(process.execPath, [join(dir, "out.cjs")]);
    expect((await httpRequest(`${svc.url}/`)).status).toBe(404);
    const inv = await httpRequest(`${svc.url}/2015-03-31/functions/function/invocations`, { method: "POST", body: "{}" });
    expect(JSON.parse(inv.body.toString())).toEqual({ from: "handler" });
  });

  it("explains a PORT that is not a port number", async () => {
    const run = await runToExit(await bundleWithConfig(join(appsDir, "fetch", "index.ts"), {}), { PORT: "http" });
    expect(run.code).toBe(1);
    expect(run.output).toContain('PORT must be a port number from 0 to 65535, got "http"');
  });

  it("explains a port that is taken", async () => {
    const bundle = await bundleWithConfig(join(appsDir, "fetch", "index.ts"), {});
    svc = await startService(process.execPath, [bundle]);
    const run = await runToExit(bundle, { PORT: String(svc.port) });
    expect(run.code).toBe(1);
    expect(run.output).toContain(`cannot listen on 127.0.0.1:${svc.port}: EADDRINUSE`);
  });
});
