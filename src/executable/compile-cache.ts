// Node's module compile cache for a bundle, made at pack time by the Node that will run it (the
// target's binary: directly, or under qemu-user for the other CPU), so a container of the node
// layout starts with V8's code cache instead of parsing and compiling the whole bundle (the lever
// a SEA code cache gives the executable).
//
// What Node does with it (module.enableCompileCache, NODE_COMPILE_CACHE): a directory per Node
// release, arch and V8 flag hash (Node 24 also appends the uid: `v24.22.3-x64-964aae3f-65532`),
// one file per module named by a hash of its path; with `portable` the path is taken relative to
// the cache directory, so a cache made beside a copy of the bundle here is found at /app in the
// image. Node checks the source's hash and V8 its version and flags before using an entry; a
// rejected entry is compiled and written again.
//
// Three things make it an artifact:
// - Deterministic bytes: V8's code cache depends on the isolate's random seed (string hashes), so
//   the generator runs with --random-seed=1, which V8 leaves out of the flag hash (the same
//   directory name, accepted by a normal start); and it records the script's path, so the bundle
//   is loaded as /proc/self/cwd/app.cjs (--preserve-symlinks keeps that name) from its directory.
//   V8 gives a deserialized script the name it is loaded under, so /app/app.cjs in stack traces.
// - No user code runs: the runtime's start() returns at once when the generator sets
//   `__binshipCompileOnly` (runtime/index.ts); the user's module is loaded lazily by start().
// - Verified: a second start under the flags a container uses (no --random-seed) must leave
//   every entry untouched; Node rewrites an entry it rejected.

import { spawn } from "node:child_process";
import { copyFile, mkdir, readdir, rename, stat, utimes } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Arch } from "../config.js";
import { diagnostic, type Diagnostic } from "../diagnostic.js";
import { commandFor } from "../util/emulation.js";
import { endOnInterrupt } from "../util/interrupt.js";

/** The cache directory's name beside the bundle, in the recipe and in the image (/app/compile-cache). */
export const compileCacheDirName = "compile-cache";

export interface CompileCacheInput {
  node: string; // the target's Node binary, the one the image ships
  arch: Arch;
  nodeVersion: string; // exact, "24.22.3": the directory Node names
  bundle: string; // the CommonJS bundle (app.cjs)
  root: string; // private directory: <root>/<bundle name> and <root>/compile-cache/ are made here
  uid: number; // the image's user: Node 24 names the directory after the uid that reads it
  hostPath?: string; // where qemu-user is looked up
  hostArch?: string; // injectable for tests
}

export type CompileCacheOutcome =
  | { files: string[]; warnings: Diagnostic[] } // relative to root, "compile-cache/<dir>/<entry>"
  | { skipped: string; warnings: Diagnostic[] }; // why there is none (unsupported Node, an ES module bundle)

// Runs in the target's Node as `-e`: compiled before the cache is on, so it is not an entry itself.
const generator = `
const m = require("node:module");
const [bundle, dir] = process.argv.slice(1);
let r;
try { r = m.enableCompileCache({ directory: dir, portable: true }); } catch { process.exit(3); }
if (r.status !== m.constants.compileCacheStatus.ENABLED) process.exit(3);
globalThis.__binshipCompileOnly = true;
require(bundle);
m.flushCompileCache();
`;

const unsupported = 3; // the generator's exit code: this Node has no portable compile cache (Node 22)
const nodeArchName: Record<Arch, string> = { x64: "x64", arm64: "arm64" };

function runNode(command: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    // No inherited environment: NODE_OPTIONS or a user's NODE_COMPILE_CACHE would change what V8 makes.
    const child = spawn(command, args, { cwd, env: {}, stdio: ["ignore", "ignore", "pipe"] });
    const forget = endOnInterrupt(child);
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      forget();
      resolve({ code, stderr });
    });
  });
}

async function entriesOf(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

export async function generateCompileCache(i: CompileCacheInput): Promise<CompileCacheOutcome> {
  const name = basename(i.bundle);
  if (!name.endsWith(".cjs")) return { skipped: "an ES module bundle (app.mjs) runs its top level when imported", warnings: [] };
  const run = await commandFor(i.node, i.arch, i.hostPath, i.hostArch);
  if ("missing" in run) {
    const text = `no compile cache for linux/${i.arch}: running its Node needs ${run.missing}, which is missing (the image starts without V8's code cache)`;
    return { skipped: text, warnings: [diagnostic(text, `Debian/Ubuntu: apt-get install ${run.packages}.`)] };
  }
  const emulated = run.command !== i.node;
  const timeoutMs = emulated ? 180_000 : 60_000;
  await mkdir(i.root, { recursive: true });
  const bundle = join(i.root, name);
  await copyFile(i.bundle, bundle);
  const cacheRoot = join(i.root, compileCacheDirName);
  const prefix = `v${i.nodeVersion}-${nodeArchName[i.arch]}-`;
  const failed = (what: string, stderr: string): CompileCacheOutcome => {
    const text = `no compile cache for linux/${i.arch}: ${what} (the image starts without V8's code cache)`;
    const last = stderr.trim().split("\n").slice(-3).join("\n");
    return { skipped: text, warnings: [diagnostic(last ? `${text}\n${last}` : text)] };
  };

  // The code cache records the script's path: the same one on every machine and in every directory.
  const fixed = [`/proc/self/cwd/${name}`, `/proc/self/cwd/${compileCacheDirName}`];
  const made = await runNode(run.command, [...run.args, "--preserve-symlinks", "--random-seed=1", "-e", generator, ...fixed], i.root, timeoutMs);
  if (made.code === unsupported) return { skipped: `Node ${i.nodeVersion} has no portable compile cache (Node 24 or later has)`, warnings: [] };
  if (made.code !== 0) return failed(`its Node exited with ${made.code ?? "a signal"} while compiling the bundle`, made.stderr);
  const dirs = (await entriesOf(cacheRoot)).filter((d) => d.startsWith(prefix));
  if (dirs.length !== 1) return failed(`Node wrote ${dirs.length} cache directories for ${prefix}*`, made.stderr);
  const dir = join(cacheRoot, dirs[0]!);
  const files = await entriesOf(dir);
  if (!files.length) return failed("Node wrote no cache entry for the bundle", made.stderr);

  // Verify as a container starts (no --random-seed): an entry V8 or Node rejects is written again.
  const epoch = new Date(0);
  for (const f of files) await utimes(join(dir, f), epoch, epoch);
  const check = await runNode(run.command, [...run.args, "--preserve-symlinks", "-e", generator, ...fixed], i.root, timeoutMs);
  const after = await entriesOf(dir);
  const untouched = check.code === 0 && after.join() === files.join() && (await Promise.all(files.map(async (f) => (await stat(join(dir, f))).mtimeMs === 0))).every(Boolean);
  if (!untouched) return failed("Node did not accept the cache it had just made", check.stderr);

  // Node 24's directory ends in the uid that made it; the image's user reads it.
  const parts = dirs[0]!.split("-");
  let final = dirs[0]!;
  const ownUid = process.getuid?.();
  if (parts.length === 4 && ownUid !== undefined && parts[3] === String(ownUid) && ownUid !== i.uid) {
    final = [...parts.slice(0, 3), String(i.uid)].join("-");
    await rename(dir, join(cacheRoot, final));
  }
  return { files: files.map((f) => `${compileCacheDirName}/${final}/${f}`), warnings: [] };
}
