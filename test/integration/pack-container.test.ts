// `binship pack container` end to end: the CLI builds real executables for both
// architectures, the recipe is built for the host architecture with buildah against a local
// stand-in for distroless cc (assembled from Debian packages by
// test/fixtures/container-base/build.sh), and the image's root filesystem runs the service
// as uid 65532: HTTP on $PORT, SIGTERM, and the Lambda Runtime API mode.

import { execFile, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { startEmulator } from "../../src/emulator/index.js";
import { inspectFile } from "../../src/inspect/index.js";
import { httpEvent, readResult } from "../fixtures/events/index.js";
import { appsDir, fixturesDir, runCli, tempDir, type CliResult } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { startService, type Service } from "../helpers/process.js";
import { requireTools } from "../helpers/tools.js";

const run = promisify(execFile);
const entry = join(appsDir, "express", "index.ts");
const image = "registry.example.com/team/svc:1.4.0";
const hostDockerArch = process.arch === "arm64" ? "arm64" : "amd64";

let work: string;
let outA: string; // first pack: default architectures
let outB: string; // second pack of the same inputs
let packA: CliResult;

/** sha256 of every file under `dir`, by relative path, with its mode. */
function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[relative(dir, p)] = `${(st.mode & 0o777).toString(8)} ${createHash("sha256").update(readFileSync(p)).digest("hex")}`;
    }
  };
  walk(dir);
  return out;
}

const pack = (out: string, ...extra: string[]) => runCli(["pack", "container", entry, "-o", out, "--image", image, "--name", "svc", ...extra]);

