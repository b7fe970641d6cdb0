// The README's `binship invoke` examples run as written from a fresh clone: every line of the
// block under "binship invoke: run it locally" is run by sh (npx binship -> the built CLI) in a
// directory that holds the clone's examples/, and each must succeed with the hello service's answer.

import { spawnSync } from "node:child_process";
import { readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { binshipBin, repoRoot, tempDir } from "../helpers/cli.js";

function readmeInvokeBlock(): string[] {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const at = readme.indexOf("#### `binship invoke`: run it locally");
  expect(at, "the README's invoke section").toBeGreaterThan(0);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  return block![1]!.split("\n").filter((line) => line.startsWith("npx binship "));
}

describe("the README's invoke examples", () => {
  const lines = readmeInvokeBlock();
  const work = tempDir("binship-readme-invoke-");
  symlinkSync(join(repoRoot, "examples"), join(work, "examples"));

  it("name only files a clone has or the block itself writes, and each answers the hello service", { timeout: 120_000 }, () => {
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines.filter((l) => l.includes("--event")).length, "an --event example").toBeGreaterThan(0);
    for (const line of lines) {
      const r = spawnSync("sh", ["-c", line.replace(/^npx binship /, `"${process.execPath}" "${binshipBin}" `)], {
        cwd: work, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" },
      });
      expect(r.status, `${line}\n${r.stderr}`).toBe(0);
      if (!line.includes(" invoke ")) continue;
      expect(r.stdout, line).toMatch(/hello, /);
      expect(r.stderr, line).not.toMatch(/UnsupportedEvent|error/i);
      const count = /--count (\d+)/.exec(line);
      if (count) expect(r.stdout.trim().split("\n").filter((l) => l.includes('"statusCode":200')).length, line).toBe(Number(count[1]));
    }
  });
});
