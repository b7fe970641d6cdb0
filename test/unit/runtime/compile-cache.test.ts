// The warning for a node layout image run as a uid its compile cache was not made for.

import { describe, expect, it } from "vitest";
import { cacheUids, compileCacheOffWarning } from "../../../src/runtime/compile-cache.js";

describe("compile cache off at start", () => {
  it("reads the uids from Node's directory names and ignores anything else", () => {
    expect(cacheUids(["v24.22.3-x64-964aae3f-65532", "v24.22.3-arm64-964aae3f-1000", "README", "v24-x64"])).toEqual(["65532", "1000"]);
  });

  it("names the directory, the cache's uid, this process's uid and both fixes", () => {
    const text = compileCacheOffWarning("/app/compile-cache", 1000680000, ["v24.22.3-x64-964aae3f-65532"]);
    expect(text).toContain("NODE_COMPILE_CACHE=/app/compile-cache is off");
    expect(text).toContain("a cache for uid 65532");
    expect(text).toContain("for uid 1000680000");
    expect(text).toContain("Run the image as uid 65532");
    expect(text).toContain("--layout executable");
  });

  it("says Node could not use the directory when it holds no cache of Node's", () => {
    expect(compileCacheOffWarning("/app/cc", 0, [])).toContain("Node could not use or create its cache directory there for uid 0");
  });
});
