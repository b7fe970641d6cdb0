// The zip reader behind `binship invoke` and `inspect`, on zips written byte by byte: what a
// well-formed package unpacks to, and every way a hostile or damaged one is refused.

import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { extractZip, readZip } from "../../../src/invoke/unzip.js";
import { tempDir } from "../../helpers/cli.js";
import { rawZip, type RawEntry } from "../../helpers/raw-zip.js";

function zipFile(entries: RawEntry[]): { zip: string; into: string } {
  const dir = tempDir("binship-unzip-");
  const zip = join(dir, "fn.zip");
  writeFileSync(zip, rawZip(entries).bytes);
  const into = join(tempDir("binship-unzip-root-"), "root"); // its parent shows what would leave it
  mkdirSync(into);
  return { zip, into };
}

const text = (s: string) => Buffer.from(s);

describe("readZip", () => {
  it("refuses a file too short to hold an end record, and one without it", () => {
    expect(() => readZip(Buffer.from("PK\x03\x04"), "a.zip")).toThrow("a.zip is not a valid zip: 4 bytes is too short for a zip");
    expect(() => readZip(Buffer.alloc(100), "a.zip")).toThrow("no end-of-central-directory record");
  });

  it("refuses encrypted entries and unknown compression methods", () => {
    const encrypted = rawZip([{ name: "x", data: text("x") }]);
    encrypted.bytes.writeUInt16LE(1, encrypted.centralStart + 8);
    expect(() => readZip(encrypted.bytes, "a.zip")).toThrow("x is encrypted");
    const bzip = rawZip([{ name: "x", data: text("x") }]);
    bzip.bytes.writeUInt16LE(12, bzip.centralStart + 10);
    expect(() => readZip(bzip.bytes, "a.zip")).toThrow("x uses compression method 12");
  });

  it("checks what an entry inflates to against its declared size and CRC-32", () => {
    const short = readZip(rawZip([{ name: "x", data: text("hello"), deflate: true, size: 9 }]).bytes, "a.zip");
    expect(() => short[0]!.data()).toThrow("x inflates to 5 bytes, its header declares 9");
    const garbage = readZip(rawZip([{ name: "x", deflate: Buffer.from([0xff, 0xff, 0xff]), size: 3 }]).bytes, "a.zip");
    expect(() => garbage[0]!.data()).toThrow(/x holds damaged deflate data/);
    const crc = readZip(rawZip([{ name: "x", data: text("hello"), deflate: true, crc: 1 }]).bytes, "a.zip");
    expect(() => crc[0]!.data()).toThrow("a.zip is not a valid zip: bad CRC for x");
    expect(readZip(rawZip([{ name: "x", data: text("hello"), deflate: true }]).bytes)[0]!.data().toString()).toBe("hello");
  });

  it("reads file types from the unix mode", () => {
    const entries = readZip(rawZip([{ name: "d/" }, { name: "f", mode: 0o104755 }, { name: "l", data: text("f"), mode: 0o120777 }, { name: "p", mode: 0o010644 }]).bytes);
    expect(entries.map((e) => [e.name, e.type, e.mode.toString(8)])).toEqual([
      ["d/", "directory", "755"],
      ["f", "file", "4755"],
      ["l", "symlink", "777"],
      ["p", "special", "644"],
    ]);
  });
});

describe("extractZip", () => {
  it("unpacks files, directories and symlinks that stay inside, with set-id and sticky bits dropped", async () => {
    const { zip, into } = zipFile([
      { name: "lib/" },
      { name: "lib/libx.so.1", data: text("elf"), mode: 0o106755 },
      { name: "lib/libx.so", data: text("libx.so.1"), mode: 0o120777 },
      { name: "bin/tool", data: text("../lib/libx.so"), mode: 0o120777 },
      { name: "notes", data: text("n"), deflate: true },
    ]);
    await extractZip(zip, into);
    expect(statSync(join(into, "lib", "libx.so.1")).mode & 0o7777).toBe(0o755);
    expect(statSync(join(into, "notes")).mode & 0o7777).toBe(0o644);
    expect(lstatSync(join(into, "lib", "libx.so")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(into, "bin", "tool"))).toBe("../lib/libx.so");
    expect(readFileSync(join(into, "bin", "tool"), "utf8")).toBe("elf");
  });

  it("checks every entry before writing any: a bad one last leaves the directory empty", async () => {
    for (const bad of [{ name: "a/../../x" }, { name: "fifo", mode: 0o010644 }, { name: "ok" }]) {
      const { zip, into } = zipFile([{ name: "ok", data: text("1") }, bad]);
      await expect(extractZip(zip, into)).rejects.toThrow(/cannot be unpacked as a Lambda deployment package/);
      expect(readdirSync(into)).toEqual([]);
    }
  });

  it("never unpacks through a symlink: nothing is made where one leads", async () => {
    const { zip, into } = zipFile([{ name: "up", data: text(".."), mode: 0o120777 }, { name: "up/x/y", data: text("z"), mode: 0o120777 }]);
    await expect(extractZip(zip, into)).rejects.toThrow("entry up/x/y lies under the symlink up");
    expect(readdirSync(into)).toEqual([]);
    expect(readdirSync(dirname(into))).toEqual(["root"]); // no x/ made beside the root through the link
  });

  it("refuses a symlink to nothing, and entries that collide", async () => {
    const dangling = zipFile([{ name: "l", data: text("missing"), mode: 0o120777 }]);
    await expect(extractZip(dangling.zip, dangling.into)).rejects.toThrow("symlink l points to missing, which is not in the zip");
    const collide = zipFile([{ name: "a", data: text("1") }, { name: "a/b", data: text("2") }]);
    await expect(extractZip(collide.zip, collide.into)).rejects.toThrow("entry a/b collides with another entry");
  });

  it("keeps to the limit it is given, from the declared sizes", async () => {
    const { zip, into } = zipFile([{ name: "big", deflate: deflateRawSync(Buffer.alloc(10)), size: 2000 }]);
    await expect(extractZip(zip, into, { limitBytes: 1999 })).rejects.toThrow(/declare 2000 bytes .* more than the 1999 bytes left of Lambda's 262144000-byte \(250 MB\) unzipped limit/);
    expect(readdirSync(into)).toEqual([]);
  });
});
