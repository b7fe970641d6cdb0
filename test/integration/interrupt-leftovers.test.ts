// Interrupted at every stage, a command leaves nothing behind: not in its output directory, not
// in $TMPDIR, not in the cache. `build`, `pack lambda` and `pack container --oci-layout
// --tarball` (against a small registry on 127.0.0.1) get SIGINT and SIGTERM while a stage's
// temporary file or directory exists (the marker polled for), and must die of that signal with
// the three places as they were. SIGKILL cannot be cleaned up after; the next run of the same
// command must sweep what the killed one left. Each run has its own $TMPDIR and cache
// (BINSHIP_CACHE_DIR), seeded with links to the shared cache's Node downloads so nothing is
// fetched; complete cache entries are fine, temporaries are not.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, lstatSync, readdirSync, symlinkSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheDirFrom } from "../../src/executable/index.js";
import { silentLogger } from "../../src/log.js";
import { provisionNode, registryFromNpmConfig } from "../../src/node-dist/index.js";
import { appsDir, binshipBin, repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { startOciBase, type OciBase } from "../helpers/oci-base.js";
import { requireTools } from "../helpers/tools.js";
import { processesWith } from "../helpers/process.js";

const entry = join(appsDir, "fetch", "index.ts");
const sharedCache = cacheDirFrom(process.env, repoRoot);
let nodeVersion: string;
let exe: string; // a finished x64 executable, for the packs that take --executable
let zip: string; // a Lambda zip of it, for inspect
let base: OciBase;
let pushTo: OciBase; // answers each blob upload after 3 s, so a push can be interrupted mid-upload
let pushes = 0;

beforeAll(async () => {
  const common = { cacheDir: sharedCache, registry: registryFromNpmConfig(process.env, repoRoot), logger: silentLogger };
  nodeVersion = (await provisionNode({ ...common, spec: "24", arch: "x64", host: { platform: "linux", arch: "x64" } })).version;
  exe = join(tempDir("binship-lo-exe-"), "app");
  const built = await runCli(["build", entry, "--arch", "x64", "--node", nodeVersion, "-o", exe]);
  expect(built.code, built.stderr).toBe(0);
  zip = join(dirname(exe), "fn.zip");
  const packed = await runCli(["pack", "lambda", "--executable", exe, "--arch", "x64", "-o", zip]);
  expect(packed.code, packed.stderr).toBe(0);
  base = await startOciBase("amd64");
  pushTo = await startOciBase("amd64", 3_000);
}, 600_000);

afterAll(async () => {
  await base?.stop();
  await pushTo?.stop();
});

interface Places {
  out: string; // the output directory
  tmp: string; // $TMPDIR
  cache: string; // BINSHIP_CACHE_DIR
}

/** Fresh places; the cache links the shared cache's Node downloads (no network, no copy). */
function places(): Places {
  const cache = tempDir("binship-lo-cache-");
  for (const sub of ["node", "registry"]) if (existsSync(join(sharedCache, sub))) symlinkSync(join(sharedCache, sub), join(cache, sub));
  return { out: tempDir("binship-lo-out-"), tmp: tempDir("binship-lo-tmp-"), cache };
}

/** Every path under `dir` (not following symlinks), relative to it. A live run renames its
 * temporaries while we poll, so an entry that vanishes mid-walk is skipped, not an error. */
function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  const gone = (e: unknown) => (e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR";
  const visit = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch (e) {
      if (gone(e)) return;
      throw e;
    }
    for (const name of names) {
      const full = join(d, name);
      let isDir: boolean;
      try {
        isDir = lstatSync(full).isDirectory();
      } catch (e) {
        if (gone(e)) continue;
        throw e;
      }
      found.push(relative(dir, full));
      if (isDir) visit(full);
    }
  };
  visit(dir);
  return found.sort();
}

/** A temporary's name: `.x.<pid>.<hex>.tmp`/`.old` beside an output or in the cache, `binship-<kind>-…` scratch. */
const temporary = (path: string) => /(^|\/)\.[^/]*\.(tmp|old)(\/|$)|(^|\/)\.[^/]*\.\d+\.[0-9a-f]+(\.[a-z]+)?(\/|$)|(^|\/)binship-[a-z]+-/.test(path);

