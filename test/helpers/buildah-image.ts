// Container images built from binship's recipe with buildah and mounted, so a test can run the
// image's root filesystem (podman run does not work here): pack, `buildah bud` on the stand-in
// base (test/fixtures/container-base), mount; everything removed again by `cleanup`.

import { execFile } from "node:child_process";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { expect } from "vitest";
import { fixturesDir, runCli } from "./cli.js";

const run = promisify(execFile);
const buildah = async (...args: string[]) => (await run("buildah", ["--storage-driver", "vfs", ...args], { maxBuffer: 16 << 20 })).stdout.trim();

export const hostArch = process.arch === "arm64" ? "arm64" : "x64";
const hostDockerArch = hostArch === "arm64" ? "arm64" : "amd64";

/** The parts of an OCI image config the tests start an image by. */
export interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  User: string;
  WorkingDir?: string;
}

export interface MountedImage {
  rootfs: string;
  config: ImageConfig;
  command: string[]; // Entrypoint + Cmd
}

export interface ImageBuilder {
  /** Packs `entryArgs` (entry and flags) for the host's arch from `cwd`, builds the recipe and mounts the image. */
  image(name: string, entryArgs: string[], cwd?: string): Promise<MountedImage>;
  cleanup(): Promise<void>;
}

/** Builds the stand-in base once (in `work`), then images on it. */
export async function imageBuilder(work: string): Promise<ImageBuilder> {
  const base = (await run(join(fixturesDir, "container-base", "build.sh"), [join(work, "standin"), hostDockerArch])).stdout.trim();
  const containers: string[] = [];
  const tags: string[] = [];
  return {
    async image(name, entryArgs, cwd) {
      const recipe = join(work, `container-${name}`);
      const packed = await runCli(["pack", "container", ...entryArgs, "--arch", hostArch, "-o", recipe, "--name", name, "--image", `registry.example.com/team/${name}:1`], { cwd, timeoutMs: 600_000 });
      expect(packed.code, packed.stderr).toBe(0);
      const tag = `localhost/binship-test/${basename(work).toLowerCase()}-${name}:${process.pid}`; // unique per test file and run
      tags.push(tag);
      await buildah("bud", "--pull=never", "--build-arg", `BASE=${base}`, "-t", tag, recipe);
      const config = JSON.parse(await buildah("inspect", "--type", "image", tag)).OCIv1.config as ImageConfig;
      const container = await buildah("from", "--pull=never", tag);
      containers.push(container);
      return { rootfs: await buildah("mount", container), config, command: [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])] };
    },
    async cleanup() {
      for (const c of containers) {
        await buildah("umount", c).catch(() => undefined);
        await buildah("rm", c).catch(() => undefined);
      }
      for (const t of tags) await buildah("rmi", t).catch(() => undefined);
    },
  };
}
