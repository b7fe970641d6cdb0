// The runtime files' list (src/bundle/assets.ts): names from the project, fixed modes, sorted,
// and every refusal a user can hit, each a usage or config error naming the file.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { artifactName, checkAssetNames, collectAssets, type AssetRequest } from "../../../src/bundle/assets.js";
import { BinshipError } from "../../../src/errors.js";

const base = mkdtempSync(join(tmpdir(), "binship-assets-unit-"));
const root = join(base, "repo"); // the lockfile's directory
const cwd = join(root, "svc"); // the config's
afterAll(() => rmSync(base, { recursive: true, force: true }));

function file(path: string, text = path, mode = 0o644): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}
file(join(cwd, "public", "b.css"), "b", 0o600);
file(join(cwd, "public", "a", "x.html"), "x", 0o775);
file(join(cwd, "public", "run.sh"), "#!/bin/sh\n", 0o700);
file(join(root, "shared", "logo.png"), "png");
file(join(base, "outside.txt"), "not the project's");
file(join(cwd, "node_modules", "pkg", "index.html"), "dep");
const req = (pattern: string, optional = false): AssetRequest => ({ pattern: join(cwd, pattern), origin: pattern, optional });
const error = (fn: () => unknown): BinshipError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof BinshipError) return err;
    throw err;
  }
  throw new Error("no error thrown");
};

describe("artifactName", () => {
  it("is the path from the project directory, else from the project root, else none", () => {
    expect(artifactName(join(cwd, "public", "b.css"), cwd, root)).toBe("public/b.css");
    expect(artifactName(join(root, "shared", "logo.png"), cwd, root)).toBe("shared/logo.png");
    expect(artifactName(join(base, "outside.txt"), cwd, root)).toBeUndefined();
  });
});

describe("collectAssets", () => {
  it("lists the files sorted by name, with 0644 or 0755 whatever the umask gave them, and skips node_modules unless named", () => {
    const assets = collectAssets([req("public/**"), req("**/*.html")], root, cwd);
    expect(assets.map((a) => [a.name, a.mode.toString(8), a.origin])).toEqual([
      ["public/a/x.html", "755", "public/**"],
      ["public/b.css", "644", "public/**"],
      ["public/run.sh", "755", "public/**"],
    ]);
    expect(collectAssets([req("node_modules/pkg/*.html")], root, cwd).map((a) => a.name)).toEqual(["node_modules/pkg/index.html"]);
  });

  it("a user glob matching nothing is an error naming it; a built-in one is skipped", () => {
    expect(error(() => collectAssets([req("views/**")], root, cwd)).message).toBe('asset "views/**" matches no file (looked for views/**)');
    expect(collectAssets([req("views/**", true)], root, cwd)).toEqual([]);
  });

  it("a path outside the project root, or a link resolving there, is refused", () => {
    expect(error(() => collectAssets([{ pattern: join(base, "outside.txt"), origin: "../../outside.txt" }], root, cwd)).message).toMatch(/outside the project root/);
    symlinkSync(join(base, "outside.txt"), join(cwd, "public", "link.txt"));
    try {
      const e = error(() => collectAssets([req("public/**")], root, cwd));
      expect([e.code, e.message]).toEqual(["CONFIG_INVALID", `asset "public/**" matches public/link.txt, which a symbolic link resolves to ${join(base, "outside.txt")}, outside the project root ${root}`]);
    } finally {
      rmSync(join(cwd, "public", "link.txt"));
    }
  });

  it("a file output the glob matches is a usage error naming both; a directory output is not searched", () => {
    const e = error(() => collectAssets([req("public/**")], root, cwd, [{ flag: "-o", path: join(cwd, "public", "b.css") }]));
    expect([e.code, e.message]).toEqual(["USAGE", "-o public/b.css would overwrite an input of this build: it is the asset public/b.css (from \"public/**\")"]);
    expect(collectAssets([req("public/**")], root, cwd, [{ flag: "-o", path: join(cwd, "public", "a"), dir: true }]).map((a) => a.name)).toEqual(["public/b.css", "public/run.sh"]);
  });
});

describe("checkAssetNames", () => {
  const asset = (name: string) => ({ name, source: join(cwd, name), bytes: 1, mode: 0o644, origin: name });

  it("an asset at, above or below a reserved name collides; a sibling with a common prefix does not", () => {
    const reserved = [{ name: "compile-cache", what: "Node's compile cache" }];
    expect(() => checkAssetNames([asset("compile-cache/x")], reserved, "the image")).toThrow(/asset compile-cache\/x \(from "compile-cache\/x"\) collides with Node's compile cache in the image/);
    expect(() => checkAssetNames([asset("compile-cache")], reserved, "the image")).toThrow(/collides/);
    expect(() => checkAssetNames([asset("compile-cache-old/x")], reserved, "the image")).not.toThrow();
  });
});
