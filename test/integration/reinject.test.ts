// Re-injection (src/executable/reinject.ts): a new blob put into the layout pkg gave an earlier
// executable of the same Node binary must give exactly the bytes pkg itself writes for that
// blob, for blobs smaller and larger than the template's (across the 64 KiB steps the notes'
// segment grows in), for x64 and arm64 (whose templates differ: the program headers move into
// the first segment's padding there). A layout it does not understand is refused.

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cacheDirFrom, findStripTool, runPkg } from "../../src/executable/index.js";
import { stripCached } from "../../src/executable/strip.js";
import { readSeaLayout, reinjectBlob, spliceBlob } from "../../src/executable/reinject.js";
import { generateSeaBlob } from "../../src/executable/sea-blob.js";
import { inspectFile } from "../../src/inspect/index.js";
import { silentLogger } from "../../src/log.js";
import { provisionNode, registryFromNpmConfig } from "../../src/node-dist/index.js";
import { repoRoot, tempDir } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { startService } from "../helpers/process.js";
import { requirePaths, requireTools } from "../helpers/tools.js";

const host = { platform: "linux", arch: "x64" };
const armRoot = "/usr/aarch64-linux-gnu";
const canRunArm = requireTools("qemu-aarch64") && requirePaths(`${armRoot}/lib/ld-linux-aarch64.so.1`);

interface Target {
  version: string;
  binary: string; // the Node binary the blob goes into
  generator: string; // the x64 Node of the same version
}

/** The stripped Node binary binship injects into by default (`unstripped`: as published). */
async function target(arch: "x64" | "arm64", unstripped = false): Promise<Target> {
  const common = { cacheDir: cacheDirFrom(process.env, repoRoot), registry: registryFromNpmConfig(process.env, repoRoot), logger: silentLogger };
  const dist = await provisionNode({ ...common, spec: "24", arch, host });
  const tool = findStripTool(process.env, arch, host);
  if (!tool) throw new Error("no llvm-strip or binutils strip on PATH (apt-get install llvm)");
  const binary = unstripped ? dist.target.path : (await stripCached(tool, dist.target, [])).path;
  return { version: dist.version, binary, generator: dist.host!.path };
}

/** A main script answering `text`, padded with `pad` bytes of comment (the blob's size). */
function main(dir: string, text: string, pad: number): string {
  const sub = join(dir, `main-${text}`);
  mkdirSync(sub, { recursive: true });
  const path = join(sub, "app.cjs");
  writeFileSync(path, `require("node:http").createServer((q, s) => s.end(${JSON.stringify(text)})).listen(process.env.PORT);\n/*${"x".repeat(pad)}*/\n`);
  return path;
}

/** pkg's own executable for `mainPath` (what binship ran before re-injection existed). */
async function byPkg(t: Target, arch: "x64" | "arm64", mainPath: string, dir: string, name: string): Promise<string> {
  const workDir = join(dir, `work-${name}`);
  mkdirSync(workDir, { recursive: true });
  const output = join(dir, name);
  await runPkg({ generator: t.generator, main: mainPath, nodeBinary: t.binary, version: t.version, arch, output, workDir });
  return output;
}

async function byReinjection(t: Target, template: string, mainPath: string, dir: string, name: string): Promise<string> {
  const workDir = join(dir, `work-${name}`);
  mkdirSync(workDir, { recursive: true });
  const layout = await readSeaLayout(template);
  if (typeof layout === "string") throw new Error(`template refused: ${layout}`);
  const output = join(dir, name);
  await reinjectBlob(template, layout, await generateSeaBlob({ generator: t.generator, main: mainPath, workDir }), output);
  return output;
}

