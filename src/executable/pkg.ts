// @yao-pkg/pkg in --sea mode, behind one function. pkg generates the blob with the Node that
// runs it (when that Node's version equals the target's) and injects it with postject. It
// normally downloads the target binary from nodejs.org; it skips that when
// $HOME/.pkg-cache/sea/node-v<ver>-linux-<arch>.tar.gz has a sibling ".ok" and the extracted
// node-v<ver>-linux-<arch>/bin/node has one too (pkg 6.23 lib-es5/sea.js, getNodejsExecutable
// and extract). So pkg runs with HOME pointing at a scratch directory seeded with our binary,
// and an exact version in its target, and never touches the network.
//
// The blob records the main script's path as pkg hands it to the generator (absolute: pkg
// resolves it), and that path would put the build machine's scratch directory into the
// executable's bytes. So pkg is given `/proc/self/cwd/<name>`, the same string on every machine,
// which the kernel resolves against each process's own directory: pkg runs in the main script's
// directory, and a preload gives the generator that directory too (pkg would start it in its
// own temporary directory, lib-es5/sea.js withSeaTmpDir).

import { spawn } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import type { Arch } from "../config.js";
import { BinshipError } from "../errors.js";
import { endOnInterrupt } from "../util/interrupt.js";
import { diskFullFailure } from "../util/disk-full.js";

export interface SeaPackageInput {
  generator: string; // host Node of exactly `version`: runs pkg and generates the blob
  main: string; // the script the blob runs, in a directory of its own (pkg's cwd); the blob records recordedMainPath(main)
  seaConfig?: Record<string, unknown>; // SEA config keys pkg's CLI does not expose (mainFormat, assets); given: pkg's API runs instead
  nodeBinary: string; // the target Node binary the blob is injected into (pkg copies it)
  version: string; // exact Node version of both binaries, "24.21.0"
  arch: Arch; // target CPU
  output: string; // where pkg writes the executable
  workDir: string; // empty scratch directory: pkg's HOME and TMPDIR
}

export interface SeaPackageOutput {
  log: string; // pkg's stdout + stderr
}

export type SeaPackager = (input: SeaPackageInput) => Promise<SeaPackageOutput>;

export function pkgBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("@yao-pkg/pkg/package.json")), "lib-es5", "bin.js");
}

async function seedPkgCache(home: string, version: string, arch: Arch, nodeBinary: string): Promise<void> {
  const sea = join(home, ".pkg-cache", "sea");
  const base = `node-v${version}-linux-${arch}`;
  await mkdir(join(sea, base, "bin"), { recursive: true });
  // The archive is never read once its ".ok" exists: pkg goes straight to the extracted binary.
  await writeFile(join(sea, `${base}.tar.gz`), "");
  await writeFile(join(sea, `${base}.tar.gz.ok`), "");
  await symlink(nodeBinary, join(sea, base, "bin", "node"));
  await writeFile(join(sea, base, "bin", "node.ok"), "");
}

/** The main script's path as the blob records it: the same on every machine. */
export const recordedMainPath = (main: string) => `/proc/self/cwd/${basename(main)}`;

// Runs in pkg's process before pkg loads: the generator (`node --experimental-sea-config`)
// starts in the main script's directory, so /proc/self/cwd/<name> is the main script there too.
const generatorCwdPreload = `"use strict";
const cp = require("node:child_process");
const { promisify } = require("node:util");
const dir = process.env.BINSHIP_SEA_MAIN_DIR;
const withCwd = (args, options) => (Array.isArray(args) && args[0] === "--experimental-sea-config" ? { ...(options || {}), cwd: dir } : options);
const original = cp.execFile;
const promised = original[promisify.custom];
cp.execFile = function (file, args, options, callback) {
  if (typeof options === "function") return original.call(this, file, args, withCwd(args, {}), options);
  return original.call(this, file, args, withCwd(args, options), callback);
};
cp.execFile[promisify.custom] = (file, args, options) => promised(file, args, withCwd(args, options));
// binship holds the other end of stdin: once it is gone, however it died (SIGKILL included),
// pkg and the generator end too, instead of writing an output no one will move into place.
process.stdin.on("error", () => {}).on("end", () => {
  try { process.kill(-process.pid, "SIGKILL"); } catch {}
}).resume().unref();
`;

