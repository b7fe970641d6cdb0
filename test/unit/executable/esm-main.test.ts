// What the SEA blob runs, by bundle format and target Node version.

import { describe, expect, it } from "vitest";
import { seaMainKind } from "../../../src/executable/esm-main.js";

describe("seaMainKind", () => {
  it("runs a CommonJS bundle as the main script on every Node", () => {
    for (const v of ["22.12.0", "24.22.3", "26.12.1"]) expect(seaMainKind("cjs", v)).toBe("commonjs");
  });

  it('gives an ES module bundle "mainFormat": "module" from Node 25.7', () => {
    expect(seaMainKind("esm", "25.7.0")).toBe("module");
    expect(seaMainKind("esm", "26.12.1")).toBe("module");
  });

  it("loads an ES module bundle through the CommonJS loader on Node 22.15+, 23.5+ and 24", () => {
    for (const v of ["22.15.0", "22.22.0", "23.5.0", "24.22.3", "25.6.1"]) expect(seaMainKind("esm", v)).toBe("esm-loader");
  });

  it("refuses an ES module bundle where Node has no module.registerHooks, naming the version to use", () => {
    for (const v of ["22.14.0", "23.4.0"]) {
      expect(() => seaMainKind("esm", v)).toThrow(/needs Node 22\.15 or later in a single executable; the target is/);
    }
  });
});
