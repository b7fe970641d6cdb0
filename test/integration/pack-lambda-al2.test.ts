// provided.al2 has glibc 2.26 and official Node needs 2.28, so its zip carries a loader and the
// libraries. The proof that it needs nothing from the system: unpack it into an otherwise empty
// root holding only a static /bin/sh (busybox), start bootstrap there with chroot, exactly as
// Lambda would (/var/task, the Runtime API on loopback), and get an invocation answered.

import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { extractZip, readZip } from "../../src/invoke/unzip.js";
import { startEmulator } from "../../src/invoke/emulator/index.js";
import { httpEvent, readResult } from "../fixtures/events/index.js";
import { repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { requirePaths, requireTools } from "../helpers/tools.js";

const invokeTimeout = 180_000; // qemu-aarch64 runs Node slowly on a busy machine

const hello = join(repoRoot, "examples", "hello", "src", "index.ts");
const zips: Partial<Record<"x64" | "arm64", { path: string; stderr: string; json: Record<string, any> }>> = {};
const canRunArm64 = () => requireTools("qemu-aarch64") && requirePaths("/usr/aarch64-linux-gnu/lib/libc.so.6");

beforeAll(async () => {
  const dir = tempDir("binship-al2-");
  for (const arch of ["x64", "arm64"] as const) {
    if (arch === "arm64" && !requirePaths("/usr/aarch64-linux-gnu/lib/libc.so.6")) continue;
    const path = join(dir, `lambda-${arch}.zip`);
    const r = await runCli(["pack", "lambda", hello, "--arch", arch, "--runtime", "provided.al2", "-o", path, "--json"]);
    if (r.code !== 0) throw new Error(`pack --runtime provided.al2 --arch ${arch} failed (${r.code}):\n${r.stderr}`);
    zips[arch] = { path, stderr: r.stderr, json: JSON.parse(r.stdout) };
  }
});

function filesUnder(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(root, join(dir, e.name)) : [relative(root, join(dir, e.name))],
  );
}

describe("pack lambda --runtime provided.al2", () => {
  it("warns once that provided.al2 is deprecated and recommends provided.al2023", () => {
    const lines = zips.x64!.stderr.split("\n").filter((l) => l.includes("deprecated"));
    expect(lines).toEqual([expect.stringMatching(/^warning: provided\.al2 is deprecated by AWS since 2026-07-31 \(.*\)$/)]);
    expect(zips.x64!.stderr).toContain("hint: Use --runtime provided.al2023.");
  }, invokeTimeout);

  it("ships a launcher script, the executable and the loader with every library it needs", () => {
    const entries = readZip(readFileSync(zips.x64!.path));
    const modes = Object.fromEntries(entries.map((e) => [e.name, e.mode.toString(8)]));
    expect(modes).toMatchObject({ bootstrap: "755", app: "755", "lib/ld-linux-x86-64.so.2": "755", "lib/libc.so.6": "644", "lib/libstdc++.so.6": "644", "lib/libgcc_s.so.1": "644", "lib/libm.so.6": "644" });
    const script = entries.find((e) => e.name === "bootstrap")!.data().toString();
    expect(script.startsWith("#!/bin/sh\n")).toBe(true);
    expect(script).toContain('--library-path "$root/lib"');
    expect(zips.x64!.json.libraries).toEqual(entries.filter((e) => e.name.startsWith("lib/") && !e.directory).map((e) => e.name.slice(4)));
  }, invokeTimeout);

  it.runIf(requireTools("chroot", "unshare", "mount") && requirePaths("/bin/busybox"))("answers an invocation from an empty root with only a static /bin/sh and a read-only /var/task", async () => {
    const root = tempDir("binship-empty-root-");
    mkdirSync(join(root, "bin"));
    copyFileSync("/bin/busybox", join(root, "bin", "sh")); // Debian busybox-static: no libraries at all
    mkdirSync(join(root, "var", "task"), { recursive: true });
    await extractZip(zips.x64!.path, join(root, "var", "task"));
    // Nothing else is there: no /lib, /lib64, /usr, no ld.so.cache.
    expect(readdirSync(root).sort()).toEqual(["bin", "var"]);
    expect(filesUnder(root).filter((f) => !f.startsWith("var/task/"))).toEqual(["bin/sh"]);
    expect(statSync(join(root, "var", "task", "bootstrap")).mode & 0o777).toBe(0o755);

    const emulator = await startEmulator({ taskRoot: "/var/task", timeoutMs: 30_000 });
    let logs = "";
    // Lambda executes bootstrap itself (its #!/bin/sh line is resolved inside the root), with
    // /var/task read-only: a private mount namespace makes it so here too, and proves it.
    const tool = (name: string) => execFileSync("sh", ["-c", `command -v ${name}`]).toString().trim(); // the child's PATH is the root's
    const script = [
      `${tool("mount")} --bind "$1" "$1" && ${tool("mount")} -o remount,bind,ro "$1" || exit 90`,
      `if ${tool("touch")} "$1/.probe" 2>/dev/null; then exit 91; fi`, // writable: not what Lambda gives
      `exec ${tool("chroot")} "$2" /var/task/bootstrap`,
    ].join("\n");
    const asRoot = process.getuid?.() === 0;
    const command = tool("unshare");
    const args = [...(asRoot ? [] : ["--map-root-user"]), "--mount", "/bin/sh", "-c", script, "sh", join(root, "var", "task"), root];
    const child = spawn(command, args, { env: { ...emulator.env, PATH: "/bin" }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d) => (logs += d));
    child.stderr.on("data", (d) => (logs += d));
    child.on("error", (err) => {
      logs += String(err);
      emulator.processExited(null, null);
    });
    child.on("exit", (code, signal) => emulator.processExited(code, signal));
    try {
      const init = await emulator.initialized();
      expect(init.status, logs).toBe("ready");
      const result = await emulator.invoke(httpEvent("apigw-v2", { path: "/hello", query: [["name", "empty root"]] }));
      expect(result.status, `${result.error?.errorMessage}\n${logs}`).toBe("ok");
      const seen = readResult("apigw-v2", result.payload);
      expect(seen.status).toBe(200);
      expect(JSON.parse(seen.body.toString())).toEqual({ message: "hello, empty root" });
    } finally {
      child.kill("SIGKILL");
      await emulator.close();
    }
  }, invokeTimeout);

  it.runIf(canRunArm64())("binship invoke --http runs the arm64 zip, its loader under qemu", async () => {
    const r = await runCli(["invoke", zips.arm64!.path, "--http", "GET /hello?name=al2%20arm64", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.launcher).toBe("lambda-zip");
    expect(out.invocations[0].http.statusCode).toBe(200);
    expect(JSON.parse(out.invocations[0].http.body)).toEqual({ message: "hello, al2 arm64" });
  }, invokeTimeout);
});
