// Runtime files ("assets", issue 27): two real services that read their own files answer from
// every artifact. fastify-autoload (no config: @fastify/autoload's plugins/ and routes/, an
// @fastify/static root) and express-static (express.static(__dirname + "/assets") known, a
// template read from process.cwd() shipped by its config's "assets"). Each is run from the
// bundle, the executable, the Lambda zip (binship invoke with an API Gateway event) and the
// image's root filesystem (buildah, on the local distroless stand-in). Then the warning for a
// read binship cannot see, and the errors: a glob matching nothing, a path outside the project,
// a collision with the artifact's own files, an output onto an asset.

import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appsDir, fixturesDir, runCli, tempDir } from "../helpers/cli.js";
import { parseDepfile } from "../helpers/depfile.js";
import { httpRequest } from "../helpers/http.js";
import { startService } from "../helpers/process.js";
import { requireTools } from "../helpers/tools.js";

const run = promisify(execFile);
const hostArch = process.arch === "arm64" ? "arm64" : "x64";
const hostDockerArch = hostArch === "arm64" ? "arm64" : "amd64";
const work = tempDir("binship-assets-");
const fastify = join(appsDir, "fastify-autoload");
const express = join(appsDir, "express-static");

/** GET path from a service started as `command args` in `cwd` (the artifact's directory, as Lambda and the image run it). */
async function get(command: string, args: string[], cwd: string, paths: string[]): Promise<{ status: number; body: string }[]> {
  const svc = await startService(command, args, { cwd, timeoutMs: 60_000 });
  try {
    const out = [];
    for (const p of paths) {
      const r = await httpRequest(`${svc.url}${p}`);
      out.push({ status: r.status, body: r.body.toString() });
    }
    return out;
  } finally {
    await svc.stop();
  }
}

