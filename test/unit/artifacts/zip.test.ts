import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readZip, extractZip } from "../../../src/invoke/unzip.js";
import { writeZip, zipEpoch, zipTime, type ZipEntry } from "../../../src/artifacts/zip.js";
import { BinshipError } from "../../../src/errors.js";
import { requireTools } from "../../helpers/tools.js";

const dir = () => mkdtempSync(join(tmpdir(), "binship-zip-"));

function sample(root: string): ZipEntry[] {
  writeFileSync(join(root, "exe"), Buffer.alloc(10_000, 7));
  writeFileSync(join(root, "libc"), "not really a library\n");
  return [
    { name: "lib/libc.so.6", source: join(root, "libc"), mode: 0o644 },
    { name: "bootstrap", source: join(root, "exe"), mode: 0o755 },
    { name: "lib/ld-linux-x86-64.so.2", source: Buffer.from("loader"), mode: 0o755 },
  ];
}

const zip = (outfile: string, entries: ZipEntry[], mtime = zipEpoch) => writeZip({ outfile, entries, mtime, level: 9 });

describe("deterministic zip", () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it("gives identical bytes for the same entries in any order and any time zone", async () => {
    const root = dir();
    const entries = sample(root);
    process.env.TZ = "UTC";
    const a = await zip(join(root, "a.zip"), entries, zipTime("1700000000"));
    process.env.TZ = "Pacific/Kiritimati"; // UTC+14: a local-time DOS stamp would differ by a day
    const b = await zip(join(root, "b.zip"), [...entries].reverse(), zipTime("1700000000"));
    expect(b.sha256).toBe(a.sha256);
    expect(readFileSync(join(root, "b.zip")).equals(readFileSync(join(root, "a.zip")))).toBe(true);
  });

  it("stores entries sorted, with parent directories, fixed modes and the sizes it reports", async () => {
    const root = dir();
    const result = await zip(join(root, "x.zip"), sample(root));
    const listed = readZip(readFileSync(join(root, "x.zip")));
    expect(listed.map((e) => e.name)).toEqual(["bootstrap", "lib/", "lib/ld-linux-x86-64.so.2", "lib/libc.so.6"]);
    expect(listed.map((e) => e.mode.toString(8))).toEqual(["755", "755", "755", "644"]);
    expect(result.unzippedBytes).toBe(10_000 + 21 + 6);
    expect(result.entries.find((e) => e.name === "bootstrap")).toEqual({ name: "bootstrap", bytes: 10_000, mode: 0o755 });
  });

  it.runIf(requireTools("zipinfo", "unzip"))("has no extra fields, stores UTC DOS times and passes unzip -t", async () => {
    const root = dir();
    const out = join(root, "x.zip");
    await zip(out, sample(root), zipTime("1700000001")); // 2023-11-14 22:13:21 UTC; DOS time has 2 s steps
    const info = execFileSync("zipinfo", ["-v", out], { env: { ...process.env, TZ: "America/New_York" } }).toString();
    expect(info.match(/length of extra field:\s+0 bytes/g)).toHaveLength(4);
    expect(info).not.toMatch(/length of extra field:\s+[1-9]/);
    expect(info.match(/file last modified on \(DOS date\/time\):\s+2023 Nov 14 22:13:20/g)).toHaveLength(4);
    expect(execFileSync("zipinfo", [out, "bootstrap"]).toString()).toMatch(/^-rwxr-xr-x/);
    expect(execFileSync("unzip", ["-t", out]).toString()).toContain("No errors detected");
  });

  it("takes SOURCE_DATE_EPOCH as seconds, clamps it to 1980 and rejects anything else", () => {
    expect(zipTime(undefined)).toEqual(new Date("1980-01-01T00:00:00Z"));
    expect(zipTime("0")).toEqual(new Date("1980-01-01T00:00:00Z"));
    expect(zipTime("1700000000")).toEqual(new Date("2023-11-14T22:13:20Z"));
    expect(() => zipTime("yesterday")).toThrow(BinshipError);
    expect(() => zipTime("-5")).toThrow(/SOURCE_DATE_EPOCH/);
  });

  it("changes only the time fields when SOURCE_DATE_EPOCH changes", async () => {
    const root = dir();
    const entries = sample(root);
    await zip(join(root, "a.zip"), entries, zipTime("1700000000"));
    await zip(join(root, "b.zip"), entries, zipTime("1800000000"));
    const a = readFileSync(join(root, "a.zip"));
    const b = readFileSync(join(root, "b.zip"));
    expect(a.length).toBe(b.length);
    const differing = [...a.keys()].filter((i) => a[i] !== b[i]);
    // 4 entries x (local + central header) x 4 bytes of DOS time/date, at most.
    expect(differing.length).toBeGreaterThan(0);
    expect(differing.length).toBeLessThanOrEqual(32);
  });

  it("does not rewrite an unchanged zip and rewrites a changed one", async () => {
    const root = dir();
    const out = join(root, "x.zip");
    const entries = sample(root);
    expect((await zip(out, entries)).changed).toBe(true);
    const before = statSync(out).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    expect((await zip(out, entries)).changed).toBe(false);
    expect(statSync(out).mtimeMs).toBe(before);
    writeFileSync(join(root, "libc"), "changed\n");
    expect((await zip(out, entries)).changed).toBe(true);
  });

  it("leaves neither the zip nor a temporary file when a source is missing", async () => {
    const root = dir();
    const entries = [...sample(root), { name: "gone", source: join(root, "does-not-exist"), mode: 0o644 }];
    await expect(zip(join(root, "x.zip"), entries)).rejects.toThrow(BinshipError);
    expect(readdirSync(root).sort()).toEqual(["exe", "libc"]);
  });

  it("extracts what it wrote, with modes", async () => {
    const root = dir();
    const out = join(root, "x.zip");
    await zip(out, sample(root));
    const target = join(root, "task");
    execFileSync("mkdir", [target]);
    await extractZip(out, target);
    expect(statSync(join(target, "bootstrap")).mode & 0o777).toBe(0o755);
    expect(statSync(join(target, "lib", "libc.so.6")).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(target, "lib", "libc.so.6"), "utf8")).toBe("not really a library\n");
  });
});