describe("re-injecting a blob into pkg's layout (x64)", () => {
  const dir = tempDir("binship-reinject-");
  let t: Target;
  let template: string;
  beforeAll(async () => {
    t = await target("x64");
    template = await byPkg(t, "x64", main(dir, "template", 40_000), dir, "template");
  }, 600_000);

  // 40 KB -> 2 KB (a smaller segment), 40 KB -> 200 KB (four 64 KiB steps larger).
  it.each([
    ["smaller", 2_000],
    ["larger", 200_000],
  ])("gives pkg's exact bytes for a %s blob, and the executable serves the new code", async (name, pad) => {
    const mainPath = main(dir, name, pad);
    const expected = await byPkg(t, "x64", mainPath, dir, `pkg-${name}`);
    const actual = await byReinjection(t, template, mainPath, dir, `re-${name}`);
    const a = readFileSync(actual);
    expect(a.length).toBe(readFileSync(expected).length);
    expect(a.equals(readFileSync(expected))).toBe(true);
    expect(a.equals(readFileSync(template))).toBe(false);
    const report = await inspectFile(actual);
    expect(report).toMatchObject({ sea: true, nodeVersion: t.version, arch: "x64" });
    const svc = await startService(actual, []);
    try {
      expect((await httpRequest(`${svc.url}/`)).body.toString()).toBe(name);
    } finally {
      await svc.stop();
    }
  }, 600_000);

  it("splices a CommonJS main into the template's blob exactly as Node's generator writes it", async () => {
    const layout = await readSeaLayout(template);
    if (typeof layout === "string") throw new Error(layout);
    for (const [name, text] of [["short", "x"], ["utf8", "héllo ✓ \u{1f600}"], ["long", "y".repeat(300_000)]] as const) {
      const mainPath = main(dir, `splice-${name}`, 0);
      writeFileSync(mainPath, `console.log(${JSON.stringify(text)});\n`);
      const workDir = join(dir, `work-splice-${name}`);
      mkdirSync(workDir, { recursive: true });
      const generated = await generateSeaBlob({ generator: t.generator, main: mainPath, workDir });
      const spliced = spliceBlob(layout.blob, "/proc/self/cwd/app.cjs", readFileSync(mainPath));
      expect(spliced?.equals(generated)).toBe(true);
    }
    // Anything but the plain form is left to the generator: other flags, another code path.
    const flagged = Buffer.from(layout.blob);
    flagged.writeUInt32LE(5, 4); // + code cache
    expect(spliceBlob(flagged, "/proc/self/cwd/app.cjs", Buffer.from("1"))).toBeUndefined();
    expect(spliceBlob(layout.blob, "/proc/self/cwd/app.mjs", Buffer.from("1"))).toBeUndefined();
    expect(spliceBlob(layout.blob.subarray(0, layout.blob.length - 1), "/proc/self/cwd/app.cjs", Buffer.from("1"))).toBeUndefined();
  }, 300_000);

  it("refuses layouts it does not know: a Node binary without a blob, pkg's output for an unstripped Node, a renamed blob note", async () => {
    expect(await readSeaLayout(t.binary)).toBe("the notes are not in a segment of their own");
    // LIEF adds sections of its own over the notes of an unstripped binary; pkg runs for those.
    const unstripped = await target("x64", true);
    const fromUnstripped = await byPkg(unstripped, "x64", main(dir, "unstripped", 10), dir, "unstripped");
    expect(await readSeaLayout(fromUnstripped)).toBe("a section covers the SEA blob");
    // Rename the SEA note (its name is in the template's last note): the blob note is gone.
    const odd = join(dir, "odd");
    copyFileSync(template, odd);
    const bytes = readFileSync(odd);
    const at = bytes.lastIndexOf(Buffer.from("NODE_SEA_BLOB\0"));
    bytes.write("NODE_SEA_BLOX", at, "latin1");
    writeFileSync(odd, bytes);
    expect(await readSeaLayout(odd)).toBe("no SEA blob note ending the notes");
  }, 600_000);
});

describe.runIf(canRunArm)("re-injecting a blob into pkg's layout (arm64)", () => {
  const dir = tempDir("binship-reinject-arm64-");
  it("gives pkg's exact bytes for a larger blob, and the executable serves it under qemu", async () => {
    const t = await target("arm64");
    const template = await byPkg(t, "arm64", main(dir, "template", 1_000), dir, "template");
    const mainPath = main(dir, "arm-larger", 150_000);
    const expected = await byPkg(t, "arm64", mainPath, dir, "pkg-larger");
    const actual = await byReinjection(t, template, mainPath, dir, "re-larger");
    expect(readFileSync(actual).equals(readFileSync(expected))).toBe(true);
    const svc = await startService("qemu-aarch64", ["-L", armRoot, actual], { timeoutMs: 120_000 });
    try {
      expect((await httpRequest(`${svc.url}/`)).body.toString()).toBe("arm-larger");
    } finally {
      await svc.stop();
    }
  }, 900_000);
});
