// `binship pack container` end to end: the CLI builds real executables for both
// architectures; buildah builds the recipe for both platforms against local stand-ins for
// distroless cc (assembled from Debian packages by test/fixtures/container-base/build.sh); the
// host image's root filesystem runs the service as uid 65532 (HTTP on $PORT, SIGTERM, the
// Lambda Runtime API mode), the other image's executable starts on its own libraries, and the
// bundle layout runs on a stand-in for distroless Node (the cc stand-in plus the official Node).

import { execFile, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { startEmulator } from "../../src/invoke/emulator/index.js";
import { cacheDirFrom } from "../../src/executable/index.js";
import { inspectFile } from "../../src/inspect/index.js";
import { silentLogger } from "../../src/log.js";
import { provisionNode, registryFromNpmConfig } from "../../src/node-dist/index.js";
import { httpEvent, readResult } from "../fixtures/events/index.js";
import { appsDir, binshipBin, fixturesDir, repoRoot, runCli, tempDir, type CliResult } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { startService, type Service } from "../helpers/process.js";
import { requireTools } from "../helpers/tools.js";

const run = promisify(execFile);
const entry = join(appsDir, "express", "index.ts");
const image = "registry.example.com/team/svc:1.4.0";
const hostDockerArch = process.arch === "arm64" ? "arm64" : "amd64";
// Tests that build executables (a Node download on a cold cache, pkg, ~100 MB files) on a shared
// 2-core machine: generous, so a slow machine is not a failure.
const buildTimeout = 240_000;

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

const pack = (out: string, ...extra: string[]) => runCli(["pack", "container", entry, "--layout", "executable", "-o", out, "--image", image, "--name", "svc", ...extra]);

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
    expect(readdirSync(outA).sort()).toEqual([".binship-k8s.json", ".dockerignore", "Dockerfile", "README.md", "app-amd64", "app-arm64", "k8s", "sbom-amd64.cdx.json", "sbom-arm64.cdx.json"]);
    expect(readdirSync(join(outA, "k8s")).sort()).toEqual(["deployment.yaml", "hpa.yaml", "kustomization.yaml", "pdb.yaml", "service.yaml"]);
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
    expect(Object.keys(a)).toHaveLength(13);
    expect(hashTree(outB)).toEqual(a);
  });

  it("leaves an unchanged directory alone on a repeated pack, mtimes included", async () => {
    const old = new Date("2021-06-01T00:00:00Z");
    utimesSync(join(outB, "app-arm64"), old, old);
    const again = await pack(outB);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("(unchanged)");
    expect(statSync(join(outB, "app-arm64")).mtime).toEqual(old);
  }, buildTimeout);

  it("an interrupted pack (SIGINT, as from make) leaves the previous directory and no temporary one", async () => {
    const parent = join(work, "b");
    const before = hashTree(outB);
    const child = spawn(process.execPath, [binshipBin, "pack", "container", entry, "--layout", "executable", "-o", outB, "--image", image, "--name", "svc", "--port", "9090"], { stdio: "ignore" });
    const exited = once(child, "exit");
    // The temporary directory appears once packing has started; interrupt the build then.
    while (!readdirSync(parent).some((n) => n.startsWith(".container."))) {
      expect(child.exitCode, "pack finished before it could be interrupted").toBeNull();
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGINT");
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: null, signal: "SIGINT" });
    expect(readdirSync(parent)).toEqual(["container"]);
    expect(hashTree(outB)).toEqual(before);
  }, buildTimeout);

  it("--arch x64 --no-k8s: one executable, no manifests", async () => {
    const out = join(work, "one", "container");
    const r = await pack(out, "--arch", "x64", "--no-k8s");
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual([".dockerignore", "Dockerfile", "README.md", "app-amd64", "sbom-amd64.cdx.json"]);
    expect(readFileSync(join(out, "README.md"), "utf8")).toContain("--platform linux/amd64 ");
  }, buildTimeout);

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

  it("rejects a --port that is not a port, and --executable with --layout bundle, with exit 2", async () => {
    const port = await pack(join(work, "bad-port"), "--port", "http");
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port must be a number, got "http"');
    const mixed = await pack(join(work, "mixed"), "--layout", "bundle", "--executable", join(outA, "app-amd64"));
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain("--executable cannot be used with --layout bundle");
    expect(() => statSync(join(work, "mixed"))).toThrow();
  });

  it.runIf(requireTools("gcc"))("fails on an executable needing libatomic.so.1 with the fix, leaving the previous output", async () => {
    const fake = join(work, "needs-libatomic");
    execFileSync("gcc", ["-x", "c", "-", "-o", fake, "-Wl,--no-as-needed", "-latomic"], { input: "int main(void) { return 0; }\n" });
    const before = hashTree(outB);
    const r = await runCli(["pack", "container", "--executable", fake, "-o", outB, "--image", image, "--name", "svc"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`app-${hostDockerArch} needs libatomic.so.1, which gcr.io/distroless/cc-debian13:nonroot does not have`);
    expect(r.stderr).toMatch(/hint: Node 26 and later link libatomic\.so\.1\. Use --layout bundle .* --node 24/);
    expect(hashTree(outB)).toEqual(before);
    expect(readdirSync(join(work, "b"))).toEqual(["container"]);
  });

  it("refuses a real Node 26 executable on distroless cc: it links libatomic.so.1", async () => {
    const out = join(work, "node26", "container");
    const r = await pack(out, "--node", "26", "--arch", process.arch === "arm64" ? "arm64" : "x64");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`binship: error: .*container was not written: app-${hostDockerArch} needs libatomic.so.1, which gcr.io/distroless/cc-debian13:nonroot does not have`));
    expect(existsSync(join(work, "node26")) ? readdirSync(join(work, "node26")) : []).toEqual([]); // nothing written, not even the parent
  }, buildTimeout);

  it("the default node layout ships Node's compile cache; --no-code-cache leaves it out, and NODE_COMPILE_CACHE with it", async () => {
    const arch = process.arch === "arm64" ? "arm64" : "x64";
    const packNode = async (out: string, ...extra: string[]) => {
      const r = await runCli(["pack", "container", entry, "--arch", arch, "--no-k8s", "-o", out, "--image", image, "--name", "svc", ...extra]);
      expect(r.code, r.stderr).toBe(0);
      return readFileSync(join(out, "Dockerfile"), "utf8");
    };
    const withCache = join(work, "node-cc");
    expect(await packNode(withCache)).toContain("ENV NODE_COMPILE_CACHE=/app/compile-cache");
    expect(readdirSync(join(withCache, "compile-cache"))).toEqual([expect.stringMatching(new RegExp(`^v24\\.\\d+\\.\\d+-${arch}-[0-9a-f]{8}-65532$`))]);
    const without = join(work, "node-nocc");
    expect(await packNode(without, "--no-code-cache")).not.toContain("NODE_COMPILE_CACHE");
    expect(readdirSync(without).sort()).toEqual([".dockerignore", "Dockerfile", "README.md", "app.cjs", `node-${hostDockerArch}`, `sbom-${hostDockerArch}.cdx.json`]);
  }, buildTimeout);

  it("--layout bundle: app.cjs on distroless Node, answering the probe paths the manifests use", async () => {
    const project = join(work, "bundle-project");
    mkdirSync(project);
    writeFileSync(join(project, "binship.config.json"), JSON.stringify({ entry, livenessPath: "/-/live", readinessPath: "/-/ready", container: { layout: "bundle" } }));
    // The layout comes from the config file alone: a --layout flag would override it.
    const r = await runCli(["pack", "container", "--name", "svc", "--image", image], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    const out = join(project, "dist", "container");
    expect(readdirSync(out).sort()).toEqual([".binship-k8s.json", ".dockerignore", "Dockerfile", "README.md", "app.cjs", "k8s"]);
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

// buildah runs as root with the vfs driver (no overlay in this sandbox); chroot runs the image's
// root as uid 65532; qemu-aarch64 runs the arm64 image's root on an x86 host (and vice versa).
const otherDockerArch = hostDockerArch === "amd64" ? "arm64" : "amd64";
const qemuForOther = otherDockerArch === "arm64" ? "qemu-aarch64" : "qemu-x86_64";
const canBuild = requireTools("buildah", "apt-get", "dpkg-deb", "chroot", qemuForOther);

describe.runIf(canBuild)("the image, built by buildah from the generated recipe", () => {
  const buildah = async (...args: string[]) => (await run("buildah", ["--storage-driver", "vfs", ...args], { maxBuffer: 16 << 20 })).stdout.trim();
  const tag = `localhost/binship-test/svc:${process.pid}`;
  const baseList = `localhost/binship-test/cc-standin-list:${process.pid}`;
  const singleTag = `localhost/binship-test/svc-single:${process.pid}`;
  const nodeTag = `localhost/binship-test/nodejs24-standin:${process.pid}`;
  const bundleTag = `localhost/binship-test/svc-bundle:${process.pid}`;
  const containers: string[] = [];
  const images: string[] = [];
  const rootfs: Record<string, string> = {};

  /** A working container of the image for `arch`, mounted; returns its root directory. */
  async function mountImage(ref: string, arch: string): Promise<string> {
    const container = await buildah("from", "--pull=never", "--platform", `linux/${arch}`, ref);
    containers.push(container);
    images.push(JSON.parse(await buildah("inspect", "--type", "container", container)).FromImageID);
    return buildah("mount", container);
  }

  beforeAll(async () => {
    const standin = (arch: string) => run(join(fixturesDir, "container-base", "build.sh"), [join(work, "standin"), arch]).then((r) => r.stdout.trim());
    const bases = [await standin(hostDockerArch), await standin(otherDockerArch)];
    // A manifest list of the two stand-ins plays the multi-arch distroless image.
    await buildah("manifest", "create", baseList);
    for (const base of bases) await buildah("manifest", "add", baseList, `containers-storage:${base}`);
    // --pull=never: the bases exist only locally, and no registry is reachable anyway.
    await buildah("bud", "--pull=never", "--platform", `linux/${hostDockerArch},linux/${otherDockerArch}`, "--manifest", tag, "--build-arg", `BASE=${baseList}`, outA);
    rootfs[hostDockerArch] = await mountImage(tag, hostDockerArch);
    rootfs[otherDockerArch] = await mountImage(tag, otherDockerArch);
    // The plain single-platform build a developer runs first: no --platform at all.
    await buildah("bud", "--pull=never", "--build-arg", `BASE=${bases[0]}`, "-t", singleTag, outA);
    rootfs.single = await mountImage(singleTag, hostDockerArch);

    // --layout bundle on a stand-in for distroless nodejs24: the cc stand-in plus the official
    // Node 24 binary at /nodejs/bin/node, where distroless puts it.
    const node = await provisionNode({ spec: "24", arch: process.arch === "arm64" ? "arm64" : "x64", cacheDir: cacheDirFrom(process.env, repoRoot), registry: registryFromNpmConfig(process.env, repoRoot), logger: silentLogger });
    const nodeBase = await buildah("from", "--pull=never", bases[0]!);
    containers.push(nodeBase);
    await buildah("copy", "--chmod", "0755", nodeBase, node.target.path, "/nodejs/bin/node");
    await buildah("config", "--entrypoint", '["/nodejs/bin/node"]', nodeBase);
    await buildah("commit", "-q", nodeBase, nodeTag);
    const bundleOut = join(work, "bundle-image", "container");
    const packed = await runCli(["pack", "container", entry, "--layout", "bundle", "-o", bundleOut, "--name", "svc", "--image", image]);
    expect(packed.code, packed.stderr).toBe(0);
    await buildah("bud", "--pull=never", "--build-arg", `BASE=${nodeTag}`, "-t", bundleTag, bundleOut);
    rootfs.bundle = await mountImage(bundleTag, hostDockerArch);
  });

  afterAll(async () => {
    for (const c of containers) {
      await buildah("umount", c).catch(() => undefined);
      await buildah("rm", c).catch(() => undefined);
    }
    await buildah("manifest", "rm", tag).catch(() => undefined);
    await buildah("manifest", "rm", baseList).catch(() => undefined);
    for (const t of [singleTag, bundleTag, nodeTag]) await buildah("rmi", t).catch(() => undefined);
    for (const id of images) await buildah("rmi", id).catch(() => undefined);
  });

  it("is distroless-shaped for both platforms: nonroot user, exec-form entrypoint, PORT, the executable of its arch, no shell", async () => {
    const list = JSON.parse(await buildah("manifest", "inspect", tag));
    expect(list.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture).sort()).toEqual(["amd64", "arm64"]);
    for (const arch of ["amd64", "arm64"]) {
      const root = rootfs[arch]!;
      const config = JSON.parse(await buildah("inspect", "--type", "container", containers[arch === hostDockerArch ? 0 : 1]!)).OCIv1;
      expect(config.architecture).toBe(arch);
      expect(config.config.User).toBe("65532:65532");
      expect(config.config.Entrypoint).toEqual(["/app/svc"]);
      expect(config.config.ExposedPorts).toEqual({ "8080/tcp": {} });
      expect(config.config.Env).toContain("PORT=8080");
      expect(readdirSync(join(root, "app"))).toEqual(["svc"]);
      expect(statSync(join(root, "app", "svc")).mode & 0o777).toBe(0o755);
      expect(readFileSync(join(root, "app", "svc")).equals(readFileSync(join(outA, `app-${arch}`))), arch).toBe(true);
      for (const shell of ["bin/sh", "usr/bin/sh", "bin/bash"]) expect(() => statSync(join(root, shell)), shell).toThrow();
      // The image carries the SBOM of its own architecture's executable at the documented path.
      const sbom = JSON.parse(readFileSync(join(root, "usr", "share", "sbom", "svc.cdx.json"), "utf8"));
      expect(readFileSync(join(root, "usr", "share", "sbom", "svc.cdx.json")).equals(readFileSync(join(outA, `sbom-${arch}.cdx.json`)))).toBe(true);
      expect(sbom.components.find((c: { name: string }) => c.name === "node").properties).toContainEqual({ name: "binship:arch", value: arch === "amd64" ? "x64" : "arm64" });
    }
  });

  it("takes the host's architecture when built without --platform (TARGETARCH set by the builder)", () => {
    expect(readFileSync(join(rootfs.single!, "app", "svc")).equals(readFileSync(join(outA, `app-${hostDockerArch}`)))).toBe(true);
  });

  it("serves HTTP as uid 65532 in the image's root and exits 0 on SIGTERM within the manifests' grace period", async () => {
    const grace = parseYaml(readFileSync(join(outA, "k8s", "deployment.yaml"), "utf8")).spec.template.spec.terminationGracePeriodSeconds as number;
    const svc = await startService("chroot", ["--userspec=65532:65532", rootfs[hostDockerArch]!, "/app/svc"]);
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

  it("bundle layout: node runs app.cjs as uid 65532 from the image's root and exits 0 on SIGTERM", async () => {
    const root = rootfs.bundle!;
    expect(statSync(join(root, "app", "app.cjs")).mode & 0o777).toBe(0o644);
    const entrypoint = JSON.parse(await buildah("inspect", "--type", "image", bundleTag)).OCIv1.config.Entrypoint;
    expect(entrypoint).toEqual(["/nodejs/bin/node", "/app/app.cjs"]);
    const svc = await startService("chroot", ["--userspec=65532:65532", root, ...entrypoint]);
    try {
      const hello = await httpRequest(`${svc.url}/hello?name=bundle`);
      expect(JSON.parse(hello.body.toString())).toEqual({ message: "hello, bundle" });
      expect((await httpRequest(`${svc.url}/readyz`)).status).toBe(200);
      svc.child.kill("SIGTERM");
      expect(await svc.exited, svc.output()).toEqual({ code: 0, signal: null });
    } finally {
      await svc.stop();
    }
  });

  it(`starts the ${otherDockerArch} image's executable on that image's own libraries (under qemu)`, async () => {
    // qemu -L makes the image's root the library root: the loader and every DT_NEEDED library
    // come from the image. As root: vfs storage is not traversable by uid 65532 from outside.
    const root = rootfs[otherDockerArch]!;
    const svc = await startService(qemuForOther, ["-L", root, join(root, "app", "svc")], { timeoutMs: 60_000 });
    try {
      const hello = await httpRequest(`${svc.url}/hello?name=${otherDockerArch}`);
      expect(hello.status).toBe(200);
      expect(JSON.parse(hello.body.toString())).toEqual({ message: `hello, ${otherDockerArch}` });
    } finally {
      await svc.stop();
    }
  });

  it("runs the Lambda Runtime API loop instead when AWS_LAMBDA_RUNTIME_API is set", async () => {
    const emulator = await startEmulator({ timeoutMs: 30_000 });
    const child = spawn("chroot", ["--userspec=65532:65532", rootfs[hostDockerArch]!, "/app/svc"], { env: { ...emulator.env, PATH: process.env.PATH }, stdio: "ignore" });
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
