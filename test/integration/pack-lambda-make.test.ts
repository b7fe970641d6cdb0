// pack lambda in a Makefile (examples/Makefile on a copy of examples/): the depfile drives
// rebuilds, unchanged output keeps its mtime, the zip is deterministic, and an interrupted pack
// leaves nothing make could mistake for a finished zip.

import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readZip } from "../../src/invoke/unzip.js";
import { invokeArtifact } from "../../src/invoke/index.js";
import { httpEvent, readResult } from "../fixtures/events/index.js";
import { binshipBin, repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { requireTools } from "../helpers/tools.js";

const hasTools = requireTools("make", "zipinfo");
const packTimeout = 300_000; // each step runs one to three packs of a 100 MB executable
let examples: string;
const zip = () => join(examples, "dist", "lambda-x64.zip");
const sha = (file: string) => execFileSync("sha256sum", [file]).toString().split(" ")[0];

function make(): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync("make", ["-C", examples, "ARCH=x64"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { code: 0, stdout, stderr: "" };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Moves a file's mtime forward, so make sees it as newer than the zip whatever the clock's granularity. */
function touchLater(file: string, seconds = 5): void {
  const t = Date.now() / 1000 + seconds;
  utimesSync(file, t, t);
}

beforeAll(() => {
  if (!hasTools) return;
  const root = tempDir("binship-make-");
  cpSync(join(repoRoot, "examples"), join(root, "examples"), { recursive: true, filter: (src) => !src.includes("/dist") });
  // The Makefile's own default, BINSHIP = node ../bin/binship.js, finds this checkout's CLI.
  symlinkSync(join(repoRoot, "bin"), join(root, "bin"));
  examples = join(root, "examples");
});

describe.runIf(hasTools)("pack lambda with make (examples/Makefile)", () => {
  it("builds the zip and a depfile naming the sources on the first make", () => {
    const first = make();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("node ../bin/binship.js pack lambda hello/src/index.ts --arch x64 -o dist/lambda-x64.zip --depfile dist/lambda-x64.d");
    const depfile = readFileSync(join(examples, "dist", "lambda-x64.d"), "utf8");
    expect(depfile).toMatch(/^dist\/lambda-x64\.zip: \\\n/);
    expect(depfile).toContain("  hello/src/greeting.ts \\\n");
    expect(depfile).toContain("  hello/src/index.ts");
    expect(depfile).toContain(join(repoRoot, "src", "runtime", "index.ts")); // the runtime shipped inside is an input too
    expect(readZip(readFileSync(zip())).filter((e) => !e.directory).map((e) => [e.name, e.mode.toString(8)])).toEqual([
      ["bootstrap", "755"],
      ["lib/libgcc_s.so.1", "644"], // the provided.al2023 fallback, an input in the depfile too
      ["lib/libstdc++.so.6", "644"],
    ]);
    expect(depfile).toContain(join(repoRoot, "fallback-libs", "linux-x64", "libstdc++.so.6"));
  }, packTimeout);

  it("does nothing on a second make and leaves the zip's mtime", () => {
    const before = statSync(zip()).mtimeMs;
    const second = make();
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain("pack lambda");
    expect(second.stdout).toMatch(/Nothing to be done|is up to date/);
    expect(statSync(zip()).mtimeMs).toBe(before);
  }, packTimeout);

  it("reruns pack when an imported source is touched, keeping the zip when the bytes are the same", () => {
    const before = { mtime: statSync(zip()).mtimeMs, sha: sha(zip()) };
    touchLater(join(examples, "hello", "src", "greeting.ts"));
    const touched = make();
    expect(touched.code, touched.stderr).toBe(0);
    expect(touched.stdout).toContain("pack lambda");
    expect(touched.stdout).toContain("(unchanged)");
    expect(sha(zip())).toBe(before.sha);
    expect(statSync(zip()).mtimeMs).toBe(before.mtime);
  }, packTimeout);

  it("rebuilds a zip that answers with the change when an imported source is edited", async () => {
    const before = sha(zip());
    const greeting = join(examples, "hello", "src", "greeting.ts");
    writeFileSync(greeting, readFileSync(greeting, "utf8").replace("`hello, ${name}`", "`hi there, ${name}`"));
    touchLater(greeting, 10);
    const edited = make();
    expect(edited.code, edited.stderr).toBe(0);
    expect(sha(zip())).not.toBe(before);
    const result = await invokeArtifact({ artifact: zip(), events: [httpEvent("apigw-v2", { path: "/hello", query: [["name", "make"]] })], emulator: { timeoutMs: 30_000 } });
    expect(result.results[0]?.status).toBe("ok");
    expect(JSON.parse(readResult("apigw-v2", result.results[0]!.payload).body.toString())).toEqual({ message: "hi there, make" });
  }, packTimeout);

  it("gives byte-identical zips for the same inputs, and SOURCE_DATE_EPOCH changes only the stored times", async () => {
    const packTo = async (name: string, env: NodeJS.ProcessEnv = {}) => {
      const out = join(tempDir("binship-determinism-"), name);
      const r = await runCli(["pack", "lambda", "hello/src/index.ts", "--arch", "x64", "-o", out], { cwd: examples, env });
      expect(r.code, r.stderr).toBe(0);
      return out;
    };
    const [a, b] = [await packTo("a.zip"), await packTo("b.zip")]; // separate output dirs: nothing is reused
    expect(sha(b)).toBe(sha(a));
    const dated = await packTo("dated.zip", { SOURCE_DATE_EPOCH: "1700000000" });
    expect(sha(dated)).not.toBe(sha(a));
    expect(statSync(dated).size).toBe(statSync(a).size);
    expect(execFileSync("zipinfo", ["-T", dated]).toString()).toMatch(/^-rwxr-xr-x .* 20231114\.221320 bootstrap$/m);
    expect(execFileSync("zipinfo", ["-T", a]).toString()).toMatch(/^-rwxr-xr-x .* 19800101\.000000 bootstrap$/m);
  }, packTimeout);

  it("leaves no zip and no temporary file when the pack is killed while zipping", async () => {
    const dist = join(examples, "dist");
    execFileSync("make", ["-C", examples, "clean"]);
    const child = spawn(process.execPath, [binshipBin, "pack", "lambda", "hello/src/index.ts", "--arch", "x64", "-o", "dist/lambda-x64.zip"], { cwd: examples, stdio: "ignore" });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
    let sawTemp = false;
    let done = false;
    void exited.then(() => (done = true));
    while (!done) {
      if (existsSync(dist) && readdirSync(dist).some((f) => /^\.lambda-x64\.zip\..*\.tmp$/.test(f))) {
        sawTemp = true;
        child.kill("SIGTERM");
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const exit = await exited;
    expect(sawTemp, "the pack finished before its temporary zip was seen").toBe(true);
    expect(exit.signal).toBe("SIGTERM");
    expect(readdirSync(dist).filter((f) => f.includes("lambda-x64.zip"))).toEqual([]);
    // make does not mistake anything for a finished zip: the next make builds it.
    const after = make();
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toContain("pack lambda");
    expect(existsSync(zip())).toBe(true);
  }, packTimeout);
});
