// --depfile with make: the depfile names exactly the files esbuild read, and a Makefile that
// -includes it rebuilds the bundle when (and only when) one of them changes.

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { binshipBin, repoRoot, tempDir } from "../helpers/cli.js";
import { requireTools } from "../helpers/tools.js";
import { parseDepfile } from "../helpers/depfile.js";

const hasMake = requireTools("make");

describe.runIf(hasMake)("a Makefile driven by the depfile", () => {
  const dir = tempDir("binship-make-");
  const make = (...args: string[]) => spawnSync("make", ["--no-print-directory", ...args], { cwd: dir, encoding: "utf8" });
  const stale = () => make("-q", "dist/app.cjs").status; // 0 up to date, 1 needs a rebuild
  const setMtime = (rel: string, secondsAgo: number) => {
    const t = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(join(dir, rel), t, t);
  };
  // The depfile also lists binship's runtime sources; the times set below (up to 2 s ago)
  // must be newer than those, so wait until the newest of them is 3 s old.
  const settleRuntimeSources = async () => {
    const dep = parseDepfile(readFileSync(join(dir, "dist", "app.d"), "utf8"));
    const newest = Math.max(...dep.deps.filter((d) => isAbsolute(d)).map((d) => statSync(d).mtimeMs));
    const wait = newest + 3000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };

  beforeAll(async () => {
    mkdirSync(join(dir, "src", "lib"), { recursive: true });
    mkdirSync(join(dir, "src with space"), { recursive: true });
    writeFileSync(join(dir, "src", "index.ts"), 'import { greet } from "./lib/greet.js";\nimport { tag } from "../src with space/tag.js";\nexport default { fetch: () => new Response(greet("make") + tag) };\n');
    writeFileSync(join(dir, "src", "lib", "greet.ts"), 'export const greet = (n: string) => `hello, ${n}`;\n');
    writeFileSync(join(dir, "src with space", "tag.ts"), 'export const tag = "!";\n');
    writeFileSync(join(dir, "src", "unused.ts"), "export const unused = 1;\n");
    writeFileSync(
      join(dir, "Makefile"),
      [
        `BINSHIP := ${JSON.stringify(process.execPath)} ${JSON.stringify(binshipBin)}`,
        "dist/app.cjs:",
        "\t$(BINSHIP) bundle src/index.ts -o dist/app.cjs --depfile dist/app.d --metafile dist/meta.json",
        "-include dist/app.d",
        "",
      ].join("\n"),
    );
    for (const f of ["src/index.ts", "src/lib/greet.ts", "src with space/tag.ts", "src/unused.ts"]) setMtime(f, 100);
    const first = make();
    expect(first.status, first.stderr).toBe(0);
    await settleRuntimeSources();
  });

  it("lists exactly the files esbuild read: the project's imports and the binship runtime", () => {
    const dep = parseDepfile(readFileSync(join(dir, "dist", "app.d"), "utf8"));
    expect(dep.target).toBe("dist/app.cjs");
    const local = dep.deps.filter((d) => !isAbsolute(d)).sort();
    expect(local).toEqual(["src with space/tag.ts", "src/index.ts", "src/lib/greet.ts"]);
    const outside = dep.deps.filter((d) => isAbsolute(d));
    expect(outside).toContain(join(repoRoot, "src", "runtime", "index.ts"));
    expect(outside.every((d) => d.startsWith(join(repoRoot, "src", "runtime")))).toBe(true);
    // The same set esbuild reports in its metafile, nothing more and nothing less.
    const meta = JSON.parse(readFileSync(join(dir, "dist", "meta.json"), "utf8")) as { inputs: Record<string, unknown> };
    const metaInputs = Object.keys(meta.inputs)
      .filter((p) => !p.startsWith("binship-shim:"))
      .map((p) => (p.startsWith("binship-runtime:") ? join(repoRoot, "src", "runtime", p.slice("binship-runtime:".length)) : join(dir, p)));
    expect(dep.deps.map((d) => (isAbsolute(d) ? d : join(dir, d))).sort()).toEqual(metaInputs.sort());
    // gcc -MP: an empty rule per dependency, so a deleted source does not break make.
    expect(dep.emptyRules.sort()).toEqual([...dep.deps].sort());
  });

  it("is up to date right after the build", () => {
    expect(stale()).toBe(0);
  });

  it("ignores a change to a file the bundle does not use", () => {
    writeFileSync(join(dir, "src", "unused.ts"), "export const unused = 2;\n");
    setMtime("src/unused.ts", 0);
    expect(stale()).toBe(0);
  });

  it("rebuilds when an imported source changes, then is up to date again", () => {
    setMtime("dist/app.cjs", 2);
    writeFileSync(join(dir, "src", "lib", "greet.ts"), 'export const greet = (n: string) => `bonjour, ${n}`;\n');
    setMtime("src/lib/greet.ts", 1);
    expect(stale()).toBe(1);
    const rebuilt = make();
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(readFileSync(join(dir, "dist", "app.cjs"), "utf8")).toContain("bonjour");
    expect(stale()).toBe(0);
  });

  it("rebuilds when a path with a space changes (escaped in the depfile)", () => {
    setMtime("dist/app.cjs", 2);
    writeFileSync(join(dir, "src with space", "tag.ts"), 'export const tag = "?";\n');
    setMtime("src with space/tag.ts", 1);
    expect(stale()).toBe(1);
    expect(make().status).toBe(0);
    expect(stale()).toBe(0);
  });

  it("survives a source being deleted together with its import", () => {
    writeFileSync(join(dir, "src", "index.ts"), 'import { tag } from "../src with space/tag.js";\nexport default { fetch: () => new Response("hi" + tag) };\n');
    rmSync(join(dir, "src", "lib", "greet.ts"));
    const run = make();
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(join(dir, "dist", "app.d"), "utf8")).not.toContain("greet.ts");
  });
});

