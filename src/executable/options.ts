// Loose config + environment -> strict executable options, validated once. This is the only
// place that reads the environment for this stage: cache directory, npm registry, PATH.

import type { BundleContents } from "../bundle/packages.js";
import { existsSync, readdirSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { defaultNodeSpec, nodeMajor, type Arch, type BundleFormat, type Config } from "../config.js";
import { BinshipError } from "../errors.js";
import type { Logger } from "../log.js";
import { registryFromNpmConfig, type HostPlatform, type RegistryConfig } from "../node-dist/index.js";
import { defaultExecutableCacheBytes, type ExecutableCacheOptions } from "./cache.js";
import type { SeaPackager } from "./pkg.js";
import { emulatorFor } from "../util/emulation.js";

export interface ExecutableOptions {
  bundle: string; // absolute path of the bundle the executable runs
  bundleFormat?: BundleFormat; // the bundle's module format (default "cjs"); decides the SEA main (esm-main.ts)
  outfile: string; // absolute path of the executable to write (mode 0755)
  arch: Arch; // target CPU
  node: string; // Node version spec for the target: "24", "24.21" or "24.21.0"
  nodeBinary?: string; // a linux-<arch> Node binary to use instead of the registry's; its version is read from the file
  generatorNode?: string; // a host-runnable Node of exactly the target's version; runs pkg and generates the blob
  codeCache: boolean; // put a V8 code cache of the bundle into the blob, compiled by the target's own Node (default true)
  emulator?: string[]; // qemu-user for the target's Node on another host CPU (its code cache); absent: none on PATH
  strip: boolean; // strip the symbol table and debug info from the Node binary before injection (default true)
  stripTool?: string; // strip program that reads the target's ELF (llvm-strip); absent: not stripped, with a warning
  cacheDir: string; // binship's cache: Node binaries and registry metadata
  registry: RegistryConfig; // npm registry URL and tokens from the user's npm configuration
  host: HostPlatform; // the machine running the build
  tmpDir: string; // scratch space; the blob's main script path lives under it (appears in stack traces)
  logger: Logger;
  packager?: SeaPackager; // runs pkg --sea; replaceable in tests (default: @yao-pkg/pkg under generatorNode)
  contents?: BundleContents; // the bundle's packages, recorded in the executable's build info
  cache?: ExecutableCacheOptions; // reuse executables built from the same inputs; absent: always run the packager
}

export const minimumNodeMajor = 22; // @yao-pkg/pkg's SEA mode runs only on Node >= 22

/** $BINSHIP_CACHE_DIR, else $XDG_CACHE_HOME/binship, else ~/.cache/binship. */
export function cacheDirFrom(env: NodeJS.ProcessEnv, cwd: string): string {
  if (env.BINSHIP_CACHE_DIR) return resolve(cwd, env.BINSHIP_CACHE_DIR);
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, "binship");
  return join(env.HOME || homedir(), ".cache", "binship");
}

function onPath(env: NodeJS.ProcessEnv, names: (name: string) => boolean): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    let entries: string[];
    try {
      entries = readdirSync(dir).filter(names).sort().reverse(); // llvm-strip before llvm-strip-14
    } catch {
      continue;
    }
    for (const name of entries) {
      const path = join(dir, name);
      try {
        if (statSync(path).isFile()) return path;
      } catch {
        // a dangling link: keep looking
      }
    }
  }
  return undefined;
}

/** llvm-strip reads every architecture; binutils strip only the one it was built for. */
export function findStripTool(env: NodeJS.ProcessEnv, arch: Arch, host: HostPlatform): string | undefined {
  const triple = arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  return (
    onPath(env, (n) => n === "llvm-strip") ??
    onPath(env, (n) => /^llvm-strip-\d+$/.test(n)) ??
    onPath(env, (n) => n === `${triple}-strip`) ??
    (host.platform === "linux" && host.arch === arch ? onPath(env, (n) => n === "strip") : undefined)
  );
}

function existingFile(path: string | undefined, flag: string): string | undefined {
  if (path === undefined) return undefined;
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new BinshipError("CONFIG_INVALID", `${flag} ${path}: no such file`, { hint: `Pass the path of a Node binary, or leave ${flag} out to use the npm registry's.` });
  }
  return path;
}

export interface ExecutableInputs {
  bundle: string; // absolute path of the bundle (already built)
  outfile: string; // absolute path of the executable
  arch: Arch; // target CPU, already chosen by the command
  logger: Logger;
}

export function resolveExecutableOptions(config: Config, cwd: string, env: NodeJS.ProcessEnv, inputs: ExecutableInputs): ExecutableOptions {
  if (existsSync(inputs.outfile) && statSync(inputs.outfile).isDirectory()) {
    throw new BinshipError("USAGE", `the output ${inputs.outfile} is a directory`, { hint: "Pass the executable's file name with -o, e.g. -o dist/app-arm64." });
  }
  const node = config.node ?? defaultNodeSpec;
  const major = nodeMajor(node);
  if (major < minimumNodeMajor) {
    throw new BinshipError("CONFIG_INVALID", `single executables need Node ${minimumNodeMajor} or later, got --node ${node}`, {
      hint: `Node's SEA blob format and @yao-pkg/pkg's SEA mode require it; use e.g. --node 24.`,
    });
  }
  const host: HostPlatform = { platform: process.platform, arch: process.arch };
  const strip = config.strip ?? true;
  return {
    bundle: inputs.bundle,
    outfile: inputs.outfile,
    arch: inputs.arch,
    node,
    nodeBinary: existingFile(config.nodeBinary, "--node-binary"),
    generatorNode: existingFile(config.generatorNode, "--generator-node"),
    codeCache: config.codeCache ?? true,
    emulator: host.arch === inputs.arch ? undefined : emulatorFor(inputs.arch, env.PATH),
    strip,
    stripTool: strip ? findStripTool(env, inputs.arch, host) : undefined,
    cacheDir: cacheDirFrom(env, cwd),
    cache: { dir: join(cacheDirFrom(env, cwd), "executables"), maxBytes: defaultExecutableCacheBytes },
    registry: registryFromNpmConfig(env, cwd),
    host,
    tmpDir: env.TMPDIR || tmpdir(),
    logger: inputs.logger,
  };
}
