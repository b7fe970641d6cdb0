// The executable cache: a bundle already built for the same Node binary never runs pkg again
// (counted through an injected packager wrapping the real one), a changed bundle does, an
// entry edited on disk is not served, and the cache stays within its bound.

import { appendFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildExecutable, cacheDirFrom, runPkg, sweepExecutables, type ExecutableOptions, type SeaPackager } from "../../../src/executable/index.js";
import { silentLogger } from "../../../src/log.js";
import { provisionNode, registryFromNpmConfig } from "../../../src/node-dist/index.js";
import { repoRoot, tempDir } from "../../helpers/cli.js";

const host = { platform: "linux", arch: "x64" };
let base: Omit<ExecutableOptions, "outfile" | "bundle" | "cache" | "packager">;

beforeAll(async () => {
  const common = { cacheDir: cacheDirFrom(process.env, repoRoot), registry: registryFromNpmConfig(process.env, repoRoot), logger: silentLogger };
  const x64 = await provisionNode({ ...common, spec: "24", arch: "x64", host });
  base = { ...common, arch: "x64", node: x64.version, strip: false, host, tmpDir: tempDir("binship-tmp-") };
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
  it("does not run pkg for a byte-identical bundle, even into a new output, and runs it for a changed one", async () => {
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
    await buildExecutable(options(bundleFile(dir, "two"), join(dir, "b", "app")));
    expect(pkg.runs()).toBe(2);
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
    expect(pkg.runs()).toBe(2); // b is still cached
    await buildExecutable({ ...base, bundle: bundleFile(dir, "a"), outfile: join(dir, "a2"), cache: small, packager: pkg.packager });
    expect(pkg.runs()).toBe(3); // a was swept
    expect(await sweepExecutables({ ...small, maxBytes: 0 })).toHaveLength(1);
    expect(readdirSync(small.dir).filter((n) => n !== "outputs")).toEqual([]);
    expect(b.bytes).toBe(a.bytes);
  }, 300_000);
});
