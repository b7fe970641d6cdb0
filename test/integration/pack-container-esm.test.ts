// `binship pack container` for a service with top-level await (the Hono fixture awaiting its
// configuration), both layouts: buildah builds each recipe on the local stand-ins for the
// distroless bases (test/fixtures/container-base/build.sh, as pack-container.test.ts does), and
// the image's root filesystem runs the service as uid 65532: the executable layout's binary,
// and the bundle layout's app.mjs under the image's Node.

import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheDirFrom } from "../../src/executable/index.js";
import { silentLogger } from "../../src/log.js";
import { provisionNode, registryFromNpmConfig } from "../../src/node-dist/index.js";
import { appsDir, fixturesDir, repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { expectHonoServes } from "../helpers/top-level-await.js";
import { requireTools } from "../helpers/tools.js";

const run = promisify(execFile);
const entry = join(appsDir, "hono-tla", "index.ts");
const image = "registry.example.com/team/tla:1.0.0";
const hostArch = process.arch === "arm64" ? "arm64" : "x64";
const hostDockerArch = hostArch === "arm64" ? "arm64" : "amd64";
const work = tempDir("binship-pack-container-esm-");
const canBuild = requireTools("buildah", "apt-get", "dpkg-deb", "chroot");

describe.runIf(canBuild)("a top-level await service in the container recipe", () => {
  const buildah = async (...args: string[]) => (await run("buildah", ["--storage-driver", "vfs", ...args], { maxBuffer: 16 << 20 })).stdout.trim();
  const exeTag = `localhost/binship-test/tla-exe:${process.pid}`;
  const nodeTag = `localhost/binship-test/tla-node-standin:${process.pid}`;
  const bundleTag = `localhost/binship-test/tla-bundle:${process.pid}`;
  const containers: string[] = [];
  const images: string[] = [];
  const rootfs: Record<string, string> = {};
  const exeOut = join(work, "exe", "container");
  const bundleOut = join(work, "bundle", "container");

  async function mountImage(ref: string): Promise<string> {
    const container = await buildah("from", "--pull=never", ref);
    containers.push(container);
    images.push(JSON.parse(await buildah("inspect", "--type", "container", container)).FromImageID);
    return buildah("mount", container);
  }

  beforeAll(async () => {
    const packedExe = await runCli(["pack", "container", entry, "--layout", "executable", "--arch", hostArch, "-o", exeOut, "--name", "svc", "--image", image], { timeoutMs: 600_000 });
    expect(packedExe.code, packedExe.stderr).toBe(0);
    const packedBundle = await runCli(["pack", "container", entry, "--layout", "bundle", "-o", bundleOut, "--name", "svc", "--image", image]);
    expect(packedBundle.code, packedBundle.stderr).toBe(0);

    const base = (await run(join(fixturesDir, "container-base", "build.sh"), [join(work, "standin"), hostDockerArch])).stdout.trim();
    await buildah("bud", "--pull=never", "--build-arg", `BASE=${base}`, "-t", exeTag, exeOut);
    rootfs.executable = await mountImage(exeTag);
    // The distroless Node stand-in: the cc stand-in plus the official Node 24 at /nodejs/bin/node.
    const node = await provisionNode({ spec: "24", arch: hostArch, cacheDir: cacheDirFrom(process.env, repoRoot), registry: registryFromNpmConfig(process.env, repoRoot), logger: silentLogger });
    const nodeBase = await buildah("from", "--pull=never", base);
    containers.push(nodeBase);
    await buildah("copy", "--chmod", "0755", nodeBase, node.target.path, "/nodejs/bin/node");
    await buildah("commit", "-q", nodeBase, nodeTag);
    await buildah("bud", "--pull=never", "--build-arg", `BASE=${nodeTag}`, "-t", bundleTag, bundleOut);
    rootfs.bundle = await mountImage(bundleTag);
  }, 1_200_000);

  afterAll(async () => {
    for (const c of containers) {
      await buildah("umount", c).catch(() => undefined);
      await buildah("rm", c).catch(() => undefined);
    }
    for (const t of [exeTag, bundleTag, nodeTag]) await buildah("rmi", t).catch(() => undefined);
    for (const id of images) await buildah("rmi", id).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it("executable layout: the image's binary answers as uid 65532 once its await is done", async () => {
    await expectHonoServes("chroot", ["--userspec=65532:65532", rootfs.executable!, "/app/svc"], "/app/svc");
  });

  it("bundle layout: the recipe ships app.mjs, and the image's node runs it as uid 65532", async () => {
    expect(readFileSync(join(bundleOut, "Dockerfile"), "utf8")).toContain('ENTRYPOINT ["/nodejs/bin/node", "/app/app.mjs"]');
    expect(readFileSync(join(bundleOut, ".dockerignore"), "utf8")).toContain("!app.mjs");
    const entrypoint = JSON.parse(await buildah("inspect", "--type", "image", bundleTag)).OCIv1.config.Entrypoint;
    expect(entrypoint).toEqual(["/nodejs/bin/node", "/app/app.mjs"]);
    await expectHonoServes("chroot", ["--userspec=65532:65532", rootfs.bundle!, ...entrypoint], "/app/app.mjs");
  });
});
