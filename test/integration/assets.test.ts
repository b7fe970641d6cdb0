// Runtime files ("assets", issue 27): two real services that read their own files answer from
// every artifact. fastify-autoload (no config: @fastify/autoload's plugins/ and routes/, an
// @fastify/static root) and express-static (express.static(__dirname + "/assets") known, a
// template read from process.cwd() shipped by its config's "assets"). Each is run from the
// bundle, the executable, the Lambda zip (binship invoke with an API Gateway event) and the
// image's root filesystem (buildah, on the local distroless stand-in). Then the warning for a
// read binship cannot see, and the errors: a glob matching nothing, a path outside the project,
// a collision with the artifact's own files, an output onto an asset.

import { execFile } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appsDir, fixturesDir, runCli, tempDir } from "../helpers/cli.js";
import { parseDepfile } from "../helpers/depfile.js";
import { httpRequest } from "../helpers/http.js";
import { startOciBase } from "../helpers/oci-base.js";
import { startService } from "../helpers/process.js";
import { requireTools } from "../helpers/tools.js";
import { hostArch, imageBuilder, type ImageBuilder, type MountedImage } from "../helpers/buildah-image.js";

const run = promisify(execFile);

const work = tempDir("binship-assets-");
const fastify = join(appsDir, "fastify-autoload");
const express = join(appsDir, "express-static");

/** GET path from a service started as `command args` in `cwd` (the artifact's directory, as Lambda and the image run it). */
async function get(command: string, args: string[], cwd: string, paths: string[], env?: Record<string, string>): Promise<{ status: number; body: string }[]> {
  const svc = await startService(command, args, { cwd, timeoutMs: 60_000, env });
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

  it("the size report and --json count the runtime files' bytes", async () => {
    const files = ["src/assets/css/site.css", "templates/page.html"];
    const bytes = files.map((f) => statSync(join(express, f)).size);
    const report = join(work, "express-report.html");
    const r = await runCli(["inspect", join(out.express, "fn.zip"), "--report", report]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`assets       2 runtime files, ${bytes[0]! + bytes[1]!} B (at the zip's root)`);
    const html = readFileSync(report, "utf8");
    expect(html).toContain(`"title":"runtime files (at the zip's root, beside bootstrap)","unit":"bytes","root":{"name":"runtime files","bytes":${bytes[0]! + bytes[1]!}`);
    const json = await runCli(["bundle", "-o", join(work, "express-json", "app.cjs"), "--json"], { cwd: express });
    expect(JSON.parse(json.stdout).assets).toEqual(files.map((name, i) => ({ name, bytes: bytes[i], mode: 0o644 })));
  });

  it("the depfile names every runtime file, so make rebuilds when one changes", () => {
    const { deps } = parseDepfile(readFileSync(join(out.fastify, "bundle.d"), "utf8"));
    for (const f of ["public/index.html", "plugins/greeter.ts", "routes/users/index.ts"]) expect(deps).toContain(f);
  });
});

const canBuild = requireTools("buildah", "apt-get", "dpkg-deb", "unshare");

