// `binship build` turns every fixture service into an x64 executable (official Node from the
// npm registry + the bundle as a SEA blob) that runs here with no Node installed beside it and
// answers HTTP; `binship inspect` reads what it built.

import { createHash } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appsDir, runCli, tempDir } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { startService, type Service } from "../helpers/process.js";

const outDir = tempDir("binship-build-");
const node = "24"; // what a user types; resolves to the newest 24.x on the registry for this host

interface BuildJson {
  path: string;
  bytes: number;
  sha256: string;
  changed: boolean;
  arch: string;
  nodeVersion: string;
  stripped: boolean;
  sea: boolean;
  glibc: string;
}

const built = new Map<string, BuildJson>();

async function build(name: string): Promise<BuildJson> {
  const out = join(outDir, `${name}-x64`);
  const r = await runCli(["build", join(appsDir, name, "index.ts"), "--arch", "x64", "--node", node, "-o", out, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as BuildJson;
}

const httpFixtures = ["fetch", "hono", "express", "fastify", "listener", "listen"];

beforeAll(async () => {
  for (const name of [...httpFixtures, "handler"]) built.set(name, await build(name));
});

describe.each(httpFixtures)("the x64 executable of the %s fixture", (name) => {
  let svc: Service;
  beforeAll(async () => {
    svc = await startService(built.get(name)!.path, []);
  });
  afterAll(() => svc?.stop());

  it("answers GET /hello with JSON", async () => {
    const res = await fetch(`${svc.url}/hello?name=exe`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ message: "hello, exe" });
  });

  it("echoes a POST body byte for byte and sends binary responses intact", async () => {
    const body = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 31) % 256));
    const echo = await httpRequest(`${svc.url}/echo?a=1&a=2`, { method: "POST", body, headers: { "content-type": "application/octet-stream" } });
    expect(echo.status).toBe(200);
    const parsed = JSON.parse(echo.body.toString()) as { method: string; query: Record<string, string[]>; body: string };
    expect(parsed.method).toBe("POST");
    expect(parsed.query).toEqual({ a: ["1", "2"] });
    expect(Buffer.from(parsed.body, "base64").equals(body)).toBe(true);
    const binary = await httpRequest(`${svc.url}/binary`);
    expect(binary.body.equals(Buffer.from(Array.from({ length: 256 }, (_, i) => i)))).toBe(true);
  });

  it("sends every Set-Cookie header and answers 404 for unknown paths", async () => {
    const cookies = await httpRequest(`${svc.url}/cookies`);
    expect(cookies.headers["set-cookie"]).toHaveLength(3);
    expect((await fetch(`${svc.url}/no-such-route`)).status).toBe(404);
  });
});

describe("the x64 executable of the handler fixture", () => {
  it("serves the plain handler at the Lambda emulator's invocation path", async () => {
    const svc = await startService(built.get("handler")!.path, []);
    try {
      const res = await fetch(`${svc.url}/2015-03-31/functions/function/invocations`, { method: "POST", body: JSON.stringify({ source: "test", n: 7 }) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { received: unknown; hasTimeLeft: boolean };
      expect(body.received).toEqual({ source: "test", n: 7 });
    } finally {
      await svc.stop();
    }
  });
});

describe("binship build output", () => {
  it("reports path, size, sha256, arch and Node version that match the file", () => {
    const b = built.get("hono")!;
    const data = readFileSync(b.path);
    expect(b.bytes).toBe(data.length);
    expect(b.sha256).toBe(createHash("sha256").update(data).digest("hex"));
    expect(b).toMatchObject({ arch: "x64", sea: true, glibc: "2.28", stripped: true });
    expect(statSync(b.path).mode & 0o111).toBe(0o111);
  });

  it("prints one line with path, size, arch, Node version and sha256 without --json", async () => {
    const out = join(outDir, "fetch-again");
    const depfile = join(outDir, "fetch-again.d");
    const r = await runCli(["build", join(appsDir, "fetch", "index.ts"), "--arch", "x64", "--node", built.get("fetch")!.nodeVersion, "-o", out, "--depfile", depfile]);
    expect(r.code, r.stderr).toBe(0);
    // make rebuilds the executable when a source changes: the depfile's target is the executable.
    const deps = readFileSync(depfile, "utf8");
    expect(deps.startsWith(`${out}:`)).toBe(true);
    expect(deps).toContain("test/fixtures/apps/fetch/index.ts");
    const sha = createHash("sha256").update(readFileSync(out)).digest("hex");
    expect(r.stdout.trim()).toMatch(new RegExp(`^${out}  \\d+\\.\\d MiB  x64  Node ${built.get("fetch")!.nodeVersion.replace(/\./g, "\\.")}  sha256:${sha}$`));
  });

  it("rebuilds byte for byte identically and leaves the file untouched", async () => {
    const b = built.get("express")!;
    const before = statSync(b.path).mtimeMs;
    const again = await build("express");
    expect(again.sha256).toBe(b.sha256);
    expect(again.changed).toBe(false);
    expect(statSync(b.path).mtimeMs).toBe(before);
  });
});

describe("binship inspect", () => {
  it("reads a built executable: arch, loader, glibc, SEA blob, Node version", async () => {
    const b = built.get("hono")!;
    const r = await runCli(["inspect", b.path, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      path: b.path,
      bytes: b.bytes,
      sha256: b.sha256,
      elfClass: 64,
      machine: "x86-64",
      arch: "x64",
      interpreter: "/lib64/ld-linux-x86-64.so.2",
      sea: true,
      nodeVersion: b.nodeVersion,
      glibc: "2.28",
    });
    expect(report.needed).toEqual(expect.arrayContaining(["libc.so.6", "libstdc++.so.6"]));
    const human = await runCli(["inspect", b.path]);
    expect(human.stdout).toMatch(/format +ELF64 x86-64 \(x64\)/);
    expect(human.stdout).toMatch(/sea blob +yes/);
    expect(human.stdout).toContain(b.sha256);
  });

  it("rejects a file that is not ELF with exit code 2 and nothing on stdout", async () => {
    const file = join(outDir, "not-elf.sh");
    writeFileSync(file, "#!/bin/sh\necho hi\n");
    const r = await runCli(["inspect", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/not-elf\.sh is not an ELF executable/);
    expect(r.stderr).toMatch(/hint:/);
  });
});
