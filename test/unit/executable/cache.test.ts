// The executable cache: a bundle already built for the same Node binary never runs pkg again
// (counted through an injected packager wrapping the real one), a changed bundle does not either
// once an executable of that Node binary is cached (the new blob goes into its layout, giving
// pkg's own bytes), an entry edited on disk is not served, and the cache stays within its bound.

import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildExecutable, cacheDirFrom, findStripTool, runPkg, sweepExecutables, type ExecutableOptions, type SeaPackager } from "../../../src/executable/index.js";
import { silentLogger } from "../../../src/log.js";
import { provisionNode, registryFromNpmConfig } from "../../../src/node-dist/index.js";
import { repoRoot, tempDir } from "../../helpers/cli.js";

const host = { platform: "linux", arch: "x64" };
let base: Omit<ExecutableOptions, "outfile" | "bundle" | "cache" | "packager">;

beforeAll(async () => {
  const common = { cacheDir: cacheDirFrom(process.env, repoRoot), registry: registryFromNpmConfig(process.env, repoRoot), logger: silentLogger };
  const x64 = await provisionNode({ ...common, spec: "24", arch: "x64", host });
  // Stripped, as by default: pkg's layout for a stripped Node is the one a new blob can go into.
  base = { ...common, arch: "x64", node: x64.version, codeCache: true, strip: true, stripTool: findStripTool(process.env, "x64", host), host, tmpDir: tempDir("binship-tmp-") };
}, 300_000);

function counting(): { packager: SeaPackager; runs: () => number } {
  let n = 0;
  return {
    packager: async (input) => {
      n++;
      return runPkg(input);
    },
    runs: () => n,
  };
}

function bundleFile(dir: string, text: string): string {
  const path = join(dir, `bundle-${Math.random().toString(36).slice(2)}.cjs`);
  writeFileSync(path, `require('http').createServer((q, s) => s.end(${JSON.stringify(text)})).listen(process.env.PORT);\n`);
  return path;
}