describe.runIf(canBuild)("runtime files in the container image (the default node layout, and the executable layout)", () => {
  let images: Record<string, MountedImage> = {};
  let builder: ImageBuilder | undefined;

  /**
   * GETs `paths` from the image's entrypoint run as a runtime would: root directory the image's
   * filesystem, working directory its WorkingDir, its User, its Env (unshare --root/--wd/--setuid;
   * chroot alone would start in / and miss WorkingDir).
   */
  async function serveImage(img: MountedImage, paths: string[]) {
    const [uid, gid] = img.config.User.split(":");
    // The image's Env but PORT: the test's free port stands in for the container's 8080.
    const env = Object.fromEntries((img.config.Env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]).filter(([k]) => k !== "PORT"));
    const args = [`--root=${img.rootfs}`, `--wd=${img.config.WorkingDir ?? "/"}`, "--setuid", uid!, "--setgid", gid ?? uid!, ...img.command];
    return get("unshare", args, work, paths, env);
  }

  beforeAll(async () => {
    const b = (builder = await imageBuilder(work));
    images = {
      fastify: await b.image("fastify", ["index.ts"], fastify),
      express: await b.image("express", [], express),
      expressExe: await b.image("express-exe", ["--layout", "executable"], express),
    };
  }, 900_000);

  afterAll(() => builder?.cleanup());

  it("fastify-autoload: the files are under /app beside app.cjs and Node's compile cache, WORKDIR /app, and the image answers from them as uid 65532", async () => {
    const { rootfs, config } = images.fastify!;
    expect(config.Entrypoint).toEqual(["/usr/local/bin/node", "/app/app.cjs"]); // the default node layout
    expect(config.User).toMatch(/^65532/);
    expect(config.WorkingDir).toBe("/app");
    expect(readFileSync(join(rootfs, "app", "public", "index.html"), "utf8")).toBe(fastifyAnswers[1]!.body);
    expect(readdirSync(join(rootfs, "app")).sort()).toEqual(["app.cjs", "compile-cache", "plugins", "public", "routes"]);
    expect(await serveImage(images.fastify!, ["/users/ann", "/static/index.html"])).toEqual(fastifyAnswers);
  }, 120_000);

  it("express-static: express.static(__dirname + ...) and the process.cwd() template answer from the image as uid 65532", async () => {
    const { rootfs, config } = images.express!;
    expect(config.Entrypoint).toEqual(["/usr/local/bin/node", "/app/app.cjs"]);
    expect(readFileSync(join(rootfs, "app", "templates", "page.html"), "utf8")).toBe("<h1>hello, {{name}}</h1>\n");
    expect(await serveImage(images.express!, ["/css/site.css", "/page?name=ann"])).toEqual(expressAnswers);
  }, 120_000);

  it("--layout executable: the same files beside /app/<name>, and the executable answers from them", async () => {
    const { rootfs, config } = images.expressExe!;
    expect(config.Entrypoint).toEqual(["/app/express-exe"]);
    expect(config.WorkingDir).toBe("/app");
    expect(readdirSync(join(rootfs, "app")).sort()).toEqual(["express-exe", "src", "templates"]);
    expect(await serveImage(images.expressExe!, ["/css/site.css", "/page?name=ann"])).toEqual(expressAnswers);
  }, 120_000);
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
    expect(r.stderr).toContain("-o data/prices.json would overwrite an input of this build: it is the asset data/prices.json");
    expect(readFileSync(join(project, "data", "prices.json"), "utf8")).toBe('{"apple": 3}\n');
    expect(readdirSync(join(project, "data")).sort()).toEqual(["prices.json", "stock.json"]); // no copy of data/ was placed either
  });

  it("a symbolic link in an asset folder that resolves outside the project is refused (exit 2) naming the link and its target", async () => {
    mkdirSync(join(project, "linked"), { recursive: true });
    writeFileSync(join(project, "linked", "ok.txt"), "ok\n");
    const outsideFile = join(work, "secret.txt");
    writeFileSync(outsideFile, "not the project's\n");
    rmSync(join(project, "linked", "secret.txt"), { force: true });
    symlinkSync(outsideFile, join(project, "linked", "secret.txt"));
    try {
      const r = await runCli(["bundle", "index.ts", "--asset", "linked/**", "-o", join(project, "out-link", "app.cjs")], { cwd: project });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`matches linked/secret.txt, which a symbolic link resolves to ${outsideFile}, outside the project root`);
      expect(existsSync(join(project, "out-link"))).toBe(false);
    } finally {
      rmSync(join(project, "linked"), { recursive: true, force: true });
    }
  });

  it("build: an asset named like the executable or the depfile is refused (exit 2) before the executable is written", async () => {
    writeFileSync(join(project, "app"), "not an executable\n");
    try {
      const exe = await runCli(["build", "index.ts", "--arch", hostArch, "--asset", "app", "-o", join(project, "dist", "app")], { cwd: project });
      expect(exe.code).toBe(2);
      expect(exe.stderr).toContain("asset app (from \"app\") collides with the -o output dist/app");
      const dep = await runCli(["build", "index.ts", "--arch", hostArch, "--asset", "data/prices.json", "--depfile", join(project, "dist", "data", "prices.json"), "-o", join(project, "dist", "svc")], { cwd: project });
      expect(dep.code).toBe(2);
      expect(dep.stderr).toContain("collides with the --depfile output dist/data/prices.json");
      expect(existsSync(join(project, "dist"))).toBe(false); // neither run left an executable, a depfile or a copy
    } finally {
      rmSync(join(project, "app"), { force: true });
    }
  });

  it("pack container (node layout): an asset named app.cjs collides with the bundle in /app (exit 2), and no recipe is written", async () => {
    writeFileSync(join(project, "app.cjs"), "module.exports = 1;\n");
    try {
      const out = join(project, "container");
      const r = await runCli(["pack", "container", "index.ts", "--arch", hostArch, "--asset", "app.cjs", "-o", out, "--image", "registry.example.com/team/svc:1"], { cwd: project });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("asset app.cjs (from \"app.cjs\") collides with the bundle (/app/app.cjs) in the image");
      expect(existsSync(out)).toBe(false);
    } finally {
      rmSync(join(project, "app.cjs"), { force: true });
    }
  });
});

