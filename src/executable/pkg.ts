// @yao-pkg/pkg in --sea mode, behind one function. pkg generates the blob with the Node that
// runs it (when that Node's version equals the target's) and injects it with postject. It
// normally downloads the target binary from nodejs.org; it skips that when
// $HOME/.pkg-cache/sea/node-v<ver>-linux-<arch>.tar.gz has a sibling ".ok" and the extracted
// node-v<ver>-linux-<arch>/bin/node has one too (pkg 6.23 lib-es5/sea.js, getNodejsExecutable
// and extract). So pkg runs with HOME pointing at a scratch directory seeded with our binary,
// and an exact version in its target, and never touches the network.

import { execFile } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Arch } from "../config.js";
import { BinshipError } from "../errors.js";

export interface SeaPackageInput {
  generator: string; // host Node of exactly `version`: runs pkg and generates the blob
  main: string; // the script the blob runs
  seaConfig?: Record<string, unknown>; // SEA config keys pkg's CLI does not expose (mainFormat, assets); given: pkg's API runs instead
  nodeBinary: string; // the target Node binary the blob is injected into (pkg copies it)
  version: string; // exact Node version of both binaries, "24.21.0"
  arch: Arch; // target CPU
  output: string; // where pkg writes the executable
  workDir: string; // empty scratch directory: pkg's HOME, TMPDIR and cwd
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

function pkgArgs(input: SeaPackageInput): string[] {
  if (!input.seaConfig) return [pkgBin(), input.main, "--sea", "--target", `node${input.version}-linux-${input.arch}`, "--output", input.output];
  const target = { nodeRange: `node${input.version}`, platform: "linux", arch: input.arch, output: input.output };
  const opts = { main: input.main, targets: [target], seaConfig: input.seaConfig };
  return ["-e", apiDriver, dirname(dirname(pkgBin())), JSON.stringify(opts)];
}

export const runPkg: SeaPackager = async (input) => {
  const home = join(input.workDir, "home");
  const tmp = join(input.workDir, "tmp");
  await mkdir(tmp, { recursive: true });
  await seedPkgCache(home, input.version, input.arch, input.nodeBinary);
  const args = pkgArgs(input);
  const env = { HOME: home, TMPDIR: tmp, PATH: "/usr/bin:/bin", NO_COLOR: "1" };
  return new Promise((resolve, reject) => {
    execFile(input.generator, args, { cwd: input.workDir, env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const log = `${stdout}${stderr}`;
      // pkg reports some failures ("> Error! ...") with exit code 0; the caller checks the output file.
      if ((err as NodeJS.ErrnoException | null)?.code === "ENOENT") {
        // The file exists (it was checked), so its loader does not: e.g. a glibc Node on musl.
        reject(
          new BinshipError("EXECUTABLE_FAILED", `the blob generator ${input.generator} cannot start on this machine`, {
            cause: err,
            hint: `Pass --generator-node with a Node ${input.version} built for this machine (on Alpine/musl, an unofficial musl build).`,
          }),
        );
      } else if (err || /^> Error!/m.test(log)) {
        reject(
          new BinshipError("EXECUTABLE_FAILED", `pkg --sea failed for linux-${input.arch} (Node ${input.version})`, {
            cause: err ?? undefined,
            diagnostics: log
              .split("\n")
              .filter((l) => l.trim())
              .slice(-8)
              .map((text) => ({ text })),
            hint: "Run with --verbose for details. If the message names a download, the pkg cache seeding did not match this pkg version.",
          }),
        );
      } else resolve({ log });
    });
  });
};
