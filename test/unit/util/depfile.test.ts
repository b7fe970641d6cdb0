import { describe, expect, it } from "vitest";
import { formatDepfile, makeEscape } from "../../../src/util/depfile.js";

describe("formatDepfile", () => {
  it("writes the target with every input, sorted and deduplicated, then an empty rule per input", () => {
    const text = formatDepfile("/p/dist/app.cjs", ["/p/src/b.ts", "/p/src/a.ts", "/p/src/a.ts", "/opt/binship/src/runtime/index.ts"], "/p");
    expect(text).toBe(
      [
        "dist/app.cjs: \\",
        "  /opt/binship/src/runtime/index.ts \\",
        "  src/a.ts \\",
        "  src/b.ts",
        "",
        "/opt/binship/src/runtime/index.ts:",
        "",
        "src/a.ts:",
        "",
        "src/b.ts:",
        "",
      ].join("\n"),
    );
  });

  it("keeps paths outside the project absolute", () => {
    expect(formatDepfile("/p/app.cjs", ["/q/x.ts"], "/p")).toContain("app.cjs: \\\n  /q/x.ts\n");
  });
});

describe("makeEscape", () => {
  it.each([
    ["src/my file.ts", "src/my\\ file.ts"],
    ["src/#tag.ts", "src/\\#tag.ts"],
    ["C:drive.ts", "C\\:drive.ts"],
    ["price$.ts", "price$$.ts"],
    ["plain/path.ts", "plain/path.ts"],
  ])("%s -> %s", (path, escaped) => {
    expect(makeEscape(path)).toBe(escaped);
  });
});
