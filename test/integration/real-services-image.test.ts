// The real-service fixtures of issue 27 (a NestJS app with decorator metadata that listens
// itself, knex with one dialect installed) run from the container image's root filesystem:
// `pack container` for the host's architecture, buildah builds the recipe on the local stand-in
// for distroless cc (test/fixtures/container-base/build.sh), and the image's entrypoint runs
// under chroot as the image's user, as a pod would start it.

import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appsDir, fixturesDir, runCli, tempDir } from "../helpers/cli.js";
import { startService, type Service } from "../helpers/process.js";
import { expectArticles, expectKnexServes } from "../helpers/real-services.js";
import { requireTools } from "../helpers/tools.js";

const run = promisify(execFile);
const hostArch = process.arch === "arm64" ? "arm64" : "x64";
const hostDockerArch = hostArch === "arm64" ? "arm64" : "amd64";
const work = tempDir("binship-real-image-");
const canBuild = requireTools("buildah", "apt-get", "dpkg-deb", "chroot");

describe.runIf(canBuild)("real services from the container image's root filesystem", () => {
  const buildah = async (...args: string[]) => (await run("buildah", ["--storage-driver", "vfs", ...args], { maxBuffer: 16 << 20 })).stdout.trim();
  const containers: string[] = [];
  const tags: string[] = [];
  let base: string;

  /** Packs `entry`, builds its recipe and mounts the image; returns the rootfs and how it starts. */
  async function image(name: string, entry: string): Promise<{ rootfs: string; command: string[]; user: string }> {
    const out = join(work, name);
    const packed = await runCli(["pack", "container", entry, "--arch", hostArch, "-o", out, "--name", name, "--image", `registry.example.com/team/${name}:1`], { timeoutMs: 600_000 });
    expect(packed.code, packed.stderr).toBe(0);
    const tag = `localhost/binship-test/${name}:${process.pid}`;
    tags.push(tag);
    await buildah("bud", "--pull=never", "--build-arg", `BASE=${base}`, "-t", tag, out);
    const config = JSON.parse(await buildah("inspect", "--type", "image", tag)).OCIv1.config;
    const container = await buildah("from", "--pull=never", tag);
    containers.push(container);
    return { rootfs: await buildah("mount", container), command: [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])], user: config.User };
  }

  async function serve(img: { rootfs: string; command: string[]; user: string }, check: (svc: Service) => Promise<void>) {
    expect(img.user).toMatch(/^65532/); // the image does not run as root
    const svc = await startService("/usr/sbin/chroot", [`--userspec=65532:65532`, img.rootfs, ...img.command], { env: { PATH: "/usr/bin:/bin" }, timeoutMs: 120_000 });
    try {
      await check(svc);
    } finally {
      await svc.stop();
    }
  }

  beforeAll(async () => {
    base = (await run(join(fixturesDir, "container-base", "build.sh"), [join(work, "standin"), hostDockerArch])).stdout.trim();
  }, 600_000);

  afterAll(async () => {
    for (const c of containers) {
      await buildah("umount", c).catch(() => undefined);
      await buildah("rm", c).catch(() => undefined);
    }
    for (const t of tags) await buildah("rmi", t).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it("NestJS with emitDecoratorMetadata: injection, validation and the entity work in the image", async () => {
    await serve(await image("nest", join(appsDir, "nestjs", "index.ts")), expectArticles);
  }, 900_000);

  it("knex with one dialect: the installed driver works in the image, a missing one fails at its point of use", async () => {
    await serve(await image("knex", join(appsDir, "knex", "index.ts")), expectKnexServes);
  }, 900_000);
});
