import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packLambdaZip, type LambdaPackageInput } from "../../../../src/artifacts/lambda/index.js";
import { zipEpoch } from "../../../../src/artifacts/zip.js";
import { inspectFile } from "../../../../src/inspect/index.js";
import { tempDir } from "../../../helpers/cli.js";
import { requirePaths } from "../../../helpers/tools.js";

describe.runIf(requirePaths("/bin/true"))("zip reuse across identical rebuilds", () => {
  async function setup() {
    const dir = tempDir("binship-reuse-");
    const exe = join(dir, "app");
    copyFileSync("/bin/true", exe);
    const temps: string[] = [];
    const input = async (overrides: Partial<LambdaPackageInput> = {}): Promise<LambdaPackageInput> => ({
      outfile: join(dir, "lambda.zip"),
      layout: "executable",
      // The stage checks the report it is given: /bin/true stands in for a single executable.
      executable: { arch: "x64", report: { ...(await inspectFile(exe)), sea: true } },
      arch: "x64",
      runtime: "provided.al2023",
      mtime: zipEpoch,
      level: 6,
      stampDir: dir,
      onTemp: (p) => p && temps.push(p),
      ...overrides,
    });
    return { dir, exe, temps, input };
  }

  it("does not deflate again when nothing that goes into the zip changed", async () => {
    const { dir, temps, input } = await setup();
    const first = await packLambdaZip(await input());
    expect(first.changed).toBe(true);
    expect(temps).toHaveLength(1);
    const mtime = statSync(join(dir, "lambda.zip")).mtimeMs;
    const second = await packLambdaZip(await input());
    expect(temps).toHaveLength(1); // no temporary zip: nothing was compressed
    expect(second).toMatchObject({ changed: false, sha256: first.sha256, bytes: first.bytes, unzippedBytes: first.unzippedBytes });
    expect(statSync(join(dir, "lambda.zip")).mtimeMs).toBe(mtime);
  });

  it("zips again when the executable, the time or the level differ", async () => {
    const { exe, temps, input } = await setup();
    const first = await packLambdaZip(await input());
    const dated = await packLambdaZip(await input({ mtime: new Date("2024-01-01T00:00:00Z") }));
    expect(dated.sha256).not.toBe(first.sha256);
    const stored = await packLambdaZip(await input({ level: 0 }));
    expect(stored.bytes).toBeGreaterThan(first.bytes);
    writeFileSync(exe, Buffer.concat([readFileSync(exe), Buffer.from("more")]));
    const grown = await packLambdaZip(await input());
    expect(grown.unzippedBytes).toBe(first.unzippedBytes + 4);
    expect(temps).toHaveLength(4);
  });

  it("rewrites a zip that was changed on disk since", async () => {
    const { dir, temps, input } = await setup();
    const first = await packLambdaZip(await input());
    const zip = join(dir, "lambda.zip");
    const bytes = readFileSync(zip);
    bytes[bytes.length - 30] ^= 0xff; // same size, different content
    writeFileSync(zip, bytes);
    const again = await packLambdaZip(await input());
    expect(again.changed).toBe(true);
    expect(temps).toHaveLength(2);
    expect(readFileSync(zip).equals(bytes)).toBe(false);
    expect(again.sha256).toBe(first.sha256);
  });

  // The stamp trusts size, inode, mtime and ctime instead of hashing the zip each time.
  it("rewrites a zip edited in place even with its mtime put back", async () => {
    const { dir, temps, input } = await setup();
    await packLambdaZip(await input());
    const zip = join(dir, "lambda.zip");
    const before = statSync(zip, { bigint: true });
    const bytes = readFileSync(zip);
    bytes[bytes.length - 30] ^= 0xff;
    writeFileSync(zip, bytes);
    // touch keeps nanoseconds (utimes from JS rounds them): the mtime is exactly as before.
    const ns = before.mtimeNs;
    execFileSync("touch", ["-m", "-d", `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, "0")}`, zip]);
    expect(statSync(zip, { bigint: true })).toMatchObject({ size: before.size, mtimeNs: before.mtimeNs, ino: before.ino });
    const again = await packLambdaZip(await input());
    expect(again.changed).toBe(true);
    expect(temps).toHaveLength(2);
  });
});