describe("the executable cache", () => {
  it("does not run pkg for a byte-identical bundle, even into a new output, nor for a changed one: pkg's bytes all the same", async () => {
    const dir = tempDir("binship-exe-cache-");
    const cache = { dir: join(dir, "cache"), maxBytes: 1 << 30 };
    const pkg = counting();
    const options = (bundle: string, outfile: string): ExecutableOptions => ({ ...base, bundle, outfile, cache, packager: pkg.packager });
    const first = await buildExecutable(options(bundleFile(dir, "one"), join(dir, "a", "app")));
    expect(pkg.runs()).toBe(1);
    // The same bytes from another file (the bundle stage rewrote it) into another directory.
    const again = await buildExecutable(options(bundleFile(dir, "one"), join(dir, "b", "app")));
    expect(pkg.runs()).toBe(1);
    expect(again.sha256).toBe(first.sha256);
    expect(again.report).toMatchObject({ sea: true, nodeVersion: base.node, path: join(dir, "b", "app") });
    expect(readFileSync(join(dir, "b", "app")).equals(readFileSync(join(dir, "a", "app")))).toBe(true);
    const same = await buildExecutable(options(bundleFile(dir, "one"), join(dir, "b", "app")));
    expect(same.changed).toBe(false);
    const changed = await buildExecutable(options(bundleFile(dir, "two"), join(dir, "b", "app")));
    expect(pkg.runs()).toBe(1); // the new blob went into the cached executable's layout
    expect(changed.changed).toBe(true);
    // What pkg itself makes of the same bundle, with nothing cached: the same bytes.
    const fresh = { dir: join(dir, "fresh-cache"), maxBytes: 1 << 30 };
    const byPkg = await buildExecutable({ ...options(bundleFile(dir, "two"), join(dir, "c", "app")), cache: fresh });
    expect(pkg.runs()).toBe(2);
    expect(byPkg.sha256).toBe(changed.sha256);
    expect(readFileSync(join(dir, "c", "app")).equals(readFileSync(join(dir, "b", "app")))).toBe(true);
  }, 300_000);

  it("keeps outputs and entries apart: an output edited in place changes nothing else, an edited entry is not served", async () => {
    const dir = tempDir("binship-exe-cache-");
    const cache = { dir: join(dir, "cache"), maxBytes: 1 << 30 };
    const pkg = counting();
    const bundle = bundleFile(dir, "edited");
    const built = await buildExecutable({ ...base, bundle, outfile: join(dir, "app"), cache, packager: pkg.packager });
    await buildExecutable({ ...base, bundle, outfile: join(dir, "app2"), cache, packager: pkg.packager });
    expect(pkg.runs()).toBe(1);
    appendFileSync(join(dir, "app2"), "junk"); // in place
    expect(readFileSync(join(dir, "app")).length).toBe(built.bytes); // another output: untouched
    const third = await buildExecutable({ ...base, bundle, outfile: join(dir, "app2"), cache, packager: pkg.packager });
    expect(pkg.runs()).toBe(1); // the entry is intact; the edited output is replaced
    expect(third.changed).toBe(true);
    expect(readFileSync(join(dir, "app2")).equals(readFileSync(join(dir, "app")))).toBe(true);
    const entry = readdirSync(cache.dir).find((n) => /^[0-9a-f]{64}$/.test(n))!;
    appendFileSync(join(cache.dir, entry), "junk");
    const rebuilt = await buildExecutable({ ...base, bundle, outfile: join(dir, "app3"), cache, packager: pkg.packager });
    expect(pkg.runs()).toBe(2);
    expect(rebuilt.sha256).toBe(built.sha256);
  }, 300_000);

  it("sweeps the least recently used entries beyond its bound, keeping the newest", async () => {
    const dir = tempDir("binship-exe-cache-");
    const pkg = counting();
    const cache = { dir: join(dir, "cache"), maxBytes: 1 << 30 };
    const a = await buildExecutable({ ...base, bundle: bundleFile(dir, "a"), outfile: join(dir, "a"), cache, packager: pkg.packager });
    // A bound that holds one executable: storing the second sweeps the first.
    const small = { ...cache, maxBytes: a.bytes + 1000 };
    const b = await buildExecutable({ ...base, bundle: bundleFile(dir, "b"), outfile: join(dir, "b"), cache: small, packager: pkg.packager });
    const kept = readdirSync(small.dir).filter((n) => /^[0-9a-f]{64}$/.test(n));
    expect(kept).toHaveLength(1);
    await buildExecutable({ ...base, bundle: bundleFile(dir, "b"), outfile: join(dir, "b2"), cache: small, packager: pkg.packager });
    expect(readdirSync(small.dir).filter((n) => /^[0-9a-f]{64}$/.test(n))).toEqual(kept); // b is still cached: a hit
    await buildExecutable({ ...base, bundle: bundleFile(dir, "a"), outfile: join(dir, "a2"), cache: small, packager: pkg.packager });
    const now = readdirSync(small.dir).filter((n) => /^[0-9a-f]{64}$/.test(n));
    expect(now).toHaveLength(1);
    expect(now).not.toEqual(kept); // a was swept, so built again (into b's layout), and b swept in turn
    expect(pkg.runs()).toBe(1);
    expect(await sweepExecutables({ ...small, maxBytes: 0 })).toHaveLength(1);
    expect(readdirSync(small.dir).filter((n) => n !== "outputs")).toEqual([]);
    expect(b.bytes).toBe(a.bytes);
  }, 300_000);

  it("drops its record of an output once that output is deleted or replaced, keeping the live ones", async () => {
    const dir = tempDir("binship-exe-cache-");
    const cache = { dir: join(dir, "cache"), maxBytes: 1 << 30 };
    const bundle = bundleFile(dir, "records");
    for (const name of ["kept", "deleted", "replaced"]) await buildExecutable({ ...base, bundle, outfile: join(dir, name), cache });
    const record = (name: string) => join(cache.dir, "outputs", `${createHash("sha256").update(join(dir, name)).digest("hex")}.json`);
    expect(["kept", "deleted", "replaced"].every((n) => existsSync(record(n)))).toBe(true);
    rmSync(join(dir, "deleted"));
    writeFileSync(join(dir, "replaced"), "another file");
    await sweepExecutables(cache);
    expect([existsSync(record("kept")), existsSync(record("deleted")), existsSync(record("replaced"))]).toEqual([true, false, false]);
  }, 300_000);
});