beforeAll(async () => {
  work = tempDir("binship-pack-container-");
  outA = join(work, "a", "container");
  outB = join(work, "b", "container");
  packA = await pack(outA, "--json");
  expect(packA.code, packA.stderr).toBe(0);
  const packB = await pack(outB);
  expect(packB.code, packB.stderr).toBe(0);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("pack container", () => {
  it("writes the recipe, one executable per architecture under Docker's names, and k8s/", async () => {
    expect(readdirSync(outA).sort()).toEqual([".dockerignore", "Dockerfile", "README.md", "app-amd64", "app-arm64", "k8s"]);
    expect(readdirSync(join(outA, "k8s")).sort()).toEqual(["deployment.yaml", "hpa.yaml", "pdb.yaml", "service.yaml"]);
    const amd64 = await inspectFile(join(outA, "app-amd64"));
    const arm64 = await inspectFile(join(outA, "app-arm64"));
    expect([amd64.arch, arm64.arch]).toEqual(["x64", "arm64"]);
    expect(amd64.sea && arm64.sea).toBe(true);
    expect(statSync(join(outA, "app-amd64")).mode & 0o777).toBe(0o755);
    const json = JSON.parse(packA.stdout);
    expect(json).toMatchObject({ dir: outA, changed: true, layout: "executable", base: "gcr.io/distroless/cc-debian13:nonroot", image, name: "svc", platforms: ["linux/amd64", "linux/arm64"] });
    expect(json.executables.map((e: { dockerArch: string; sha256: string }) => [e.dockerArch, e.sha256]).sort()).toEqual([
      ["amd64", amd64.sha256],
      ["arm64", arm64.sha256],
    ]);
    const deployment = parseYaml(readFileSync(join(outA, "k8s", "deployment.yaml"), "utf8"));
    expect(deployment.spec.template.spec.containers[0].image).toBe(image);
  });

  it("gives identical trees for identical inputs (every file hashed)", () => {
    const a = hashTree(outA);
    expect(Object.keys(a)).toHaveLength(9);
    expect(hashTree(outB)).toEqual(a);
  });

  it("leaves an unchanged directory alone on a repeated pack, mtimes included", async () => {
    const old = new Date("2021-06-01T00:00:00Z");
    utimesSync(join(outB, "app-arm64"), old, old);
    const again = await pack(outB);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("(unchanged)");
    expect(statSync(join(outB, "app-arm64")).mtime).toEqual(old);
  });

  it("--arch x64 --no-k8s: one executable, no manifests", async () => {
    const out = join(work, "one", "container");
    const r = await pack(out, "--arch", "x64", "--no-k8s");
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual([".dockerignore", "Dockerfile", "README.md", "app-amd64"]);
    expect(readFileSync(join(out, "README.md"), "utf8")).toContain("--platform linux/amd64 ");
  });

  it("refuses to replace a directory it did not write, and exits 2", async () => {
    const dir = join(work, "user-dir");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "mine");
    const r = await pack(dir, "--arch", "x64");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to replace .*user-dir: it is not empty and was not written by binship pack container/);
    expect(readdirSync(dir)).toEqual(["notes.txt"]);
  });

  it("rejects a bad --image with exit 2 and the expected form", async () => {
    const r = await pack(join(work, "bad-image"), "--image", "Not An Image");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--image "Not An Image" is not an image reference');
    expect(r.stderr).toMatch(/hint: .*registry\.example\.com\/team\/svc:1\.4\.0/);
  });

  it.runIf(requireTools("gcc"))("fails on an executable needing libatomic.so.1 with the fix, leaving the previous output", async () => {
    const fake = join(work, "needs-libatomic");
    execFileSync("gcc", ["-x", "c", "-", "-o", fake, "-Wl,--no-as-needed", "-latomic"], { input: "int main(void) { return 0; }\n" });
    const before = hashTree(outB);
    const r = await runCli(["pack", "container", "--executable", fake, "-o", outB, "--image", image, "--name", "svc"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("binship: error: app-amd64 needs libatomic.so.1, which gcr.io/distroless/cc-debian13:nonroot does not contain");
    expect(r.stderr).toMatch(/hint: Node 26 and later link libatomic\.so\.1\. Use --layout bundle .* --node 24/);
    expect(hashTree(outB)).toEqual(before);
    expect(readdirSync(join(work, "b"))).toEqual(["container"]);
  });

  it("--layout bundle: app.cjs on distroless Node, answering the probe paths the manifests use", async () => {
    const project = join(work, "bundle-project");
    mkdirSync(project);
    writeFileSync(join(project, "binship.config.json"), JSON.stringify({ entry, livenessPath: "/-/live", readinessPath: "/-/ready", layout: "bundle" }));
    const r = await runCli(["pack", "container", "--name", "svc", "--image", image], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    const out = join(project, "dist", "container");
    expect(readdirSync(out).sort()).toEqual([".dockerignore", "Dockerfile", "README.md", "app.cjs", "k8s"]);
    expect(readFileSync(join(out, "Dockerfile"), "utf8")).toContain("ARG BASE=gcr.io/distroless/nodejs24-debian13:nonroot\n");
    const c = parseYaml(readFileSync(join(out, "k8s", "deployment.yaml"), "utf8")).spec.template.spec.containers[0];
    let svc: Service | undefined;
    try {
      svc = await startService(process.execPath, [join(out, "app.cjs")]);
      for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) {
        expect((await httpRequest(`${svc.url}${probe.httpGet.path}`)).status, probe.httpGet.path).toBe(200);
      }
      expect((await httpRequest(`${svc.url}/healthz`)).status).toBe(404);
    } finally {
      await svc?.stop();
    }
  });
});

// buildah needs root with the vfs driver here (no overlay in this sandbox); chroot runs the image's root.
const canBuild = requireTools("buildah", "apt-get", "dpkg-deb", "chroot");

describe.runIf(canBuild)("the image, built by buildah from the generated recipe", () => {
  const buildah = (...args: string[]) => run("buildah", ["--storage-driver", "vfs", ...args], { maxBuffer: 16 << 20 });
  const tag = `localhost/binship-test/svc:${process.pid}`;
  let container: string | undefined;
  let rootfs: string;

  beforeAll(async () => {
    const base = (await run(join(fixturesDir, "container-base", "build.sh"), [join(work, "standin")])).stdout.trim();
    // --pull=never: the base exists only locally, and no registry is reachable anyway.
    await buildah("bud", "--pull=never", "--platform", `linux/${hostDockerArch}`, "--build-arg", `BASE=${base}`, "-t", tag, outA);
    container = (await buildah("from", "--pull=never", tag)).stdout.trim();
    rootfs = (await buildah("mount", container)).stdout.trim();
  });

  afterAll(async () => {
    if (container) {
      await buildah("umount", container).catch(() => undefined);
      await buildah("rm", container).catch(() => undefined);
    }
    await buildah("rmi", tag).catch(() => undefined);
  });

  it("is distroless-shaped: nonroot user, exec-form entrypoint, PORT, one executable of the host arch, no shell", async () => {
    const config = JSON.parse((await buildah("inspect", "--type", "image", tag)).stdout).OCIv1.config;
    expect(config.User).toBe("65532:65532");
    expect(config.Entrypoint).toEqual(["/app/svc"]);
    expect(config.ExposedPorts).toEqual({ "8080/tcp": {} });
    expect(config.Env).toContain("PORT=8080");
    expect(readdirSync(join(rootfs, "app"))).toEqual(["svc"]);
    expect(statSync(join(rootfs, "app", "svc")).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(rootfs, "app", "svc")).equals(readFileSync(join(outA, `app-${hostDockerArch}`)))).toBe(true);
    for (const shell of ["bin/sh", "usr/bin/sh", "bin/bash"]) expect(() => statSync(join(rootfs, shell)), shell).toThrow();
  });

  it("serves HTTP as uid 65532 in the image's root and exits 0 on SIGTERM within the manifests' grace period", async () => {
    const grace = parseYaml(readFileSync(join(outA, "k8s", "deployment.yaml"), "utf8")).spec.template.spec.terminationGracePeriodSeconds as number;
    const svc = await startService("chroot", ["--userspec=65532:65532", rootfs, "/app/svc"]);
    try {
      const status = readFileSync(`/proc/${svc.child.pid}/status`, "utf8");
      expect(status).toMatch(/^Uid:\s+65532\s+65532\s+65532\s+65532$/m);
      expect(status).toMatch(/^Gid:\s+65532\s+65532\s+65532\s+65532$/m);
      const hello = await httpRequest(`${svc.url}/hello?name=container`);
      expect(hello.status).toBe(200);
      expect(JSON.parse(hello.body.toString())).toEqual({ message: "hello, container" });
      expect((await httpRequest(`${svc.url}/healthz`)).status).toBe(200);
      expect((await httpRequest(`${svc.url}/readyz`)).status).toBe(200);
      svc.child.kill("SIGTERM");
      const exit = await Promise.race([svc.exited, new Promise((r) => setTimeout(() => r("still running"), grace * 1000))]);
      expect(exit, svc.output()).toEqual({ code: 0, signal: null });
    } finally {
      await svc.stop();
    }
  });

  it("runs the Lambda Runtime API loop instead when AWS_LAMBDA_RUNTIME_API is set", async () => {
    const emulator = await startEmulator({ timeoutMs: 30_000 });
    const child = spawn("chroot", ["--userspec=65532:65532", rootfs, "/app/svc"], { env: { ...emulator.env, PATH: process.env.PATH }, stdio: "ignore" });
    try {
      const result = await emulator.invoke(httpEvent("apigw-v2", { path: "/hello", query: [["name", "lambda"]] }));
      expect(result.status).toBe("ok");
      const seen = readResult("apigw-v2", result.payload);
      expect(seen.status).toBe(200);
      expect(JSON.parse(seen.body.toString())).toEqual({ message: "hello, lambda" });
    } finally {
      child.kill("SIGKILL");
      await emulator.close();
    }
  });
});
