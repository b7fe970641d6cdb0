import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeDirAtomic } from "../../../src/util/dir-atomic.js";

const ours = { replaceable: async (dir: string) => readdirSync(dir).includes("MARK"), producer: "the test" };

function populateWith(files: Record<string, string>) {
  return async (tmp: string) => {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(tmp, name, ".."), { recursive: true });
      await writeFile(join(tmp, name), text);
    }
  };
}

const old = new Date("2020-01-01T00:00:00Z");

describe("writeDirAtomic", () => {
  it("creates the directory with every file, sorted, hashed", async () => {
    const parent = mkdtempSync(join(tmpdir(), "binship-dir-"));
    const target = join(parent, "out");
    const result = await writeDirAtomic(target, populateWith({ MARK: "", "b.txt": "b", "k/a.yaml": "a" }), ours);
    expect(result.changed).toBe(true);
    expect(result.entries.map((e) => e.path)).toEqual(["MARK", "b.txt", "k/a.yaml"]);
    expect(result.entries[1]!.sha256).toBe("3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d");
    expect(readFileSync(join(target, "k/a.yaml"), "utf8")).toBe("a");
    expect(readdirSync(parent)).toEqual(["out"]);
  });

  it("leaves an identical tree untouched, mtimes included", async () => {
    const parent = mkdtempSync(join(tmpdir(), "binship-dir-"));
    const target = join(parent, "out");
    const files = { MARK: "", "a.txt": "a" };
    await writeDirAtomic(target, populateWith(files), ours);
    utimesSync(join(target, "a.txt"), old, old);
    const again = await writeDirAtomic(target, populateWith(files), ours);
    expect(again.changed).toBe(false);
    expect(statSync(join(target, "a.txt")).mtime).toEqual(old);
    expect(readdirSync(parent)).toEqual(["out"]);
  });

  it("swaps in a changed tree, dropping stale files and keeping the mtime of unchanged ones", async () => {
    const parent = mkdtempSync(join(tmpdir(), "binship-dir-"));
    const target = join(parent, "out");
    await writeDirAtomic(target, populateWith({ MARK: "", "same.txt": "s", "gone.txt": "g" }), ours);
    utimesSync(join(target, "same.txt"), old, old);
    const result = await writeDirAtomic(target, populateWith({ MARK: "", "same.txt": "s", "new.txt": "n" }), ours);
    expect(result.changed).toBe(true);
    expect(readdirSync(target).sort()).toEqual(["MARK", "new.txt", "same.txt"]);
    expect(statSync(join(target, "same.txt")).mtime).toEqual(old);
    expect(readdirSync(parent)).toEqual(["out"]);
  });

  it("leaves the previous directory intact and no temporary directory when building fails", async () => {
    const parent = mkdtempSync(join(tmpdir(), "binship-dir-"));
    const target = join(parent, "out");
    await writeDirAtomic(target, populateWith({ MARK: "", "a.txt": "v1" }), ours);
    const failing = async (tmp: string) => {
      await writeFile(join(tmp, "a.txt"), "v2, half");
      throw new Error("build failed");
    };
    await expect(writeDirAtomic(target, failing, ours)).rejects.toThrow("build failed");
    expect(readFileSync(join(target, "a.txt"), "utf8")).toBe("v1");
    expect(readdirSync(parent)).toEqual(["out"]);
  });

  it("refuses to replace a non-empty directory it did not write, before building anything", async () => {
    const parent = mkdtempSync(join(tmpdir(), "binship-dir-"));
    const target = join(parent, "src");
    mkdirSync(target);
    writeFileSync(join(target, "index.ts"), "user code");
    let built = false;
    const populate = async () => {
      built = true;
    };
    await expect(writeDirAtomic(target, populate, ours)).rejects.toMatchObject({ code: "USAGE", message: expect.stringMatching(/refusing to replace .*src: it is not empty and was not written by the test/) });
    expect(built).toBe(false);
    expect(readFileSync(join(target, "index.ts"), "utf8")).toBe("user code");
    writeFileSync(join(parent, "file"), "x");
    await expect(writeDirAtomic(join(parent, "file"), populate, ours)).rejects.toMatchObject({ code: "USAGE", message: expect.stringMatching(/is not a directory/) });
  });

  it("removes temporary trees of killed runs, but not those of running ones", async () => {
    const parent = mkdtempSync(join(tmpdir(), "binship-dir-"));
    const dead = spawnSync("true").pid; // exited: its pid names no running process
    mkdirSync(join(parent, `.out.${dead}.0a1b2c3d.tmp`));
    mkdirSync(join(parent, `.out.${dead}.0a1b2c3e.old`));
    mkdirSync(join(parent, `.out.${process.ppid}.0a1b2c3f.tmp`)); // a live process's build in progress
    mkdirSync(join(parent, `.other.${dead}.0a1b2c40.tmp`)); // another output's
    await writeDirAtomic(join(parent, "out"), populateWith({ "a.txt": "a" }), ours);
    expect(readdirSync(parent).sort()).toEqual([`.other.${dead}.0a1b2c40.tmp`, `.out.${process.ppid}.0a1b2c3f.tmp`, "out"]);
  });

  it("fills an existing empty directory", async () => {
    const parent = mkdtempSync(join(tmpdir(), "binship-dir-"));
    mkdirSync(join(parent, "out"));
    const result = await writeDirAtomic(join(parent, "out"), populateWith({ "a.txt": "a" }), ours);
    expect(result.changed).toBe(true);
    expect(readdirSync(join(parent, "out"))).toEqual(["a.txt"]);
  });
});
