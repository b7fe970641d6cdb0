// Every executable is checked with the ELF reader before it is written: a packager that
// produced the wrong thing fails the build and leaves no file. Stripping is visible in size,
// and a missing strip tool is a warning, not a failure.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BinshipError } from "../../src/errors.js";
import { buildExecutable, cacheDirFrom, findStripTool, runPkg, type ExecutableOptions, type SeaPackager } from "../../src/executable/index.js";
import { inspectFile } from "../../src/inspect/index.js";
import { silentLogger } from "../../src/log.js";
import { provisionNode, registryFromNpmConfig, type NodeDist } from "../../src/node-dist/index.js";
import { appsDir, repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { requireTools } from "../helpers/tools.js";

const host = { platform: "linux", arch: "x64" };
let x64: NodeDist;
let arm64: NodeDist;
let base: Omit<ExecutableOptions, "outfile">;

beforeAll(async () => {
  const common = { cacheDir: cacheDirFrom(process.env, repoRoot), registry: registryFromNpmConfig(process.env, repoRoot), logger: silentLogger };
  x64 = await provisionNode({ ...common, spec: "24", arch: "x64", host });
  arm64 = await provisionNode({ ...common, spec: x64.version, arch: "arm64" });
  const bundle = join(tempDir("binship-checks-"), "bundle.cjs");
  writeFileSync(bundle, "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT);\n");
  base = { ...common, bundle, arch: "x64", node: x64.version, codeCache: false, strip: false, host, tmpDir: tempDir("binship-tmp-") };
});

async function failure(options: ExecutableOptions): Promise<BinshipError> {
  return (await buildExecutable(options).catch((e: unknown) => e)) as BinshipError;
}

describe("the check after packaging", () => {
  it("fails the build when the result holds no SEA blob, and writes nothing", async () => {
    const dir = tempDir("binship-out-");
    const copyOnly: SeaPackager = async (input) => {
      await copyFile(input.nodeBinary, input.output);
      return { log: "" };
    };
    const err = await failure({ ...base, outfile: join(dir, "app"), packager: copyOnly });
    expect(err.code).toBe("ARTIFACT_CHECK_FAILED");
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/holds no SEA blob/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("fails the build when the result is for another arch", async () => {
    const dir = tempDir("binship-out-");
    const wrongArch: SeaPackager = async (input) => {
      await copyFile(arm64.target.path, input.output);
      return { log: "" };
    };
    const err = await failure({ ...base, outfile: join(dir, "app"), packager: wrongArch });
    expect(err.code).toBe("ARTIFACT_CHECK_FAILED");
    expect(err.message).toMatch(/it is AArch64, not x64/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("leaves no partial file when the packager fails halfway", async () => {
    const dir = tempDir("binship-out-");
    const halfway: SeaPackager = async (input) => {
      writeFileSync(input.output, "\x7fELF half of a binary");
      throw new BinshipError("EXECUTABLE_FAILED", "pkg --sea failed");
    };
    const err = await failure({ ...base, outfile: join(dir, "app"), packager: halfway });
    expect(err.code).toBe("EXECUTABLE_FAILED");
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("the blob generator", () => {
  it("fails with a hint when the host Node cannot start here (its loader is missing, as for glibc Node on musl)", async () => {
    // /bin/true with its PT_INTERP pointed at a loader that does not exist: exec reports ENOENT.
    const generator = join(tempDir("binship-gen-"), "node");
    const bytes = readFileSync("/bin/true");
    const interpreter = (await inspectFile("/bin/true")).interpreter!;
    const at = bytes.indexOf(interpreter);
    expect(at).toBeGreaterThan(0);
    bytes.write(`${interpreter.slice(0, -1)}${interpreter.endsWith("9") ? "8" : "9"}`, at, "latin1");
    writeFileSync(generator, bytes, { mode: 0o755 });
    const err = (await runPkg({ generator, main: base.bundle, nodeBinary: x64.target.path, version: x64.version, arch: "x64", output: join(tempDir("binship-out-"), "app"), workDir: tempDir("binship-work-") }).catch(
      (e: unknown) => e,
    )) as BinshipError;
    expect(err.code).toBe("EXECUTABLE_FAILED");
    expect(err.message).toMatch(/cannot start on this machine/);
    expect(err.hint).toMatch(/--generator-node/);
  });
});

describe("stripping", () => {
  const strip = findStripTool(process.env, "x64", host);

  it.runIf(strip !== undefined || requireTools("llvm-strip"))("makes the executable smaller than one built from the unstripped binary", async () => {
    const dir = tempDir("binship-out-");
    const plain = await buildExecutable({ ...base, outfile: join(dir, "plain") });
    const stripped = await buildExecutable({ ...base, outfile: join(dir, "stripped"), strip: true, stripTool: strip });
    expect(plain.stripped).toBe(false);
    expect(stripped.stripped).toBe(true);
    expect(stripped.report.sea).toBe(true);
    // The symbol table alone is over 10 MB in official builds.
    expect(plain.bytes - stripped.bytes).toBeGreaterThan(10 * 1024 * 1024);
  });

  it("warns and builds unstripped when no strip tool is on PATH", async () => {
    const out = join(tempDir("binship-out-"), "app");
    const r = await runCli(["build", join(appsDir, "fetch", "index.ts"), "--arch", "x64", "--node", x64.version, "-o", out, "--json"], { env: { PATH: "/nonexistent" } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: no llvm-strip on PATH: the Node binary is not stripped/);
    expect(JSON.parse(r.stdout)).toMatchObject({ stripped: false, sea: true });
  });
});