interface Leftovers {
  out: string[]; // anything new in the output directory
  tmp: string[]; // anything in $TMPDIR
  cache: string[]; // temporaries in the cache (complete entries are fine)
}

function leftovers(p: Places, outBefore: string[]): Leftovers {
  return {
    out: walk(p.out).filter((n) => !outBefore.includes(n)),
    tmp: walk(p.tmp),
    cache: walk(p.cache).filter(temporary),
  };
}

const none: Leftovers = { out: [], tmp: [], cache: [] };

interface Run {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

function start(args: string[], p: Places): Run {
  const env = { ...process.env, NO_COLOR: "1", TMPDIR: p.tmp, BINSHIP_CACHE_DIR: p.cache, DOCKER_CONFIG: join(p.tmp, "..", "no-docker-config") };
  const child = spawn(process.execPath, [binshipBin, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return { child, exit, stderr: () => stderr };
}

/** Polls until some path under one of `dirs` matches `marker`, or a process `running` names exists (the stage has begun). */
async function waitForStage(run: Run, marker: RegExp, dirs: string[], running?: string, began?: () => boolean): Promise<string> {
  let exited = false;
  void run.exit.then(() => (exited = true));
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (running && processesWith(running).length > 0) return running;
    if (began?.()) return "began";
    for (const dir of running || began ? [] : dirs) {
      const hit = walk(dir).find((n) => marker.test(n));
      if (hit) return hit;
    }
    if (exited) throw new Error(`binship ended before ${marker}:\n${run.stderr()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${marker}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}


/** The processes still working on `dir` once `ms` have passed (or none earlier). */
async function survivorsAfter(dir: string, ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (processesWith(dir).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return processesWith(dir);
}

interface Case {
  command: string;
  stage: string;
  marker: RegExp; // a path (relative to out, tmp or cache) that exists only during the stage
  running?: (p: Places) => string; // or: a process whose command line holds this runs (pkg)
  started?: () => () => boolean; // or: called before the run, gives a check that the stage began
  args: (p: Places) => string[];
  setup?: (p: Places) => Promise<void>; // e.g. an earlier run, so a later stage is reached warm
}

const buildArgs = (p: Places) => ["build", entry, "--arch", "x64", "--node", nodeVersion, "-o", join(p.out, "app")];
const lambdaArgs = (p: Places) => ["pack", "lambda", "--executable", exe, "--arch", "x64", "--zip-level", "9", "-o", join(p.out, "fn.zip")];
const containerArgs = (p: Places) => [
  "pack", "container", "--name", "svc", "--executable", exe, "--arch", "x64", "--base", base.reference, "--insecure-registry",
  "-o", join(p.out, "ctr"), "--oci-layout", join(p.out, "oci"), "--tarball", join(p.out, "img.tar"),
];

// Each push goes to a repository of its own, so every blob is uploaded (none is already there).
const pushArgs = (p: Places) => [
  "pack", "container", "--name", "svc", "--executable", exe, "--arch", "x64", "--base", pushTo.reference, "--insecure-registry",
  "-o", join(p.out, "ctr"), "--push", `${pushTo.host}/team/svc${++pushes}:1`,
];
const uploading = () => {
  const before = pushTo.uploadsStarted();
  return () => pushTo.uploadsStarted() > before;
};

const cases: Case[] = [
  { command: "build", stage: "bundle", marker: /^binship-bundle-/, args: buildArgs },
  { command: "build", stage: "pkg starting", marker: /^$/, running: (p) => `${p.out}/.app.`, args: buildArgs },
  { command: "build", stage: "pkg writing the executable", marker: /^\.app\.\d+\.[0-9a-f]+\.tmp$/, args: buildArgs },
  { command: "pack lambda", stage: "zip (segments into the cache)", marker: /^zip-segments\/.*\.tmp$/, args: lambdaArgs },
  { command: "pack lambda", stage: "zip (the temporary zip)", marker: /^\.fn\.zip\.\d+\.[0-9a-f]+\.tmp$/, args: lambdaArgs },
  { command: "pack container", stage: "recipe", marker: /^\.ctr\.\d+\.[0-9a-f]+\.tmp$/, args: containerArgs },
  { command: "pack container", stage: "image layer", marker: /^binship-image-/, args: containerArgs },
  { command: "pack container --push", stage: "the upload", marker: /^$/, started: uploading, args: pushArgs },
  { command: "inspect --sbom", stage: "the zip's executable unpacked into scratch", marker: /^binship-inspect-/, args: (p) => ["inspect", zip, "--sbom", join(p.out, "fn.cdx.json")] },
  { command: "pack container", stage: "tarball", marker: /^\.img\.tar\.\d+\.[0-9a-f]+\.tmp$/, args: containerArgs },
];

function dirsOf(p: Places): string[] {
  return [p.out, p.tmp, p.cache];
}

const runIf = describe.runIf(requireTools("llvm-strip", "tar"));

runIf("SIGINT and SIGTERM at each stage leave nothing behind", () => {
  for (const c of cases) {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      it(`${c.command}, ${signal} during ${c.stage}`, async () => {
        const p = places();
        await c.setup?.(p);
        const before = walk(p.out);
        const began = c.started?.();
        const run = start(c.args(p), p);
        await waitForStage(run, c.marker, dirsOf(p), c.running?.(p), began);
        run.child.kill(signal);
        const { code, signal: died } = await run.exit;
        // A run that finished before the signal landed proves nothing: the stage was too short.
        expect({ code, signal: died }, run.stderr()).toEqual({ code: null, signal });
        expect(run.stderr()).not.toMatch(/unexpected error/);
        expect(leftovers(p, before)).toEqual(none);
      }, 300_000);
    }
  }
});

runIf("SIGKILL at each stage: the next run sweeps what the killed one left", () => {
  for (const c of cases) {
    it(`${c.command}, SIGKILL during ${c.stage}, then the same command again`, async () => {
      const p = places();
      await c.setup?.(p);
      const began = c.started?.();
      const run = start(c.args(p), p);
      await waitForStage(run, c.marker, dirsOf(p), c.running?.(p), began);
      run.child.kill("SIGKILL");
      await run.exit;
      // At once, as make would: pkg runs in its own process group, out of the signal's reach, and
      // must end by itself (it watches the pipe binship held) rather than write an output after
      // this run swept the killed one's temporaries.
      const again = await runCli(c.args(p), { env: { TMPDIR: p.tmp, BINSHIP_CACHE_DIR: p.cache, DOCKER_CONFIG: join(p.tmp, "..", "no-docker-config") } });
      expect(again.code, again.stderr).toBe(0);
      expect(await survivorsAfter(p.out, 30_000)).toEqual([]);
      const left = leftovers(p, []);
      expect({ ...left, out: left.out.filter(temporary) }).toEqual(none);
    }, 300_000);
  }
});

runIf("an interrupted run keeps the outputs it had not changed", () => {
  it("pack container again with the same inputs, SIGINT during the tarball: the earlier OCI layout and tarball stay as they were", async () => {
    const p = places();
    const first = await runCli(containerArgs(p), { env: { TMPDIR: p.tmp, BINSHIP_CACHE_DIR: p.cache, DOCKER_CONFIG: join(p.tmp, "..", "no-docker-config") } });
    expect(first.code, first.stderr).toBe(0);
    const identity = (rel: string) => {
      const st = lstatSync(join(p.out, rel));
      return `${rel} ${st.ino} ${st.mtimeMs} ${st.size}`;
    };
    const before = walk(p.out).map(identity);
    expect(before.some((l) => l.startsWith("img.tar "))).toBe(true);
    const run = start(containerArgs(p), p);
    await waitForStage(run, /^\.img\.tar\.\d+\.[0-9a-f]+\.tmp$/, [p.out]);
    run.child.kill("SIGINT");
    expect((await run.exit).signal).toBe("SIGINT");
    // The recipe directory is replaced on every image run (its k8s/ is pinned to the digest only
    // after the image), so it goes like any output the run had replaced; the others were unchanged.
    const kept = (lines: string[]) => lines.filter((l) => !l.startsWith("ctr"));
    expect(walk(p.out).filter((n) => n.startsWith("ctr"))).toEqual([]);
    expect(kept(walk(p.out).map(identity))).toEqual(kept(before));
    expect(walk(p.tmp)).toEqual([]);
  }, 300_000);
});
