// Project paths a user may have: spaces work end to end (bundle, build, pack lambda with a
// depfile that make reads as written), and a byte that is not UTF-8 in the current directory or
// an argument fails at once with exit 2, naming the byte and what to rename, instead of
// "entry module not found" for an entry that is there (Node reads such bytes as U+FFFD).

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { binshipBin, runCli, tempDir, type CliResult } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { startService } from "../helpers/process.js";
import { requireTools } from "../helpers/tools.js";

const entrySource = 'import { greet } from "./lib/my util";\nexport default { fetch: () => new Response(greet()) };\n';

/** A project in `<tmp>/my app/` whose entry imports `lib/my util.ts`. */
function spacedProject(): string {
  const dir = join(tempDir("binship-paths-"), "my app");
  mkdirSync(join(dir, "lib"), { recursive: true });
  writeFileSync(join(dir, "lib", "my util.ts"), 'export const greet = () => "hello from my util";\n');
  writeFileSync(join(dir, "index.ts"), entrySource);
  return dir;
}

/** Exit status of `make -q target` in `dir`: 0 up to date, 1 out of date. */
function makeQuestion(dir: string, target: string): number {
  try {
    execFileSync("make", ["-q", "-C", dir, target], { stdio: "pipe" });
    return 0;
  } catch (err) {
    return (err as { status: number }).status;
  }
}

describe.runIf(requireTools("make"))("a project path with spaces", () => {
  it("bundles, builds and packs, and the depfiles escape spaces so make rebuilds on a change", async () => {
    const dir = spacedProject();
    const bundled = await runCli(["bundle", "index.ts", "-o", "dist/my bundle.cjs"], { cwd: dir });
    expect(bundled.code, bundled.stderr).toBe(0);
    const svc = await startService(process.execPath, [join(dir, "dist", "my bundle.cjs")]);
    try {
      expect((await httpRequest(svc.url)).body.toString()).toBe("hello from my util");
    } finally {
      await svc.stop();
    }

    const built = await runCli(["build", "index.ts", "--arch", "x64", "-o", "dist/my app", "--depfile", "dist/app.d"], { cwd: dir });
    expect(built.code, built.stderr).toBe(0);
    const packed = await runCli(["pack", "lambda", "index.ts", "--arch", "x64", "-o", "dist/my fn.zip", "--depfile", "dist/fn.d"], { cwd: dir });
    expect(packed.code, packed.stderr).toBe(0);
    const depfile = readFileSync(join(dir, "dist", "fn.d"), "utf8");
    expect(depfile).toMatch(/^dist\/my\\ fn\.zip: \\$/m);
    expect(depfile).toContain("  lib/my\\ util.ts");
    expect(readFileSync(join(dir, "dist", "app.d"), "utf8")).toMatch(/^dist\/my\\ app: \\$/m);

    // make reads the depfile as meant: up to date now, out of date once the spaced source changes.
    writeFileSync(join(dir, "Makefile"), "dist/my\\ fn.zip:\n\t@false\n-include dist/fn.d\n");
    expect(makeQuestion(dir, "dist/my fn.zip")).toBe(0);
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, "lib", "my util.ts"), later, later);
    expect(makeQuestion(dir, "dist/my fn.zip")).toBe(1);
  }, 600_000);
});

/** Runs binship from the directory `rawDir` (bytes, given to printf as \NNN escapes) with `args`. */
function runIn(rawDir: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const script = 'cd "$(printf "$1")" || exit 99; shift; exec "$@"';
    const child = spawn("sh", ["-c", script, "sh", rawDir, process.execPath, binshipBin, ...args], { env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("a project path with a byte that is not UTF-8", () => {
  /** `<tmp>/my app \xff/index.ts`, made through a Buffer path (a string cannot name it). */
  function latin1Project(): { parent: string; printfDir: string } {
    const parent = tempDir("binship-paths-");
    const dir = Buffer.concat([Buffer.from(`${parent}/my app `), Buffer.from([0xff])]);
    mkdirSync(dir);
    writeFileSync(Buffer.concat([dir, Buffer.from("/index.ts")]), 'export default { fetch: () => new Response("hi") };\n');
    return { parent, printfDir: `${parent}/my app \\377` };
  }

  it("as the current directory: exit 2 naming the byte and the directory to rename", async () => {
    const { printfDir } = latin1Project();
    const r = await runIn(printfDir, ["bundle", "index.ts", "-o", "out.cjs"]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("the current directory");
    expect(r.stderr).toContain('has a byte that is not UTF-8 (0xff in "my app \\xff")');
    expect(r.stderr).toContain("hint: Rename it to a UTF-8 name, e.g. mv $'my app \\xff' 'my app'");
    expect(r.stderr).not.toMatch(/entry module not found|unexpected error/);
  });

  it("in an argument: exit 2 naming the argument's byte", async () => {
    const { parent } = latin1Project();
    // The entry's bytes reach binship's argv only through a shell: spawn() takes strings.
    const r = await new Promise<CliResult>((resolve) => {
      const script = 'exec "$1" "$2" bundle "$(printf "$3")" -o "$4"';
      const child = spawn("sh", ["-c", script, "sh", process.execPath, binshipBin, `${parent}/my app \\377/index.ts`, join(parent, "out.cjs")], { env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (code) => resolve({ code, stdout: "", stderr }));
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`the argument ${parent}/my app \\xff/index.ts has a byte that is not UTF-8 (0xff in "my app \\xff")`);
    expect(r.stderr).not.toMatch(/entry module not found|unexpected error/);
  });
});
