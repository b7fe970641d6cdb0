// The real-service fixtures of issue 27 (a NestJS app with decorator metadata that listens
// itself, knex with one dialect installed) run from the container image's root filesystem:
// `pack container` for the host's architecture, buildah builds the recipe on the local stand-in
// for distroless cc (test/fixtures/container-base/build.sh), and the image's entrypoint runs
// under chroot as the image's user, as a pod would start it.

import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageBuilder, type ImageBuilder, type MountedImage } from "../helpers/buildah-image.js";
import { appsDir, tempDir } from "../helpers/cli.js";
import { startService, type Service } from "../helpers/process.js";
import { expectArticles, expectKnexServes } from "../helpers/real-services.js";
import { requireTools } from "../helpers/tools.js";

const work = tempDir("binship-real-image-");
const canBuild = requireTools("buildah", "apt-get", "dpkg-deb", "chroot");

describe.runIf(canBuild)("real services from the container image's root filesystem", () => {
  let builder: ImageBuilder | undefined;
  const image = (name: string, entry: string) => builder!.image(name, [entry]);

  async function serve(img: MountedImage, check: (svc: Service) => Promise<void>) {
    expect(img.config.User).toMatch(/^65532/); // the image does not run as root
    const svc = await startService("/usr/sbin/chroot", [`--userspec=65532:65532`, img.rootfs, ...img.command], { env: { PATH: "/usr/bin:/bin" }, timeoutMs: 120_000 });
    try {
      await check(svc);
    } finally {
      await svc.stop();
    }
  }

  beforeAll(async () => {
    builder = await imageBuilder(work);
  }, 600_000);

  afterAll(async () => {
    await builder?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it("NestJS with emitDecoratorMetadata: injection, validation and the entity work in the image", async () => {
    await serve(await image("nest", join(appsDir, "nestjs", "index.ts")), expectArticles);
  }, 900_000);

  it("knex with one dialect: the installed driver works in the image, a missing one fails at its point of use", async () => {
    await serve(await image("knex", join(appsDir, "knex", "index.ts")), expectKnexServes);
  }, 900_000);
});
