// binship's ELF reader agrees with binutils' readelf on real files of this machine (x64) and of
// the arm64 library root: interpreter, DT_NEEDED and the highest GLIBC_/GLIBCXX_ needs.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { inspectFile } from "../../../src/inspect/index.js";
import { highestVersion } from "../../../src/util/versions.js";
import { requireTools } from "../../helpers/tools.js";

function readelf(path: string) {
  const dynamic = execFileSync("readelf", ["-dW", path], { encoding: "utf8" });
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
  const versions = execFileSync("readelf", ["-VW", path], { encoding: "utf8" });
  // Only the "Version needs" part: definitions (a library's own versions) are not requirements.
  const needs = versions.split(/Version needs section/)[1] ?? "";
  const names = [...needs.matchAll(/Name: (\S+)/g)].map((m) => m[1]!);
  const highest = (prefix: string) => highestVersion(names.filter((n) => n.startsWith(prefix) && /^\d+(\.\d+)*$/.test(n.slice(prefix.length))).map((n) => n.slice(prefix.length)));
  const headers = execFileSync("readelf", ["-lW", path], { encoding: "utf8" });
  const interpreter = /Requesting program interpreter: ([^\]]+)\]/.exec(headers)?.[1];
  return { needed, glibc: highest("GLIBC_"), glibcxx: highest("GLIBCXX_"), interpreter };
}

const files = ["/bin/ls", "/usr/bin/tar", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/aarch64-linux-gnu/lib/libstdc++.so.6", "/usr/aarch64-linux-gnu/lib/libc.so.6"].filter(
  (f) => existsSync(f),
);

describe.runIf(requireTools("readelf"))("inspectFile against readelf", () => {
  it.each(files)("%s", async (path) => {
    const expected = readelf(path);
    expect(expected.needed.length + (expected.glibc ? 1 : 0)).toBeGreaterThan(1); // the comparison is not vacuous
    const report = await inspectFile(path);
    expect(report.needed).toEqual(expected.needed);
    expect(report.interpreter).toBe(expected.interpreter);
    expect(report.glibc).toBe(expected.glibc);
    expect(report.glibcxx).toBe(expected.glibcxx);
  });
});
