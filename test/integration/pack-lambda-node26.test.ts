// Node 26 binaries also need libatomic.so.1, which provided.al2023 does not have. pack lambda
// ships it in lib/, where Lambda's LD_LIBRARY_PATH looks. Proof: a root holding only what
// provided.al2023 offers a binary (loader, glibc, libstdc++, libgcc_s, from this host), with
// Lambda's LD_LIBRARY_PATH, starts the zip's bootstrap and answers; without lib/ it cannot start.

import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { extractZip } from "../../src/invoke/unzip.js";
import { startEmulator } from "../../src/invoke/emulator/index.js";
import { httpEvent, readResult } from "../fixtures/events/index.js";
import { repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { requirePaths, requireTools } from "../helpers/tools.js";

const hostLibs = "/lib/x86_64-linux-gnu";
// What the AL2023 image gives a binary (runtimes.ts), and nothing else.
const al2023Libs = ["libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "libstdc++.so.6", "libgcc_s.so.1"];
// "Defined runtime environment variables", https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
const lambdaLibraryPath = "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib";
const ready = process.arch === "x64" && requireTools("chroot") && requirePaths(`${hostLibs}/libatomic.so.1`, "/lib64/ld-linux-x86-64.so.2");

let zip: string;
let json: Record<string, any>;

beforeAll(async () => {
  if (!ready) return;
  zip = join(tempDir("binship-node26-"), "lambda.zip");
  const r = await runCli(["pack", "lambda", join(repoRoot, "examples", "hello", "src", "index.ts"), "--arch", "x64", "--node", "26", "-o", zip, "--json"]);
  if (r.code !== 0) throw new Error(`pack --node 26 failed (${r.code}):\n${r.stderr}`);
  json = JSON.parse(r.stdout);
});

/** An AL2023-like root: /lib64 with the loader and the runtime's libraries, /var/task with the zip. */
async function al2023Root(withLib: boolean): Promise<string> {
  const root = tempDir("binship-al2023-root-");
  mkdirSync(join(root, "lib64"));
  copyFileSync("/lib64/ld-linux-x86-64.so.2", join(root, "lib64", "ld-linux-x86-64.so.2"));
  for (const lib of al2023Libs) copyFileSync(join(hostLibs, lib), join(root, "lib64", lib));
  mkdirSync(join(root, "var", "task"), { recursive: true });
  await extractZip(zip, join(root, "var", "task"));
  if (!withLib) rmSync(join(root, "var", "task", "lib"), { recursive: true });
  return root;
}

async function start(root: string) {
  const emulator = await startEmulator({ taskRoot: "/var/task", timeoutMs: 30_000 });
  const chroot = execFileSync("sh", ["-c", "command -v chroot"]).toString().trim();
  let logs = "";
  const child = spawn(chroot, [root, "/var/task/bootstrap"], { env: { ...emulator.env, LD_LIBRARY_PATH: lambdaLibraryPath, PATH: "/usr/bin:/bin" }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (d) => (logs += d));
  child.stderr.on("data", (d) => (logs += d));
  child.on("exit", (code, signal) => emulator.processExited(code, signal));
  return { emulator, child, logs: () => logs };
}

describe.runIf(ready)("pack lambda --node 26 for provided.al2023", () => {
  it("ships libatomic.so.1 in lib/ next to bootstrap", () => {
    expect(json.node).toMatch(/^26\./);
    expect(json.libraries).toEqual(["libatomic.so.1", "libgcc_s.so.1", "libstdc++.so.6"]); // with the libstdc++/libgcc_s fallback
    expect(json.entries.map((e: { name: string; mode: number }) => [e.name, e.mode.toString(8)])).toEqual([
      ["bootstrap", "755"],
      ["lib/libatomic.so.1", "644"],
      ["lib/libgcc_s.so.1", "644"],
      ["lib/libstdc++.so.6", "644"],
    ]);
  });

  it("answers from a root with only what provided.al2023 offers, and cannot start without lib/", async () => {
    const good = await start(await al2023Root(true));
    try {
      expect((await good.emulator.initialized()).status, good.logs()).toBe("ready");
      const result = await good.emulator.invoke(httpEvent("apigw-v2", { path: "/hello", query: [["name", "node 26"]] }));
      expect(result.status, good.logs()).toBe("ok");
      expect(JSON.parse(readResult("apigw-v2", result.payload).body.toString())).toEqual({ message: "hello, node 26" });
    } finally {
      good.child.kill("SIGKILL");
      await good.emulator.close();
    }
    const bare = await start(await al2023Root(false));
    try {
      expect((await bare.emulator.initialized()).status).toBe("exited");
      expect(bare.logs()).toContain("libatomic.so.1");
    } finally {
      bare.child.kill("SIGKILL");
      await bare.emulator.close();
    }
  }, 120_000);
});
