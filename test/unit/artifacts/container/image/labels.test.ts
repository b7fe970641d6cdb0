import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createdFrom, gitLabels, publicUrl } from "../../../../../src/artifacts/container/image/labels.js";
import { requireTools } from "../../../../helpers/tools.js";

describe("image labels", () => {
  it("drops a user or token from the source URL", () => {
    expect(publicUrl("https://ci:ghp_secret@github.com/team/svc.git")).toBe("https://github.com/team/svc.git");
    expect(publicUrl("git@github.com:team/svc.git")).toBe("git@github.com:team/svc.git");
  });

  it.runIf(requireTools("git"))("reads source and revision from a git checkout, and nothing elsewhere", async () => {
    const dir = mkdtempSync(join(tmpdir(), "binship-labels-"));
    try {
      expect(await gitLabels(dir)).toEqual({});
      const git = (...args: string[]) => execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args]).toString().trim();
      git("init", "-q");
      git("remote", "add", "origin", "https://ci:token123@git.example.com/team/svc.git");
      git("commit", "-q", "--allow-empty", "-m", "one");
      expect(await gitLabels(dir)).toEqual({ "org.opencontainers.image.source": "https://git.example.com/team/svc.git", "org.opencontainers.image.revision": git("rev-parse", "HEAD") });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes the creation time from SOURCE_DATE_EPOCH, 1970 without it, and refuses other values", () => {
    expect(createdFrom("1700000000").toISOString()).toBe("2023-11-14T22:13:20.000Z");
    expect(createdFrom(undefined).toISOString()).toBe("1970-01-01T00:00:00.000Z");
    expect(() => createdFrom("yesterday")).toThrow('SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, got "yesterday"');
  });
});
