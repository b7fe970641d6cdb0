// pack lambda --layout layer: a runtime layer (the stripped Node, named by its content, the same
// bytes for every service) and a function zip of bootstrap + app.cjs. Both run together through
// binship invoke --layer, natively and under qemu; a provided.al2 layer brings its own glibc and
// runs from an otherwise empty root, mounted at /opt as Lambda mounts layers.

import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/invoke/emulator/index.js";
import { extractZip, readZip } from "../../src/invoke/unzip.js";
import { httpEvent, readResult } from "../fixtures/events/index.js";
import { appsDir, repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { requirePaths, requireTools } from "../helpers/tools.js";

const timeout = 300_000; // qemu and a busy machine
const hono = join(appsDir, "hono", "index.ts");
const hello = join(repoRoot, "examples", "hello", "src", "index.ts");
const canRunArm64 = () => requireTools("qemu-aarch64") && requirePaths("/usr/aarch64-linux-gnu/lib/libc.so.6");

type Packed = { dir: string; json: Record<string, any> };
const packed: Record<string, Packed> = {};

async function pack(name: string, entry: string, ...args: string[]): Promise<Packed> {
  const dir = tempDir(`binship-layer-${name}-`);
  const r = await runCli(["pack", "lambda", entry, "--layout", "layer", "-o", join(dir, "function.zip"), "--json", ...args]);
  if (r.code !== 0) throw new Error(`pack ${name} failed (${r.code}):\n${r.stderr}`);
  return { dir, json: JSON.parse(r.stdout) };
}

beforeAll(async () => {
  packed.hono = await pack("hono", hono, "--arch", "x64");
  packed.hello = await pack("hello", hello, "--arch", "x64");
  packed.al2 = await pack("al2", hello, "--arch", "x64", "--runtime", "provided.al2");
  if (requirePaths("/usr/aarch64-linux-gnu/lib/libc.so.6")) packed.arm64 = await pack("arm64", hono, "--arch", "arm64");
}, timeout * 2);

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("pack lambda --layout layer", () => {
  it("writes a function zip of bootstrap and app.cjs only, under 100 KiB", () => {
    const { json } = packed.hono!;
    expect(json.layout).toBe("layer");
    expect(json.bytes).toBeLessThanOrEqual(100 * 1024);
    const entries = readZip(readFileSync(json.path));
    expect(entries.map((e) => [e.name, e.mode.toString(8)])).toEqual([
      ["app.cjs", "644"],
      ["bootstrap", "755"],
    ]);
    const script = entries.find((e) => e.name === "bootstrap")!.data().toString();
    expect(script).toMatch(/^#!\/bin\/sh\n/);
    expect(script).toContain('opt="${BINSHIP_OPT:-/opt}"');
    expect(script).toContain('exec "$opt/bin/node" "$root/app.cjs"');
    expect(json.sha256).toBe(sha256(json.path));
    expect(json.sha256Base64).toBe(Buffer.from(json.sha256, "hex").toString("base64"));
    expect(json.executable).toBeNull();
  });

  it("writes a layer named by its content holding the stripped Node in bin/", () => {
    const { json, dir } = packed.hono!;
    const layer = json.layer;
    expect(basename(layer.path)).toBe(`node-${json.node}-x64-${layer.sha256.slice(0, 12)}.zip`);
    expect(layer.path).toBe(join(dir, basename(layer.path)));
    expect(layer.sha256).toBe(sha256(layer.path));
    expect(layer.sha256Base64).toBe(Buffer.from(layer.sha256, "hex").toString("base64"));
    expect(layer.name).toMatch(/^[A-Za-z0-9_-]+$/); // what publish-layer-version accepts
    const entries = readZip(readFileSync(layer.path)).filter((e) => !e.directory);
    // lib/: provided.al2023's libstdc++/libgcc_s fallback, in the layer (/opt/lib is on Lambda's LD_LIBRARY_PATH).
    expect(entries.map((e) => [e.name, e.mode.toString(8)])).toEqual([
      ["bin/node", "755"],
      ["lib/libgcc_s.so.1", "644"],
      ["lib/libstdc++.so.6", "644"],
    ]);
    expect(json.fallback.libraries).toEqual(["libgcc_s.so.1", "libstdc++.so.6"]);
    // Stripped: no .symtab, like the executable layout's Node.
    const node = join(tempDir("binship-layer-node-"), "node");
    writeFileSync(node, entries[0]!.data());
    expect(execFileSync("readelf", ["-S", "-W", node]).toString()).not.toContain(".symtab");
  });

  it("writes the same layer bytes for two different services", () => {
    const a = packed.hono!.json;
    const b = packed.hello!.json;
    expect(a.sha256).not.toBe(b.sha256);
    expect(b.layer.sha256).toBe(a.layer.sha256);
    expect(basename(b.layer.path)).toBe(basename(a.layer.path));
    expect(readFileSync(b.layer.path).equals(readFileSync(a.layer.path))).toBe(true);
  });

  it("leaves both zips alone when nothing changed", async () => {
    const { json } = packed.hello!;
    const r = await runCli(["pack", "lambda", hello, "--layout", "layer", "--arch", "x64", "-o", json.path, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const again = JSON.parse(r.stdout);
    expect(again.changed).toBe(false);
    expect(again.layer.changed).toBe(false);
    expect(again.layer.path).toBe(json.layer.path);
  }, timeout);

  it("binship invoke --layer answers an HTTP event with the x64 pair", async () => {
    const { json } = packed.hono!;
    const r = await runCli(["invoke", json.path, "--layer", json.layer.path, "--http", "GET /hello?name=layer", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.invocations[0].http.statusCode).toBe(200);
    expect(JSON.parse(out.invocations[0].http.body)).toMatchObject({ message: "hello, layer" });
  }, timeout);

  it.runIf(canRunArm64())("binship invoke --layer answers an HTTP event with the arm64 pair under qemu", async () => {
    const { json } = packed.arm64!;
    expect(basename(json.layer.path)).toMatch(new RegExp(`^node-${json.node.replace(/\./g, "\\.")}-arm64-[0-9a-f]{12}\\.zip$`));
    const r = await runCli(["invoke", json.path, "--layer", json.layer.path, "--http", "GET /hello?name=graviton", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(JSON.parse(out.invocations[0].http.body)).toMatchObject({ message: "hello, graviton" });
  }, timeout);

  it("ships an ES module bundle (top-level await) as app.mjs, which the bootstrap runs", async () => {
    const { json } = await pack("esm", join(appsDir, "hono-tla", "index.ts"), "--arch", "x64");
    expect(json.entries.map((e: { name: string }) => e.name).sort()).toEqual(["app.mjs", "bootstrap"]);
    const r = await runCli(["invoke", json.path, "--layer", json.layer.path, "--http", "GET /hello?name=esm", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(JSON.parse(r.stdout).invocations[0].http.body)).toMatchObject({ message: "hello, esm" });
  }, timeout);

  it("binship invoke without --layer says the function zip needs its layer (exit 2)", async () => {
    const r = await runCli(["invoke", packed.hono!.json.path, "--http", "GET /"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/runs on a Node runtime layer/);
    expect(r.stderr).toMatch(/--layer node-<version>-<arch>-<sha>\.zip/);
  }, timeout);

  it("removes the layer it replaced once no pack in the directory names it, and keeps one another pack still uses", async () => {
    const dir = tempDir("binship-layer-prune-");
    const packInto = async (zip: string, ...args: string[]) => {
      const r = await runCli(["pack", "lambda", hello, "--layout", "layer", "--arch", "x64", "-o", join(dir, zip), "--json", ...args]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const a1 = await packInto("a.zip");
    const b1 = await packInto("b.zip");
    expect(b1.layer.path).toBe(a1.layer.path); // two functions, one layer
    // Leaving the fallback libraries out makes another layer; b.zip still names the first one.
    const a2 = await packInto("a.zip", "--no-fallback-libraries");
    expect(a2.layer.path).not.toBe(a1.layer.path);
    expect(a2.layer.removed).toBeNull();
    expect(existsSync(a1.layer.path)).toBe(true);
    const b2 = await packInto("b.zip", "--no-fallback-libraries");
    expect(b2.layer.removed).toBe(a1.layer.path);
    expect(existsSync(a1.layer.path)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.endsWith(".zip")).sort()).toEqual(["a.zip", "b.zip", basename(a2.layer.path)].sort());
  }, timeout * 2);

  it("refuses --sbom and --report with --layout layer before writing anything (exit 2)", async () => {
    const dir = tempDir("binship-layer-sbom-");
    const r = await runCli(["pack", "lambda", hello, "--layout", "layer", "--arch", "x64", "-o", join(dir, "f.zip"), "--sbom", join(dir, "f.cdx.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--sbom cannot be used with --layout layer/);
    expect(r.stderr).toMatch(/binship inspect --sbom/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses --executable with --layout layer (exit 2)", async () => {
    const r = await runCli(["pack", "lambda", "--layout", "layer", "--executable", process.execPath, "-o", join(tempDir(), "f.zip")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--executable cannot be used with --layout layer/);
  });

  it.runIf(requireTools("chroot", "unshare", "mount") && requirePaths("/bin/busybox"))(
    "provided.al2: the layer's loader and glibc run the function from an empty root, the layer at /opt",
    async () => {
      const { json } = packed.al2!;
      const layerEntries = readZip(readFileSync(json.layer.path)).map((e) => e.name);
      expect(layerEntries).toEqual(expect.arrayContaining(["bin/node", "lib/ld-linux-x86-64.so.2", "lib/libc.so.6", "lib/libstdc++.so.6"]));
      expect(readZip(readFileSync(json.path)).map((e) => e.name)).toEqual(["app.cjs", "bootstrap"]);
      const root = tempDir("binship-layer-root-");
      mkdirSync(join(root, "bin"));
      copyFileSync("/bin/busybox", join(root, "bin", "sh")); // static: no libraries at all
      await extractZip(json.path, join(root, "var", "task"));
      await extractZip(json.layer.path, join(root, "opt"));
      const emulator = await startEmulator({ taskRoot: "/var/task", timeoutMs: 30_000 });
      const tool = (name: string) => execFileSync("sh", ["-c", `command -v ${name}`]).toString().trim();
      const asRoot = process.getuid?.() === 0;
      const args = [...(asRoot ? [] : ["--map-root-user"]), "--mount", tool("chroot"), root, "/var/task/bootstrap"];
      const child = spawn(tool("unshare"), args, { env: { ...emulator.env, PATH: "/bin" }, stdio: ["ignore", "pipe", "pipe"] });
      let logs = "";
      child.stdout.on("data", (d) => (logs += d));
      child.stderr.on("data", (d) => (logs += d));
      child.on("exit", (code, signal) => emulator.processExited(code, signal));
      try {
        const init = await emulator.initialized();
        expect(init.status, logs).toBe("ready");
        const result = await emulator.invoke(httpEvent("apigw-v2", { path: "/hello", query: [["name", "al2 layer"]] }));
        expect(result.status, `${result.error?.errorMessage}\n${logs}`).toBe("ok");
        expect(JSON.parse(readResult("apigw-v2", result.payload).body.toString())).toEqual({ message: "hello, al2 layer" });
      } finally {
        child.kill("SIGKILL");
        await emulator.close();
      }
    },
    timeout,
  );
});