/** One API Gateway HTTP API (v2) request through `binship invoke`, as Lambda would deliver it. */
async function invokeZip(zip: string, path: string, query = ""): Promise<{ statusCode: number; body: string }> {
  const event = JSON.parse(readFileSync(join(fixturesDir, "events", "apigw-v2.json"), "utf8"));
  event.rawPath = path;
  event.rawQueryString = query;
  event.requestContext.http.path = path;
  const file = join(work, `event-${path.replace(/\W/g, "_")}.json`);
  writeFileSync(file, JSON.stringify(event));
  const r = await runCli(["invoke", zip, "--event", file, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).invocations[0].result;
}

const fastifyAnswers = [
  { status: 200, body: '{"message":"hello, ann","from":"routes/users"}' },
  { status: 200, body: "<!doctype html><title>fastify-autoload</title><p>static from public/</p>\n" },
];
const expressAnswers = [
  { status: 200, body: "body { color: rebeccapurple; }\n" },
  { status: 200, body: "<h1>hello, ann</h1>\n" },
];

describe("runtime files ship with every artifact", () => {
  const out = { fastify: join(work, "fastify"), express: join(work, "express") };

  beforeAll(async () => {
    for (const [dir, cwd] of [
      [out.fastify, fastify],
      [out.express, express],
    ] as const) {
      const bundled = await runCli(["bundle", ...(cwd === fastify ? ["index.ts"] : []), "-o", join(dir, "bundle", "app.cjs"), "--depfile", join(dir, "bundle.d")], { cwd });
      expect(bundled.code, bundled.stderr).toBe(0);
      const built = await runCli(["build", ...(cwd === fastify ? ["index.ts"] : []), "--arch", hostArch, "-o", join(dir, "exe", "app")], { cwd });
      expect(built.code, built.stderr).toBe(0);
      const packed = await runCli(["pack", "lambda", ...(cwd === fastify ? ["index.ts"] : []), "--arch", hostArch, "-o", join(dir, "fn.zip")], { cwd });
      expect(packed.code, packed.stderr).toBe(0);
    }
  }, 600_000);

  it("fastify-autoload, with no config: autoloaded plugins and routes and the static root answer from the bundle and the executable", async () => {
    const paths = ["/users/ann", "/static/index.html"];
    expect(await get(process.execPath, ["app.cjs"], join(out.fastify, "bundle"), paths)).toEqual(fastifyAnswers);
    // The executable's require() reaches only built-ins: the routes answer because they are bundled, not read from disk.
    expect(await get(join(out.fastify, "exe", "app"), [], join(out.fastify, "exe"), paths)).toEqual(fastifyAnswers);
  });

  it("express-static: express.static(__dirname + ...) and a process.cwd() template answer from the bundle and the executable", async () => {
    const paths = ["/css/site.css", "/page?name=ann"];
    expect(await get(process.execPath, ["app.cjs"], join(out.express, "bundle"), paths)).toEqual(expressAnswers);
    expect(await get(join(out.express, "exe", "app"), [], join(out.express, "exe"), paths)).toEqual(expressAnswers);
  });

  it("the Lambda zip holds the files beside bootstrap, and both services answer API Gateway events", async () => {
    const f = await invokeZip(join(out.fastify, "fn.zip"), "/users/ann");
    expect([f.statusCode, f.body]).toEqual([200, fastifyAnswers[0]!.body]);
    const s = await invokeZip(join(out.fastify, "fn.zip"), "/static/index.html");
    expect([s.statusCode, s.body]).toEqual([200, fastifyAnswers[1]!.body]);
    const css = await invokeZip(join(out.express, "fn.zip"), "/css/site.css");
    expect([css.statusCode, css.body]).toEqual([200, expressAnswers[0]!.body]);
    const page = await invokeZip(join(out.express, "fn.zip"), "/page", "name=ann");
    expect([page.statusCode, page.body]).toEqual([200, expressAnswers[1]!.body]);
    const { stdout } = await run("unzip", ["-Z1", join(out.express, "fn.zip")]);
    const names = stdout.trim().split("\n").filter((n) => !n.endsWith("/") && !n.startsWith("lib/"));
    expect(names).toEqual(["bootstrap", "src/assets/css/site.css", "templates/page.html"]);
  });

  it("the depfile names every runtime file, so make rebuilds when one changes", () => {
    const { deps } = parseDepfile(readFileSync(join(out.fastify, "bundle.d"), "utf8"));
    for (const f of ["public/index.html", "plugins/greeter.ts", "routes/users/index.ts"]) expect(deps).toContain(f);
  });
});

const canBuild = requireTools("buildah", "apt-get", "dpkg-deb", "chroot");

describe.runIf(canBuild)("runtime files in the container image", () => {
  const buildah = async (...args: string[]) => (await run("buildah", ["--storage-driver", "vfs", ...args], { maxBuffer: 16 << 20 })).stdout.trim();
  const tag = `localhost/binship-test/assets:${process.pid}`;
  const recipe = join(work, "container");
  let container = "";
  let imageId = "";
  let root = "";

  beforeAll(async () => {
    const packed = await runCli(["pack", "container", "index.ts", "--arch", hostArch, "-o", recipe, "--name", "svc", "--image", "registry.example.com/team/svc:1"], { cwd: fastify });
    expect(packed.code, packed.stderr).toBe(0);
    const base = (await run(join(fixturesDir, "container-base", "build.sh"), [join(work, "standin"), hostDockerArch])).stdout.trim();
    await buildah("bud", "--pull=never", "--build-arg", `BASE=${base}`, "-t", tag, recipe);
    container = await buildah("from", "--pull=never", tag);
    imageId = JSON.parse(await buildah("inspect", "--type", "container", container)).FromImageID;
    root = await buildah("mount", container);
  }, 900_000);

  afterAll(async () => {
    if (container) {
      await buildah("umount", container).catch(() => undefined);
      await buildah("rm", container).catch(() => undefined);
    }
    await buildah("rmi", tag).catch(() => undefined);
    if (imageId) await buildah("rmi", imageId).catch(() => undefined);
  });

  it("the image has them under /app with WORKDIR /app, and its executable answers from them as uid 65532", async () => {
    expect(JSON.parse(await buildah("inspect", "--type", "image", tag)).OCIv1.config.WorkingDir).toBe("/app");
    expect(readFileSync(join(root, "app", "public", "index.html"), "utf8")).toBe(fastifyAnswers[1]!.body);
    expect(await get("chroot", ["--userspec=65532:65532", root, "/app/svc"], work, ["/users/ann", "/static/index.html"])).toEqual(fastifyAnswers);
  });
});

describe("runtime files: warnings and errors", () => {
  const project = join(work, "project");

  beforeAll(() => {
    rmSync(project, { recursive: true, force: true });
    mkdirSync(join(project, "data"), { recursive: true });
    writeFileSync(join(project, "data", "prices.json"), '{"apple": 3}\n');
    writeFileSync(join(project, "data", "stock.json"), '{"apple": 10}\n');
    writeFileSync(join(project, "bootstrap"), "#!/bin/sh\n");
    writeFileSync(
      join(project, "index.ts"),
      [
        'import { readFileSync } from "node:fs";',
        'import { join } from "node:path";',
        "",
        'const prices = JSON.parse(readFileSync(join(__dirname, "data", "prices.json"), "utf8"));',
        "export default { fetch: () => Response.json(prices) };",
        "",
      ].join("\n"),
    );
  });

  it("warns for a read of a project file no asset ships, naming the line and the fix; shipping it silences the warning and the read works", async () => {
    const r = await runCli(["bundle", "index.ts", "-o", join(project, "out", "app.cjs"), "--json"], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    const warning = JSON.parse(r.stdout).warnings.find((w: { text: string }) => w.text.includes("data/prices.json"));
    expect(warning).toMatchObject({ file: join(project, "index.ts"), line: 4 });
    expect(warning.hint).toContain('"assets": ["data/prices.json"]');
    const fixed = await runCli(["bundle", "index.ts", "--asset", "data/*.json", "-o", join(project, "out", "app.cjs"), "--json"], { cwd: project });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(JSON.parse(fixed.stdout).warnings.filter((w: { text: string }) => w.text.includes("prices.json"))).toEqual([]);
    expect(await get(process.execPath, ["app.cjs"], join(project, "out"), ["/"])).toEqual([{ status: 200, body: '{"apple":3}' }]);
  });

  it("a glob matching nothing is a usage error naming it (exit 2), and nothing is written", async () => {
    const r = await runCli(["bundle", "index.ts", "--asset", "views/**", "-o", join(project, "none", "app.cjs")], { cwd: project });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('asset "views/**" matches no file');
    expect(() => readFileSync(join(project, "none", "app.cjs"))).toThrow();
  });

  it("a path outside the project is refused (exit 2)", async () => {
    const r = await runCli(["bundle", "index.ts", "--asset", "../express/**", "-o", join(project, "out2", "app.cjs")], { cwd: project });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/outside the project root/);
  });

  it("an asset named like the Lambda zip's bootstrap is refused (exit 2) before the zip is written", async () => {
    const zip = join(project, "fn.zip");
    const r = await runCli(["pack", "lambda", "index.ts", "--arch", hostArch, "--asset", "bootstrap", "-o", zip], { cwd: project });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("asset bootstrap");
    expect(r.stderr).toContain("collides with the bootstrap in the Lambda zip");
    expect(() => readFileSync(zip)).toThrow();
  });

  it("an output onto an asset is refused: an output never overwrites an input", async () => {
    const r = await runCli(["bundle", "index.ts", "--asset", "data/**", "-o", join(project, "data", "prices.json")], { cwd: project });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("would overwrite an input");
    expect(readFileSync(join(project, "data", "prices.json"), "utf8")).toBe('{"apple": 3}\n');
  });
});
