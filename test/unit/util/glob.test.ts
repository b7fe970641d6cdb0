// The assets' glob (src/util/glob.ts): what a pattern matches, and that the list is the same,
// sorted, whatever order the file system returns.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { globFiles, globRegExp, isGlob, literalBase } from "../../../src/util/glob.js";

describe("globRegExp", () => {
  const m = (pattern: string, path: string) => globRegExp(pattern).test(path);

  it("* and ? stay within one segment; ** crosses any number, zero included", () => {
    expect(m("/p/*.html", "/p/a.html")).toBe(true);
    expect(m("/p/*.html", "/p/x/a.html")).toBe(false);
    expect(m("/p/?.css", "/p/a.css")).toBe(true);
    expect(m("/p/?.css", "/p/ab.css")).toBe(false);
    expect(m("/p/**/*.css", "/p/a.css")).toBe(true);
    expect(m("/p/**/*.css", "/p/x/y/a.css")).toBe(true);
    expect(m("/p/**", "/p/x/y/a.css")).toBe(true);
    expect(m("/p/**", "/q/a.css")).toBe(false);
  });

  it("{a,b} alternatives; regular-expression characters are literal", () => {
    expect(m("/p/*.{hbs,html}", "/p/a.hbs")).toBe(true);
    expect(m("/p/*.{hbs,html}", "/p/a.txt")).toBe(false);
    expect(m("/p/a+b(1).txt", "/p/a+b(1).txt")).toBe(true);
    expect(m("/p/a.txt", "/p/aXtxt")).toBe(false);
  });
});

describe("literalBase and isGlob", () => {
  it("the walk starts at the segments before the first wildcard", () => {
    expect(literalBase("/p/public/**/*.css")).toBe("/p/public");
    expect(literalBase("/p/*.html")).toBe("/p");
    expect(isGlob("/p/public")).toBe(false);
    expect(isGlob("/p/{a,b}")).toBe(true);
  });
});

describe("globFiles", () => {
  const dir = mkdtempSync(join(tmpdir(), "binship-glob-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ["public/z.css", "public/a/b.css", "public/a.html", "views/x.hbs"]) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    writeFileSync(join(dir, f), f);
  }
  symlinkSync(join(dir, "views"), join(dir, "public", "linked-dir"));
  symlinkSync(join(dir, "views", "x.hbs"), join(dir, "public", "linked.hbs"));

  it("lists files only, sorted; a link to a file is a file, a link to a directory is not entered", () => {
    expect(globFiles(join(dir, "public/**")).map((p) => p.slice(dir.length + 1))).toEqual(["public/a.html", "public/a/b.css", "public/linked.hbs", "public/z.css"]);
  });

  it("a plain path is the file, or everything under the directory; a missing one matches nothing", () => {
    expect(globFiles(join(dir, "views/x.hbs"))).toEqual([join(dir, "views/x.hbs")]);
    expect(globFiles(join(dir, "views"))).toEqual([join(dir, "views/x.hbs")]);
    expect(globFiles(join(dir, "nothing/**"))).toEqual([]);
  });

  it("skip prunes whole directories", () => {
    expect(globFiles(join(dir, "public/**/*.css"), (p) => p.endsWith("/a")).map((p) => p.slice(dir.length + 1))).toEqual(["public/z.css"]);
  });
});
