// Ctrl-C and kill during `binship invoke` of a Lambda zip, while the function is inside an
// invocation: SIGINT and SIGTERM end the function's process and the children it started, remove
// the unpacked task root, and binship dies of the signal (a shell shows 130 / 143). A run killed
// outright (SIGKILL) cannot clean up; the next invoke of a zip removes the task root it left.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { bundleEntry } from "../fixtures/lambda-apps/bundle.js";
import { binshipBin, fixturesDir, runCli, tempDir } from "../helpers/cli.js";
import { rawZip } from "../helpers/raw-zip.js";
import { running } from "../helpers/process.js";

let zip: string; // bootstrap (a script running the handler bundle on this Node) + app.cjs

beforeAll(async () => {
  const app = await bundleEntry(join(fixturesDir, "lambda-apps", "handler.ts"));
  zip = join(tempDir("binship-invoke-int-"), "fn.zip");
  const script = `#!/bin/sh\nexec '${process.execPath}' "$LAMBDA_TASK_ROOT/app.cjs"\n`;
  writeFileSync(zip, rawZip([{ name: "app.cjs", data: readFileSync(app), deflate: true }, { name: "bootstrap", data: Buffer.from(script), mode: 0o100755 }]).bytes);
}, 120_000);

const seen: number[] = []; // every function and child pid a test saw, ended after it even when it fails

afterEach(() => {
  for (const pid of seen.splice(0)) if (running(pid)) process.kill(pid, "SIGKILL");
});


interface Started {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  tmp: string;
  pids: () => Promise<number[]>; // the function's and its child's, once the handler runs
  stderr: () => string;
}

function invokeHanging(tmp: string): Started {
  const dir = tempDir("binship-invoke-int-");
  const pidFile = join(dir, "pids");
  const event = join(dir, "event.json");
  writeFileSync(event, JSON.stringify({ action: "pid-hang", pidFile }));
  const child = spawn(process.execPath, [binshipBin, "invoke", zip, "--event", event, "--timeout", "120"], { env: { ...process.env, NO_COLOR: "1", TMPDIR: tmp }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  let ended = false;
  void exit.then(() => (ended = true));
  const pids = async () => {
    for (const deadline = Date.now() + 60_000; !existsSync(pidFile); ) {
      if (ended) throw new Error(`binship ended before the handler ran:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`the handler did not start within 60 s:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const found = readFileSync(pidFile, "utf8").split(" ").map(Number);
    seen.push(...found);
    return found;
  };
  return { child, exit, tmp, pids, stderr: () => stderr };
}

function freshTmp(): string {
  const tmp = join(tempDir("binship-invoke-int-"), "tmp");
  mkdirSync(tmp);
  return tmp;
}

describe("binship invoke interrupted while the function runs", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal}: the function and its child end, the task root is removed, binship dies of ${signal}`, async () => {
      const run = invokeHanging(freshTmp());
      const pids = await run.pids();
      expect(pids.every(running)).toBe(true);
      expect(readdirSync(run.tmp)).toHaveLength(1); // the task root
      run.child.kill(signal); // to binship alone, as `kill <pid>` does
      expect(await run.exit).toEqual({ code: null, signal });
      expect(run.stderr()).not.toMatch(/unexpected error/);
      expect(pids.filter(running)).toEqual([]);
      expect(readdirSync(run.tmp)).toEqual([]);
    }, 120_000);
  }

  it("SIGKILL leaves the task root, and the next invoke of a zip removes it", async () => {
    const tmp = freshTmp();
    const run = invokeHanging(tmp);
    const pids = await run.pids();
    run.child.kill("SIGKILL");
    await run.exit;
    for (const pid of pids) if (running(pid)) process.kill(pid, "SIGKILL"); // nothing could end them: binship was killed outright
    expect(readdirSync(tmp)).toHaveLength(1);
    const next = await runCli(["invoke", zip], { env: { TMPDIR: tmp }, timeoutMs: 60_000 });
    expect(next.code, next.stderr).toBe(0);
    expect(readdirSync(tmp)).toEqual([]);
  }, 120_000);
});
