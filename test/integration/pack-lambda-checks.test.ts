// Every check `pack lambda` runs before writing, driven through the CLI with --executable so no
// Node binary is built: each must fail with exit 1, name the problem and the fix, and leave no
// zip (nor a temporary file) behind.

import { copyFileSync, existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../helpers/cli.js";
import { requirePaths } from "../helpers/tools.js";

let dir: string;

beforeAll(async () => {
  dir = tempDir("binship-pack-checks-");
});

async function pack(name: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const out = join(dir, name, "lambda.zip");
  const result = await runCli(["pack", "lambda", "-o", out, ...args], { env });
  const left = existsSync(join(dir, name)) ? readdirSync(join(dir, name)).filter((f) => f.includes("lambda.zip")) : [];
  return { ...result, out, left };
}

/** A real x86-64 executable whose version needs are patched to ask for GLIBC_2.99. */
function glibc299(): string {
  const bytes = readFileSync("/bin/true");
  const at = bytes.indexOf(Buffer.from("GLIBC_2.34\0"));
  expect(at).toBeGreaterThan(0);
  bytes.write("GLIBC_2.99", at, "latin1");
  const path = join(dir, "true-glibc-2.99");
  writeFileSync(path, bytes, { mode: 0o755 });
  return path;
}

describe.runIf(requirePaths("/bin/true"))("pack lambda checks", () => {
  it("refuses an executable of the wrong arch", async () => {
    const r = await pack("arch", ["--executable", "/bin/true", "--arch", "arm64"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("true is a x64 (x86-64) executable, but the zip is for --arch arm64 (arm64)");
    expect(r.stderr).toContain("hint: Build the executable for arm64, or pack with --arch x64");
    expect(r.left).toEqual([]);
  });

  it("refuses an executable that needs a newer glibc than provided.al2023 has", async () => {
    const r = await pack("glibc", ["--executable", glibc299(), "--arch", "x64"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("needs GLIBC_2.99, but provided.al2023 (Amazon Linux 2023) has glibc 2.34");
    expect(r.stderr).toContain("hint:");
    expect(r.left).toEqual([]);
  });

  it("refuses a package over Lambda's 250 MB unzipped limit before zipping it", async () => {
    const big = join(dir, "big-executable");
    copyFileSync("/bin/true", big);
    truncateSync(big, 262_144_000); // sparse: a valid ELF head, then zeros up to the limit
    const r = await pack("big", ["--executable", big, "--arch", "x64"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unzipped; Lambda refuses more than 262144000 bytes/);
    expect(r.stderr).toContain("binship pack container");
    expect(r.left).toEqual([]);
  });

  it("refuses a binary without a SEA blob, which would never run the runtime (as pack container does)", async () => {
    const r = await pack("nosea", ["--executable", "/bin/true", "--arch", "x64", "--json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("has no Node single-executable blob");
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: "ARTIFACT_CHECK_FAILED", exitCode: 1 } }); // --json: the failure as one object
    expect(r.left).toEqual([]);
  });

  it.runIf(requirePaths("/usr/aarch64-linux-gnu/lib/libc.so.6"))("names the Debian packages when the provided.al2 sysroot is missing", async () => {
    const r = await pack("sysroot", ["--executable", "/usr/aarch64-linux-gnu/lib/libc.so.6", "--arch", "arm64", "--runtime", "provided.al2", "--sysroot", join(dir, "no-such-root")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("warning: provided.al2 is deprecated by AWS since 2026-07-31");
    expect(r.stderr).toMatch(/the arm64 libraries for provided.al2 were not found: ld-linux-aarch64.so.1/);
    expect(r.stderr).toContain("libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross");
    expect(r.left).toEqual([]);
  });

  it("fails with exit 1 and no zip when the service does not build, and exit 2 when the entry is missing", async () => {
    const broken = join(dir, "broken.ts");
    writeFileSync(broken, "export default { fetch( };\n");
    const r = await pack("broken", [broken, "--arch", "x64"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("bundling failed");
    expect(r.left).toEqual([]);
    const missing = await pack("missing", [join(dir, "nope.ts")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("entry module not found");
  });

  it("rejects usage errors with exit 2", async () => {
    const epoch = await pack("epoch", ["--executable", "/bin/true", "--arch", "x64"], { SOURCE_DATE_EPOCH: "last tuesday" });
    expect(epoch.code).toBe(2);
    expect(epoch.stderr).toContain("SOURCE_DATE_EPOCH must be a whole number");
    const arch = await pack("badarch", ["--executable", "/bin/true", "--arch", "sparc"]);
    expect(arch.code).toBe(2);
    expect(arch.stderr).toContain("Accepted values: arm64, x64");
    const runtime = await pack("badruntime", ["--executable", "/bin/true", "--runtime", "provided"]);
    expect(runtime.code).toBe(2);
    expect(runtime.stderr).toContain("provided.al2023, provided.al2");
    const noEntry = await pack("noentry", []);
    expect(noEntry.code).toBe(2);
    expect(noEntry.stderr).toContain("no entry module given");
    const notZip = await runCli(["pack", "lambda", "--executable", "/bin/true", "-o", join(dir, "out.tar")]);
    expect(notZip.code).toBe(2);
    expect(notZip.stderr).toContain("Name it with .zip");
    const level = await pack("badlevel", ["--executable", "/bin/true", "--arch", "x64", "--zip-level", "12"]);
    expect(level.code).toBe(2);
    expect(level.stderr).toContain("--zip-level must be a whole number from 0 to 9, got 12");
  });
});
