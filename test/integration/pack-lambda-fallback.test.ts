// provided.al2023 zips carry libstdc++.so.6 and libgcc_s.so.1 in lib/ as a fallback, so they start
// whatever the runtime image holds. Proof, for both arches: a root with only the loader and the
// glibc libraries (libc, libm, libdl, libpthread), a read-only /var/task and Lambda's
// LD_LIBRARY_PATH answers an invocation with the default zip and cannot start the zip packed
// with --no-fallback-libraries; with a system libstdc++ in the root, the system one is loaded.

import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fallbackLibraries } from "../../src/artifacts/lambda/fallback.js";
import { startEmulator } from "../../src/invoke/emulator/index.js";
import { extractZip } from "../../src/invoke/unzip.js";
import { httpEvent, readResult } from "../fixtures/events/index.js";
import { repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { requirePaths, requireTools } from "../helpers/tools.js";

const hello = join(repoRoot, "examples", "hello", "src", "index.ts");
// "Defined runtime environment variables", https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
const lambdaLibraryPath = "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib";
const glibcOnly = ["libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0"];
const arches = {
  x64: { libs: "/lib/x86_64-linux-gnu", loader: "/lib64/ld-linux-x86-64.so.2", loaderIn: "lib64" },
  arm64: { libs: "/usr/aarch64-linux-gnu/lib", loader: "/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1", loaderIn: "lib" },
} as const;
type TestArch = keyof typeof arches;
const timeout = 240_000; // Node under qemu-aarch64 on a busy machine
const tools = requireTools("unshare", "mount", "chroot");
const canRun = (arch: TestArch) => tools && requirePaths(arches[arch].loader, ...glibcOnly.map((l) => join(arches[arch].libs, l))) && (arch === process.arch || requireTools("qemu-aarch64"));

const zips: Partial<Record<TestArch, { fallback: string; bare: string; json: Record<string, any> }>> = {};

beforeAll(async () => {
  const dir = tempDir("binship-fallback-");
  for (const arch of ["x64", "arm64"] as const) {
    if (!canRun(arch)) continue;
    const fallback = join(dir, `fallback-${arch}.zip`);
    const bare = join(dir, `bare-${arch}.zip`);
    const r = await runCli(["pack", "lambda", hello, "--arch", arch, "-o", fallback, "--json"]);
    if (r.code !== 0) throw new Error(`pack --arch ${arch} failed (${r.code}):\n${r.stderr}`);
    const b = await runCli(["pack", "lambda", hello, "--arch", arch, "--no-fallback-libraries", "-o", bare]);
    if (b.code !== 0) throw new Error(`pack --no-fallback-libraries --arch ${arch} failed (${b.code}):\n${b.stderr}`);
    zips[arch] = { fallback, bare, json: JSON.parse(r.stdout) };
  }
}, 900_000);

/** The loader and glibc only (plus the system libstdc++/libgcc_s when asked), and the zip in /var/task. */
async function root(arch: TestArch, zip: string, systemCxx: boolean): Promise<string> {
  const dir = tempDir(`binship-al2023-${arch}-`);
  const { libs, loader, loaderIn } = arches[arch];
  mkdirSync(join(dir, "lib64"), { recursive: true });
  mkdirSync(join(dir, loaderIn), { recursive: true });
  copyFileSync(loader, join(dir, loaderIn, loader.split("/").pop()!));
  for (const lib of [...glibcOnly, ...(systemCxx ? ["libstdc++.so.6", "libgcc_s.so.1"] : [])]) copyFileSync(join(libs, lib), join(dir, "lib64", lib));
  mkdirSync(join(dir, "var", "task"), { recursive: true });
  await extractZip(zip, join(dir, "var", "task"));
  return dir;
}

const tool = (name: string) => execFileSync("sh", ["-c", `command -v ${name}`]).toString().trim();

/** Starts bootstrap as Lambda does, /var/task read-only in a private mount namespace: chroot natively, qemu -L for arm64. */
async function start(arch: TestArch, dir: string) {
  const emulator = await startEmulator({ taskRoot: "/var/task", timeoutMs: 60_000 });
  const run = arch === process.arch ? `exec ${tool("chroot")} "$2" /var/task/bootstrap` : `exec ${tool("qemu-aarch64")} -L "$2" "$2/var/task/bootstrap"`;
  const script = [
    `${tool("mount")} --bind "$1" "$1" && ${tool("mount")} -o remount,bind,ro "$1" || exit 90`,
    `if ${tool("touch")} "$1/.probe" 2>/dev/null; then exit 91; fi`,
    run,
  ].join("\n");
  const asRoot = process.getuid?.() === 0;
  const child = spawn(tool("unshare"), [...(asRoot ? [] : ["--map-root-user"]), "--mount", "/bin/sh", "-c", script, "sh", join(dir, "var", "task"), dir], {
    env: { ...emulator.env, LAMBDA_TASK_ROOT: "/var/task", LD_LIBRARY_PATH: lambdaLibraryPath, PATH: "/usr/bin:/bin" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let logs = "";
  child.stdout.on("data", (d) => (logs += d));
  child.stderr.on("data", (d) => (logs += d));
  child.on("exit", (code, signal) => emulator.processExited(code, signal));
  const stop = async () => {
    child.kill("SIGKILL");
    await emulator.close();
  };
  return { emulator, child, logs: () => logs, stop };
}

async function expectAnswer(arch: TestArch, dir: string, name: string): Promise<string> {
  const run = await start(arch, dir);
  try {
    expect((await run.emulator.initialized()).status, run.logs()).toBe("ready");
    const result = await run.emulator.invoke(httpEvent("apigw-v2", { path: "/hello", query: [["name", name]] }));
    expect(result.status, run.logs()).toBe("ok");
    expect(JSON.parse(readResult("apigw-v2", result.payload).body.toString())).toEqual({ message: `hello, ${name}` });
    return arch === "x64" ? readFileSync(`/proc/${run.child.pid}/maps`, "utf8") : "";
  } finally {
    await run.stop();
  }
}

describe("provided.al2023 fallback libraries", () => {
  it("ship only libraries that load with glibc 2.34, for both arches", async () => {
    for (const arch of ["x64", "arm64"] as const) {
      const libs = await fallbackLibraries(arch, "2.34");
      expect(libs.map((l) => [l.name, l.report.arch])).toEqual([["libgcc_s.so.1", arch], ["libstdc++.so.6", arch]]);
      // A stricter runtime refuses them, naming the file and the version.
      await expect(fallbackLibraries(arch, "2.10")).rejects.toThrow(/needs GLIBC_2\.\d+, more than the runtime's glibc 2\.10/);
    }
  });

  for (const arch of ["x64", "arm64"] as const) {
    describe.runIf(canRun(arch))(arch, () => {
      it("are in lib/ of the default zip and reported in --json with their size", () => {
        const { json } = zips[arch]!;
        expect(json.entries.map((e: { name: string }) => e.name)).toEqual(["bootstrap", "lib/libgcc_s.so.1", "lib/libstdc++.so.6"]);
        expect(json.fallback.libraries).toEqual(["libgcc_s.so.1", "libstdc++.so.6"]);
        expect(json.fallback.bytes).toBeGreaterThan(json.fallback.zippedBytes);
        expect(json.fallback.zippedBytes).toBeGreaterThan(100_000);
      });

      it("let the zip answer from a root without libstdc++ and libgcc_s; without them it cannot start", async () => {
        await expectAnswer(arch, await root(arch, zips[arch]!.fallback, false), `fallback ${arch}`);
        const bare = await start(arch, await root(arch, zips[arch]!.bare, false));
        try {
          expect((await bare.emulator.initialized()).status).toBe("exited");
          expect(bare.logs()).toMatch(/libstdc\+\+\.so\.6|libgcc_s\.so\.1/);
        } finally {
          await bare.stop();
        }
      }, timeout);

      // Which copy is mapped is read from /proc/PID/maps, which shows qemu's own mappings for arm64.
      if (arch === "x64") {
        it("give way to the runtime's own libstdc++ when it has one", async () => {
          const maps = await expectAnswer(arch, await root(arch, zips[arch]!.fallback, true), "system");
          expect(maps).toMatch(/\/lib64\/libstdc\+\+\.so\.6/);
          expect(maps).not.toContain("/var/task/lib/libstdc++.so.6");
        }, timeout);
      }
    });
  }
});