// pkg's CLI passes no SEA config in its simple --sea mode; its sea() function takes one, merged
// over pkg's defaults (pkg 6.23 lib-es5/sea.js). It runs under the generator like the CLI does
// and finds the target binary in the same seeded cache (sea()'s own `nodePath` would be run with
// --version to learn its version, which an arm64 binary on an x64 host cannot). pkg's options must be set before sea() runs
// its post-build hooks; errors are reported the way the CLI reports them.
const apiDriver = `const [pkgDir, json] = process.argv.slice(1);
const { main, ...opts } = JSON.parse(json);
require(pkgDir + "/lib-es5/options").default.set({});
require(pkgDir + "/lib-es5/sea").default(main, opts).catch((err) => {
  console.error("> Error! " + ((err && err.message) || err));
  process.exit(1);
});`;

/** pkg's CLI, or its API when SEA config beyond its defaults is needed; the main named as the blob records it. */
function pkgArgs(input: SeaPackageInput, preload: string): string[] {
  const main = recordedMainPath(input.main);
  if (!input.seaConfig) return ["--require", preload, pkgBin(), main, "--sea", "--target", `node${input.version}-linux-${input.arch}`, "--output", input.output];
  const target = { nodeRange: `node${input.version}`, platform: "linux", arch: input.arch, output: input.output };
  const opts = { main, targets: [target], seaConfig: input.seaConfig };
  return ["--require", preload, "-e", apiDriver, dirname(dirname(pkgBin())), JSON.stringify(opts)];
}

export const runPkg: SeaPackager = async (input) => {
  const home = join(input.workDir, "home");
  const tmp = join(input.workDir, "tmp");
  await mkdir(tmp, { recursive: true });
  await seedPkgCache(home, input.version, input.arch, input.nodeBinary);
  const preload = join(input.workDir, "generator-cwd.cjs");
  await writeFile(preload, generatorCwdPreload);
  const args = pkgArgs(input, preload);
  const env = { HOME: home, TMPDIR: tmp, PATH: "/usr/bin:/bin", NO_COLOR: "1", BINSHIP_SEA_MAIN_DIR: dirname(input.main) };
  const { err, log } = await runGrouped(input.generator, args, { cwd: dirname(input.main), env });
  // pkg reports some failures ("> Error! ...") with exit code 0; the caller checks the output file.
  if (err?.code === "ENOENT") {
    // The file exists (it was checked), so its loader does not: e.g. a glibc Node on musl.
    throw new BinshipError("EXECUTABLE_FAILED", `the blob generator ${input.generator} cannot start on this machine`, {
      cause: err,
      hint: `Pass --generator-node with a Node ${input.version} built for this machine (on Alpine/musl, an unofficial musl build).`,
    });
  }
  // pkg writes the executable where it was told (beside the output) and only logs a full disk.
  const full = /\b(ENOSPC|EDQUOT)\b/.exec(log);
  if ((err || /^> Error!/m.test(log)) && full) throw diskFullFailure(input.output, Object.assign(new Error(logTail(log, 1)[0]?.text ?? full[1]), { code: full[1] }));
  if (err || /^> Error!/m.test(log)) {
    throw new BinshipError("EXECUTABLE_FAILED", `pkg --sea failed for linux-${input.arch} (Node ${input.version})`, {
      cause: err,
      diagnostics: logTail(log),
      hint: "Run with --verbose for details. If the message names a download, the pkg cache seeding did not match this pkg version.",
    });
  }
  return { log };
};

/** The last lines a failed tool printed, as diagnostics. */
export function logTail(log: string, lines = 8): { text: string }[] {
  return log
    .split("\n")
    .filter((l) => l.trim())
    .slice(-lines)
    .map((text) => ({ text }));
}

/**
 * Runs a command in its own process group (execFile cannot: it does not pass `detached` on),
 * registered so an interrupt ends it together with whatever it started (pkg's generator).
 */
export function runGrouped(file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ err?: NodeJS.ErrnoException; log: string }> {
  return new Promise((resolve) => {
    // stdin stays open for as long as binship lives (runPkg's preload watches it).
    const child = spawn(file, args, { ...options, detached: true, stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.on("error", () => {});
    endOnInterrupt(child);
    let log = "";
    child.stdout.on("data", (d: Buffer) => (log += d));
    child.stderr.on("data", (d: Buffer) => (log += d));
    child.on("error", (err) => resolve({ err, log }));
    child.on("close", (code, signal) => resolve(code === 0 ? { log } : { err: Object.assign(new Error(`${file} exited with ${signal ?? `code ${code}`}`), { code: undefined }), log }));
  });
}