// The executable records each package's version and integrity from the lockfile (its build info),
// so `build --depfile` names the lockfile; `bundle`'s output does not depend on it.
describe.runIf(hasMake)("the lockfile in build's depfile", () => {
  const dir = tempDir("binship-make-lock-");
  const make = (...args: string[]) => spawnSync("make", ["--no-print-directory", ...args], { cwd: dir, encoding: "utf8" });
  const recorded = () => spawnSync(process.execPath, [binshipBin, "inspect", join(dir, "dist", "app"), "--json"], { encoding: "utf8" }).stdout;
  const lock = (integrity: string) =>
    JSON.stringify({ name: "svc", lockfileVersion: 3, packages: { "": { name: "svc" }, "node_modules/shout": { version: "1.0.0", integrity } } });

  beforeAll(() => {
    mkdirSync(join(dir, "src"), { recursive: true });
    mkdirSync(join(dir, "node_modules", "shout"), { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "svc", version: "1.0.0" }));
    writeFileSync(join(dir, "package-lock.json"), lock("sha512-first"));
    writeFileSync(join(dir, "node_modules", "shout", "package.json"), JSON.stringify({ name: "shout", version: "1.0.0", main: "index.js" }));
    writeFileSync(join(dir, "node_modules", "shout", "index.js"), "exports.shout = (s) => s.toUpperCase();\n");
    writeFileSync(join(dir, "src", "index.ts"), 'import { shout } from "shout";\nexport default { fetch: () => new Response(shout("hi")) };\n');
    writeFileSync(
      join(dir, "Makefile"),
      [`BINSHIP := ${JSON.stringify(process.execPath)} ${JSON.stringify(binshipBin)}`, "dist/app:", "\t$(BINSHIP) build src/index.ts -o dist/app --depfile dist/app.d", "-include dist/app.d", ""].join("\n"),
    );
    const past = new Date(Date.now() - 100_000);
    for (const f of ["package.json", "package-lock.json", "node_modules/shout/package.json", "node_modules/shout/index.js", "src/index.ts"]) utimesSync(join(dir, f), past, past);
    const first = make();
    expect(first.status, first.stderr).toBe(0);
  });

  it("lists the package-lock.json whose versions and integrity were read", () => {
    expect(recorded()).toContain("sha512-first");
    const dep = parseDepfile(readFileSync(join(dir, "dist", "app.d"), "utf8"));
    expect(dep.deps).toContain("package-lock.json");
    expect(dep.emptyRules).toContain("package-lock.json");
  });

  it("rebuilds when only the lockfile changes, and the new executable records the new integrity", () => {
    expect(make("-q", "dist/app").status).toBe(0);
    const past = new Date(Date.now() - 2000);
    utimesSync(join(dir, "dist", "app"), past, past);
    writeFileSync(join(dir, "package-lock.json"), lock("sha512-second"));
    expect(make("-q", "dist/app").status).toBe(1);
    const rebuilt = make();
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(recorded()).toContain("sha512-second");
    expect(make("-q", "dist/app").status).toBe(0);
  });
});