describe("runtime files: determinism and reuse", () => {
  const index = [
    'import { readFileSync } from "node:fs";',
    'import { join } from "node:path";',
    'export default { fetch: (req: Request) => new Response(readFileSync(join(__dirname, new URL(req.url).pathname), "utf8")) };',
    "",
  ].join("\n");

  /** A project with a few hundred runtime files; `variant` changes what the zip must not see: mtimes, non-x mode bits, creation order. */
  function project(name: string, variant: number): string {
    const dir = join(work, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "index.ts"), index);
    const order = [...Array(300).keys()];
    if (variant) order.reverse();
    for (const i of order) {
      const file = join(dir, "public", `d${i % 7}`, `e${i % 3}`, `f${i}.txt`);
      mkdirSync(join(file, ".."), { recursive: true });
      writeFileSync(file, `file ${i}\n`.repeat(i % 13));
      chmodSync(file, i % 5 === 0 ? (variant ? 0o700 : 0o775) : variant ? 0o600 : 0o664);
      utimesSync(file, 1_000_000 + i * (variant + 1), 1_000_000 + i * (variant + 1));
    }
    return dir;
  }

  const packZip = async (cwd: string, out: string) => {
    const r = await runCli(["pack", "lambda", "index.ts", "--arch", hostArch, "--layout", "layer", "--asset", "public/**", "-o", out, "--json"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { sha256: string; changed: boolean; entries: { name: string; mode: number }[] };
  };

  it("two trees with the same files give byte-identical Lambda zips (sorted, fixed modes and times); a changed asset changes the zip, an unchanged one reuses it", async () => {
    const a = project("det-a", 0);
    const b = project("det-b", 1);
    const za = await packZip(a, join(a, "dist", "fn.zip"));
    const zb = await packZip(b, join(b, "dist", "fn.zip"));
    expect(zb.sha256).toBe(za.sha256);
    expect(readFileSync(join(b, "dist", "fn.zip")).equals(readFileSync(join(a, "dist", "fn.zip")))).toBe(true);
    const names = za.entries.map((e) => e.name).filter((n) => n.startsWith("public/"));
    expect(names).toHaveLength(300);
    expect(names).toEqual([...names].sort());
    expect(new Set(za.entries.filter((e) => e.name.startsWith("public/")).map((e) => e.mode))).toEqual(new Set([0o644, 0o755]));
    const { stdout } = await run("zipinfo", ["-T", join(a, "dist", "fn.zip"), "public/d0/e0/f0.txt"]);
    expect(stdout).toContain("19800101.000000"); // the zip epoch, not the file's mtime
    // Unchanged: reused as it is; one asset's bytes changed: a new zip holding them.
    expect((await packZip(a, join(a, "dist", "fn.zip"))).changed).toBe(false);
    writeFileSync(join(a, "public", "d1", "e1", "f1.txt"), "changed\n");
    const changed = await packZip(a, join(a, "dist", "fn.zip"));
    expect([changed.changed, changed.sha256 === za.sha256]).toEqual([true, false]);
    expect((await run("unzip", ["-p", join(a, "dist", "fn.zip"), "public/d1/e1/f1.txt"])).stdout).toBe("changed\n");
  });

  it("bundle: a rerun leaves unchanged copies alone, removes the copy of an asset no longer shipped, and never a file it did not copy", async () => {
    const dir = project("prune", 0);
    const bundleIt = async () => {
      const r = await runCli(["bundle", "index.ts", "--asset", "public/**", "-o", join(dir, "dist", "app.cjs")], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
    };
    await bundleIt();
    const kept = join(dir, "dist", "public", "d3", "e0", "f3.txt");
    const mtime = statSync(kept).mtimeMs;
    writeFileSync(join(dir, "dist", "public", "d1", "e1", "mine.txt"), "the user's own\n");
    rmSync(join(dir, "public", "d0"), { recursive: true }); // assets removed from the project
    await bundleIt();
    expect(existsSync(join(dir, "dist", "public", "d0"))).toBe(false); // their copies and the emptied folders are gone
    expect(readFileSync(join(dir, "dist", "public", "d1", "e1", "mine.txt"), "utf8")).toBe("the user's own\n");
    expect(statSync(kept).mtimeMs).toBe(mtime); // unchanged: not rewritten, so make sees no change
  });

  it("the daemonless image of two such trees is the same image (same digest); its app layer holds the files under /app, root's, with fixed modes and mtime, WORKDIR /app", async () => {
    const base = await startOciBase();
    try {
      const image = async (cwd: string, layout: string) => {
        const args = ["pack", "container", "index.ts", "--arch", hostArch, "--asset", "public/**", "-o", join(cwd, "container"), "--name", "det", "--image", "registry.example.com/team/det:1"];
        const r = await runCli([...args, "--base", base.reference, "--insecure-registry", "--oci-layout", layout, "--json"], { cwd });
        expect(r.code, r.stderr).toBe(0);
        return JSON.parse(r.stdout).index.digest as string;
      };
      const a = project("img-a", 0);
      const b = project("img-b", 1);
      const layout = join(work, "layout-a");
      const digest = await image(a, layout);
      expect(await image(b, join(work, "layout-b"))).toBe(digest);
      // The platform's manifest: its config and its last layer (the app's).
      const blob = (d: string) => readFileSync(join(layout, "blobs", "sha256", d.replace("sha256:", "")));
      const top = JSON.parse(blob(JSON.parse(readFileSync(join(layout, "index.json"), "utf8")).manifests[0].digest).toString());
      const manifest = JSON.parse(blob(top.manifests[0].digest).toString());
      expect(JSON.parse(blob(manifest.config.digest).toString()).config.WorkingDir).toBe("/app");
      const listing = (await run("tar", ["-tvzf", join(layout, "blobs", "sha256", manifest.layers.at(-1).digest.replace("sha256:", ""))], { maxBuffer: 16 << 20 })).stdout;
      const assetLines = listing.split("\n").filter((l) => / app\/public\/.*\.txt$/.test(l));
      expect(assetLines).toHaveLength(300);
      for (const line of assetLines) expect(line).toMatch(/^-rw(-|x)r-(-|x)r-(-|x) 0\/0 +\d+ 1970-01-01 00:00 app\/public\//);
      // A changed asset is a new image.
      writeFileSync(join(a, "public", "d2", "e2", "f2.txt"), "changed\n");
      expect(await image(a, join(work, "layout-c"))).not.toBe(digest);
    } finally {
      await base.stop();
    }
  });
});
