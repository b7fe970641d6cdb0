import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commitFile, sha256, writeFileAtomic } from "../../../src/util/atomic.js";
import { tempDir } from "../../helpers/cli.js";

describe("writeFileAtomic", () => {
  it("creates parent directories, writes the bytes and reports size and sha256", async () => {
    const dir = tempDir();
    const path = join(dir, "a", "b", "out.txt");
    const result = await writeFileAtomic(path, "hello\n");
    expect(result).toEqual({ path, bytes: 6, sha256: sha256("hello\n"), changed: true });
    expect(readFileSync(path, "utf8")).toBe("hello\n");
    expect(readdirSync(join(dir, "a", "b"))).toEqual(["out.txt"]);
  });

  it("does not touch a file that already holds the same bytes", async () => {
    const path = join(tempDir(), "out.txt");
    await writeFileAtomic(path, "same");
    const past = new Date("2001-02-03T04:05:06Z");
    utimesSync(path, past, past);
    expect((await writeFileAtomic(path, "same")).changed).toBe(false);
    expect(statSync(path).mtime).toEqual(past);
  });

  it("rewrites when only the mode differs, and applies the mode regardless of umask", async () => {
    const path = join(tempDir(), "bootstrap");
    await writeFileAtomic(path, "#!/bin/sh\n");
    const again = await writeFileAtomic(path, "#!/bin/sh\n", { mode: 0o755 });
    expect(again.changed).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o755);
  });

  it("leaves the old file and no temporary file when the write fails", async () => {
    const dir = tempDir();
    const path = join(dir, "out.txt");
    writeFileSync(path, "old");
    // Writing "into" a regular file as if it were a directory fails inside the stage.
    await expect(writeFileAtomic(join(path, "child.txt"), "new")).rejects.toThrow();
    expect(readFileSync(path, "utf8")).toBe("old");
    expect(readdirSync(dir)).toEqual(["out.txt"]);
  });
});

describe("commitFile", () => {
  it("moves a finished temporary file into place", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "tmp"), "data");
    expect((await commitFile(join(dir, "tmp"), join(dir, "final"))).changed).toBe(true);
    expect(readFileSync(join(dir, "final"), "utf8")).toBe("data");
    expect(existsSync(join(dir, "tmp"))).toBe(false);
  });

  it("drops the temporary file when the target already holds the same bytes", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "final"), "data");
    const past = new Date("2001-02-03T04:05:06Z");
    utimesSync(join(dir, "final"), past, past);
    writeFileSync(join(dir, "tmp"), "data");
    expect((await commitFile(join(dir, "tmp"), join(dir, "final"))).changed).toBe(false);
    expect(existsSync(join(dir, "tmp"))).toBe(false);
    expect(statSync(join(dir, "final")).mtime).toEqual(past);
  });
});
