// The V8 code cache in the executable (executable/sea-blob.ts): present, accepted by the Node it
// runs in on both arches (Node prints "Code cache data rejected." at start when V8 turns a SEA
// code cache down: lib/internal/main/embedding.js), reproducible to the byte whether pkg laid the
// executable out or it went into a cached template, and left out on request.

import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cacheDirFrom } from "../../src/executable/index.js";
import { readSeaLayout } from "../../src/executable/reinject.js";
import { inspectFile } from "../../src/inspect/index.js";
import { seaBlobFacts } from "../../src/inspect/sea-blob.js";
import { appsDir, repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { startService } from "../helpers/process.js";
import { requirePaths, requireTools } from "../helpers/tools.js";

const armRoot = "/usr/aarch64-linux-gnu";
const canRunArm = requireTools("qemu-aarch64") && requirePaths(`${armRoot}/lib/ld-linux-aarch64.so.1`);
const rejected = "Code cache data rejected";
const hono = join(appsDir, "hono", "index.ts");

/** A cache directory of its own (no executable cached yet) sharing the Node downloads. */
function freshCache(): string {
  const dir = tempDir("binship-cc-cache-");
  symlinkSync(join(cacheDirFrom(process.env, repoRoot), "node"), join(dir, "node"));
  return dir;
}

async function build(entry: string, out: string, args: string[], cache?: string): Promise<{ codeCacheBytes: number; sha256: string }> {
  const r = await runCli(["build", entry, "-o", out, "--json", ...args], cache ? { env: { BINSHIP_CACHE_DIR: cache } } : {});
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** Starts the executable (under qemu for arm64), checks it answers, and returns everything it printed. */
async function startOutput(command: string, args: string[]): Promise<string> {
  const svc = await startService(command, args, { timeoutMs: 60_000 });
  try {
    const res = await httpRequest(`${svc.url}/hello?name=cache`);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toContain("hello, cache");
    return svc.output();
  } finally {
    await svc.stop();
  }
}

/** A copy of `exe` whose code cache claims other V8 flags (its header's flag hash changed). */
async function withForeignFlags(exe: string, out: string): Promise<void> {
  const layout = await readSeaLayout(exe);
  if (typeof layout === "string") throw new Error(layout);
  const bytes = readFileSync(exe);
  const blobAt = bytes.indexOf(layout.blob.subarray(0, 64), layout.region);
  const facts = await seaBlobFacts(layout.blob);
  bytes[blobAt + facts!.codeCache!.offset + 12] ^= 0xff; // V8's header: magic, version hash, source hash, flag hash
  writeFileSync(out, bytes, { mode: 0o755 });
}

let dir: string;
let x64: string;
beforeAll(async () => {
  dir = tempDir("binship-cc-");
  x64 = join(dir, "app-x64");
  await build(hono, x64, ["--arch", "x64"]);
}, 300_000);

describe("the V8 code cache", () => {
  it("is in the executable and reported by build --json and inspect", async () => {
    const report = await inspectFile(x64);
    expect(report.seaCodeCacheBytes).toBeGreaterThan(10_000);
    const shown = await runCli(["inspect", x64]);
    expect(shown.stdout).toMatch(/code cache\s+\d+(\.\d+)? KiB \(V8 code cache of the bundle/);
  });

  it("is accepted at start on x64, and a cache V8 would turn down is reported (the check can fail)", async () => {
    expect(await startOutput(x64, [])).not.toContain(rejected);
    const tampered = join(dir, "app-x64-foreign-flags");
    await withForeignFlags(x64, tampered);
    expect(await startOutput(tampered, [])).toContain(rejected);
  }, 60_000);

  it.runIf(canRunArm)(
    "is compiled by the arm64 Node itself (under qemu), accepted at start on arm64, and the same bytes from a fresh cache",
    async () => {
      const arm = join(dir, "app-arm64");
      const built = await build(hono, arm, ["--arch", "arm64"]);
      expect(built.codeCacheBytes).toBeGreaterThan(10_000);
      expect(await startOutput("qemu-aarch64", ["-L", armRoot, arm])).not.toContain(rejected);
      expect((await build(hono, join(dir, "app-arm64-again"), ["--arch", "arm64"], freshCache())).sha256).toBe(built.sha256);
    },
    180_000,
  );

  it("is made and accepted for a Node 26 target too (its blob lays out the main's format as well)", async () => {
    const out = join(dir, "node26");
    const built = await build(hono, out, ["--arch", "x64", "--node", "26"]);
    expect(built.codeCacheBytes).toBeGreaterThan(10_000);
    expect(await startOutput(out, [])).not.toContain(rejected);
  }, 120_000);

  it("gives the same bytes from pkg's layout and from a cached template, build after build", async () => {
    // Another bundle first, so the second build goes into its cached executable (reinject.ts).
    const other = join(dir, "other");
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, "index.ts"), 'export default { fetch: () => new Response("other") };\n');
    const viaTemplate = freshCache();
    await build(join(other, "index.ts"), join(dir, "other-exe"), ["--arch", "x64"], viaTemplate);
    const a = await build(hono, join(dir, "a"), ["--arch", "x64"], viaTemplate);
    const b = await build(hono, join(dir, "b"), ["--arch", "x64"], freshCache());
    expect(b.sha256).toBe(a.sha256);
    expect(readFileSync(join(dir, "b")).equals(readFileSync(x64))).toBe(true);
  }, 180_000);

  it("is left out, with a warning naming qemu, when the other CPU's Node cannot run here", async () => {
    const bin = tempDir("binship-cc-path-");
    symlinkSync("/usr/bin/llvm-strip", join(bin, "llvm-strip")); // the build still strips; only qemu is missing
    const out = join(dir, "arm-no-qemu");
    const r = await runCli(["build", hono, "--arch", "arm64", "-o", out, "--json"], { env: { PATH: bin } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ codeCacheBytes: 0, arch: "arm64" });
    expect(r.stderr).toMatch(/warning: no qemu-user for linux-arm64 on PATH: the executable has no V8 code cache/);
    expect(r.stderr).toMatch(/qemu-user libc6-arm64-cross|--no-code-cache/);
  }, 120_000);

  it("is not made for an ES module bundle (Node 24 compiles it in its module loader), which still starts", async () => {
    const out = join(dir, "esm");
    const built = await build(join(appsDir, "hono-tla", "index.ts"), out, ["--arch", "x64"]);
    expect(built.codeCacheBytes).toBe(0);
    const svc = await startService(out, [], { timeoutMs: 60_000 });
    try {
      expect((await httpRequest(`${svc.url}/hello`)).status).toBe(200);
      expect(svc.output()).not.toContain(rejected);
    } finally {
      await svc.stop();
    }
  }, 120_000);

  it("is left out with --no-code-cache and with \"codeCache\": false in the build section", async () => {
    const flag = await build(hono, join(dir, "no-cc"), ["--arch", "x64", "--no-code-cache"]);
    expect(flag.codeCacheBytes).toBe(0);
    expect((await inspectFile(join(dir, "no-cc"))).seaCodeCacheBytes).toBeUndefined();
    expect((await runCli(["inspect", join(dir, "no-cc")])).stdout).toMatch(/code cache\s+none/);

    const project = join(dir, "project");
    mkdirSync(project, { recursive: true });
    copyFileSync(join(dir, "other", "index.ts"), join(project, "index.ts"));
    writeFileSync(join(project, "binship.config.json"), JSON.stringify({ entry: "index.ts", build: { codeCache: false } }));
    const r = await runCli(["build", "--arch", "x64", "-o", join(dir, "cfg"), "--json"], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).codeCacheBytes).toBe(0);
    expect(await startOutput(join(dir, "no-cc"), [])).not.toContain(rejected);
  }, 120_000);
});
