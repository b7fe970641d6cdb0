// `binship invoke` on real single executables from `binship build`: the host arch runs
// directly, arm64 on an x86_64 machine runs under qemu-aarch64 with the cross library root,
// and a missing qemu is a clear error.

import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { appsDir, runCli, tempDir } from "../helpers/cli.js";
import { requirePaths, requireTools } from "../helpers/tools.js";

const out = tempDir("binship-invoke-exe-");
const host = process.arch === "arm64" ? "arm64" : "x64";
const foreign = host === "x64" ? "arm64" : "x64";
const foreignReady = foreign === "arm64" ? requireTools("qemu-aarch64") && requirePaths("/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1") : false;

async function build(arch: string): Promise<string> {
  const exe = join(out, `hono-${arch}`);
  const r = await runCli(["build", join(appsDir, "hono", "index.ts"), "--arch", arch, "-o", exe]);
  expect(r.code, r.stderr).toBe(0);
  return exe;
}

describe("binship invoke on an executable", () => {
  let native: string;
  beforeAll(async () => {
    native = await build(host);
  });

  it(`runs a ${host} executable directly and prints the function URL response`, async () => {
    const r = await runCli(["invoke", native, "--http", "GET /hello?name=elf", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.launcher).toBe("executable");
    expect(out.invocations[0].http).toMatchObject({ statusCode: 200, body: '{"message":"hello, elf"}' });
  });

  describe.runIf(foreignReady)(`a ${foreign} executable`, () => {
    let exe: string;
    beforeAll(async () => {
      exe = await build(foreign);
    });

    it("runs under qemu-user, warm across invocations", async () => {
      const r = await runCli(["invoke", exe, "--http", "GET /cookies", "--count", "2", "--json"], { timeoutMs: 240_000 });
      expect(r.code, r.stderr).toBe(0);
      const { invocations } = JSON.parse(r.stdout);
      expect(invocations.map((i: { status: string }) => i.status)).toEqual(["ok", "ok"]);
      expect(invocations[1].http.cookies).toHaveLength(3);
    });

    it("says which package to install when qemu is not on PATH", async () => {
      // A PATH with node and nothing else.
      const bin = tempDir("binship-path-");
      symlinkSync(process.execPath, join(bin, "node"));
      const r = await runCli(["invoke", exe, "--http", "GET /hello"], { env: { PATH: bin } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`is a ${foreign} executable and this machine is ${host}; running it needs qemu-aarch64, which is not on PATH`);
      expect(r.stderr).toContain("apt-get install qemu-user");
    });
  });
});
