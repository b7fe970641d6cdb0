// No secret is ever printed, in any mode (-v included), whatever shape the registry URL or the
// .npmrc has; a URL binship cannot use is a config error (exit 2) naming where it was set, not
// a crash with a stack.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appsDir, runCli, tempDir } from "../helpers/cli.js";
import { freePort } from "../helpers/process.js";

const entry = join(appsDir, "fetch", "index.ts");

/** `build -v` of an exact version nothing has cached, in a project directory holding `npmrc`. */
async function build(env: NodeJS.ProcessEnv, npmrc?: string) {
  const project = tempDir("binship-secrets-");
  if (npmrc !== undefined) writeFileSync(join(project, ".npmrc"), npmrc);
  const r = await runCli(["build", entry, "-v", "--arch", "x64", "--node", "24.21.0", "-o", join(project, "app")], {
    cwd: project,
    env: { HOME: project, BINSHIP_CACHE_DIR: tempDir("binship-cache-"), npm_config_fetch_retries: "0", BINSHIP_NETWORK_TIMEOUT: "2", ...env },
    timeoutMs: 60_000,
  });
  return { ...r, all: `${r.stdout}\n${r.stderr}`, project };
}

const noStack = (text: string) => expect(text).not.toMatch(/unexpected error|\n\s+at /);

describe("registry URLs binship cannot use", () => {
  it("a malformed percent-escape in the password: exit 2 naming npm_config_registry, no stack, no password", async () => {
    const r = await build({ npm_config_registry: "http://deploy:n0t%ZZsecret@127.0.0.1:9/" });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/the npm registry URL from npm_config_registry has a malformed percent-escape in its user name or password/);
    expect(r.stderr).toMatch(/hint: Percent-encode/);
    expect(r.all).not.toContain("n0t%ZZsecret");
    noStack(r.stderr);
  });

  it("the same in a project .npmrc: the message names the file and its registry key", async () => {
    const r = await build({ npm_config_registry: undefined }, "registry=http://deploy:pa%G1ss@127.0.0.1:9/\n");
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`the npm registry URL from "registry" in ${join(r.project, ".npmrc")} has a malformed percent-escape`);
    expect(r.all).not.toContain("pa%G1ss");
    noStack(r.stderr);
  });

  it("-v with an unparseable URL that carries a password: exit 2, and the password appears nowhere", async () => {
    const r = await build({ npm_config_registry: "http://deploy:Unparseable-Pw@127.0.0.1:99999/" });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/the npm registry URL from npm_config_registry is not a valid URL/);
    expect(r.all).not.toContain("Unparseable-Pw");
    noStack(r.stderr);
  });
});

describe("credentials of every shape stay out of -v output when the registry fails", () => {
  const b64 = (s: string) => Buffer.from(s).toString("base64");

  type Shape = (port: number) => { env: NodeJS.ProcessEnv; npmrc?: string; secret: string };
  it.each<[string, Shape]>([
    ["user:password@ in the URL", (port: number) => ({ env: { npm_config_registry: `http://ci:Url-Pa55word@127.0.0.1:${port}/` }, secret: "Url-Pa55word" })],
    ["a token in the query string", (port: number) => ({ env: { npm_config_registry: `http://127.0.0.1:${port}/npm/?token=Query-T0ken-123` }, secret: "Query-T0ken-123" })],
    ["a space and a slash in the password", (port: number) => ({ env: { npm_config_registry: `http://ci:pa/ss w0rd-x@127.0.0.1:${port}/` }, secret: "pa/ss w0rd-x" })],
    ["_authToken in .npmrc", (port: number) => ({ env: { npm_config_registry: `http://127.0.0.1:${port}/` }, npmrc: `//127.0.0.1:${port}/:_authToken=Npmrc-T0ken-456\n`, secret: "Npmrc-T0ken-456" })],
    ["_auth in .npmrc", (port: number) => ({ env: { npm_config_registry: `http://127.0.0.1:${port}/` }, npmrc: `//127.0.0.1:${port}/:_auth=${b64("ci:Auth-Pa55")}\n`, secret: "Auth-Pa55" })],
  ])("%s", async (_name, shape) => {
    const { env, npmrc, secret } = shape(await freePort()); // nothing listens there
    const r = await build(env, npmrc);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/npm registry|not a valid URL/);
    expect(r.all).not.toContain(secret);
    if (npmrc?.includes("_auth=")) expect(r.all).not.toContain(b64("ci:Auth-Pa55"));
    expect(r.stderr).not.toMatch(/unexpected error/); // -v shows the cause's stack: redacted too
  });
});
