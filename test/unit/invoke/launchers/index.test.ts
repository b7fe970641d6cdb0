// The launcher table picks how to run an artifact: node for bundles, the ELF itself on its
// own arch, qemu-user for a foreign arch, a clear error for anything else.

import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isBinshipError } from "../../../../src/errors.js";
import { bundleLauncher, elfArch, executableLauncher, launchers, pickLauncher } from "../../../../src/invoke/index.js";
import { tempDir } from "../../../helpers/cli.js";
import { requirePaths, requireTools } from "../../../helpers/tools.js";

const hostArch = process.arch === "arm64" ? "arm64" : "x64";
const foreign = hostArch === "x64" ? "arm64" : "x64";

describe("launchers", () => {
  it("runs a bundle with the current node, in the bundle's directory", async () => {
    const dir = tempDir();
    const file = join(dir, "app.cjs");
    writeFileSync(file, "");
    expect((await pickLauncher(file)).name).toBe("bundle");
    const launch = await bundleLauncher.launch(file, { A: "1" });
    expect(launch).toMatchObject({ command: process.execPath, args: [file], cwd: dir, env: { A: "1" } });
  });

  it("reads the CPU of a real ELF file from its header", async () => {
    expect(await elfArch("/bin/true")).toBe(hostArch);
    expect(await elfArch(join(import.meta.dirname, "launchers.test.ts"))).toBeUndefined();
  });

  it("runs a host-arch executable directly", async () => {
    const dir = tempDir();
    const file = join(dir, "bootstrap");
    copyFileSync("/bin/true", file);
    expect((await pickLauncher(file)).name).toBe("executable");
    expect(await executableLauncher(hostArch).launch(file, {})).toMatchObject({ command: file, args: [], cwd: dir });
  });

  // A real arm64 ELF file: the cross loader from libc6-arm64-cross.
  const arm64Elf = "/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1";

  it.runIf(requireTools("qemu-aarch64") && requirePaths(arm64Elf))("runs an arm64 executable on x86_64 under qemu-aarch64 with the cross library root", async () => {
    expect(await elfArch(arm64Elf)).toBe("arm64");
    const launch = await executableLauncher("x64").launch(arm64Elf, {}, { hostPath: process.env.PATH! });
    expect(launch.command).toMatch(/\/qemu-aarch64$/);
    expect(launch.args).toEqual(["-L", "/usr/aarch64-linux-gnu", arm64Elf]);
  });

  it("says which package to install when qemu is not on the host's PATH (the function's PATH is not searched)", async () => {
    const err = await executableLauncher(foreign).launch("/bin/true", { PATH: process.env.PATH! }, { hostPath: tempDir() }).catch((e: unknown) => e);
    expect(isBinshipError(err) && err.code).toBe("TOOL_MISSING");
    expect((err as Error).message).toContain("qemu-");
    expect((err as { hint: string }).hint).toContain("apt-get install qemu-user");
  });

  it("rejects what no launcher runs, listing what is accepted", async () => {
    const file = join(tempDir(), "lambda.zip");
    writeFileSync(file, "PK\x03\x04");
    const err = await pickLauncher(file, launchers.filter((l) => l.name !== "lambda-zip")).catch((e: unknown) => e);
    expect(isBinshipError(err) && err.exitCode).toBe(2);
    expect((err as Error).message).toContain("cannot run");
    expect((err as { hint: string }).hint).toContain("a bundle");
    expect((err as { hint: string }).hint).toContain("ELF");
  });

  it("names a missing artifact", async () => {
    const err = await pickLauncher("/nonexistent/app.cjs").catch((e: unknown) => e);
    expect((err as Error).message).toBe("artifact not found: /nonexistent/app.cjs");
  });
});
