import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  checkBootstrap,
  checkExecutable,
  checkSea,
  checkUnzippedSize,
  checkZippedSize,
  enforce,
  type Finding,
  type LambdaTarget,
} from "../../../../src/artifacts/lambda/checks.js";
import { lambdaLimits } from "../../../../src/artifacts/lambda/runtimes.js";
import { collectLibraries, collectMissing, defaultSysroot } from "../../../../src/artifacts/lambda/sysroot.js";
import { BinshipError } from "../../../../src/errors.js";
import { inspectFile, type ElfReport } from "../../../../src/inspect/index.js";
import { requirePaths } from "../../../helpers/tools.js";

// What inspect reports for an official Node 24 binary (glibc 2.28, GLIBCXX 3.4.21).
function node(overrides: Partial<ElfReport> = {}): ElfReport {
  return {
    path: "/build/app-arm64",
    bytes: 110_000_000,
    sha256: "0".repeat(64),
    elfClass: 64,
    machine: "AArch64",
    arch: "arm64",
    interpreter: "/lib/ld-linux-aarch64.so.1",
    needed: ["libdl.so.2", "libstdc++.so.6", "libm.so.6", "libgcc_s.so.1", "libpthread.so.0", "libc.so.6"],
    glibc: "2.28",
    glibcxx: "3.4.21",
    sea: true,
    nodeVersion: "24.11.1",
    ...overrides,
  };
}

const al2023: LambdaTarget = { arch: "arm64", runtime: "provided.al2023" };
const al2: LambdaTarget = { arch: "arm64", runtime: "provided.al2" };
const errors = (ps: Finding[]) => ps.filter((p) => p.level === "error");

describe("Lambda checks", () => {
  it("accept an official Node binary on provided.al2023", () => {
    expect([...checkExecutable(node(), al2023), ...checkSea(node())]).toEqual([]);
  });

  it("reject a binary of the other arch, naming both and the fix", () => {
    const x64 = node({ arch: "x64", machine: "x86-64", interpreter: "/lib64/ld-linux-x86-64.so.2" });
    const [problem] = checkExecutable(x64, al2023);
    expect(problem?.level).toBe("error");
    expect(problem?.text).toContain("x64 (x86-64) executable");
    expect(problem?.text).toContain("--arch arm64");
    expect(problem?.hint).toContain("--arch x64");
  });

  it("reject a 32-bit binary", () => {
    expect(errors(checkExecutable(node({ elfClass: 32, arch: undefined, machine: "ARM" }), al2023))).toHaveLength(1);
  });

  it("reject a binary needing a newer glibc than the runtime has", () => {
    const [problem] = checkExecutable(node({ glibc: "2.99" }), al2023);
    expect(problem?.text).toMatch(/needs GLIBC_2\.99, but provided\.al2023 \(Amazon Linux 2023\) has glibc 2\.34/);
    expect(problem?.hint).toBeTruthy();
  });

  it("know provided.al2's glibc 2.26 is too old for official Node, and that bundled libraries fix it", () => {
    expect(errors(checkExecutable(node(), al2))[0]?.text).toContain("has glibc 2.26");
    const bundled = { glibc: "2.36", libraries: ["ld-linux-aarch64.so.1", "libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1"] };
    expect(checkExecutable(node(), al2, bundled)).toEqual([]);
    expect(errors(checkExecutable(node({ glibc: "2.38" }), al2, bundled))[0]?.text).toContain("bundled from the sysroot has glibc 2.36");
  });

  it("reject a libstdc++ newer than the runtime's", () => {
    expect(errors(checkExecutable(node({ glibcxx: "3.4.32" }), al2023))[0]?.text).toContain("GLIBCXX_3.4.32");
  });

  it("reject a library the runtime lacks (Node 26 needs libatomic) unless the zip ships it in lib/", () => {
    const node26 = node({ needed: [...node().needed, "libatomic.so.1"] });
    const [problem] = checkExecutable(node26, al2023);
    expect(problem?.text).toContain("needs libatomic.so.1, which provided.al2023 (Amazon Linux 2023) does not have");
    expect(problem?.hint).toContain("--sysroot");
    expect(checkExecutable(node26, al2023, { libraries: ["libatomic.so.1"] })).toEqual([]);
    // Shipping libatomic does not lift the runtime's own glibc.
    expect(errors(checkExecutable({ ...node26, glibc: "2.38" }, al2023, { libraries: ["libatomic.so.1"] }))[0]?.text).toContain("provided.al2023 (Amazon Linux 2023) has glibc 2.34");
  });

  it("refuse an executable without a SEA blob, as every artifact does", () => {
    expect(checkSea(node({ sea: false }))[0]?.level).toBe("error");
  });

  it("refuse 250 MB unzipped and warn past 50 MB zipped", () => {
    expect(checkUnzippedSize(lambdaLimits.unzipped - 1)).toEqual([]);
    expect(errors(checkUnzippedSize(lambdaLimits.unzipped))[0]?.text).toContain("262144000 bytes");
    expect(checkZippedSize(50 * 1024 * 1024)).toEqual([]);
    const [warning] = checkZippedSize(50 * 1024 * 1024 + 1);
    expect(warning?.level).toBe("warning");
    expect(warning?.text).toContain("S3");
  });

  it("require bootstrap at the root with mode 0755", () => {
    expect(checkBootstrap([{ name: "bootstrap", mode: 0o755 }])).toEqual([]);
    expect(errors(checkBootstrap([{ name: "app/bootstrap", mode: 0o755 }]))).toHaveLength(1);
    expect(errors(checkBootstrap([{ name: "bootstrap", mode: 0o644 }]))).toHaveLength(1);
  });

  it("turn errors into one ARTIFACT_CHECK_FAILED (exit 1) and hand back warnings", () => {
    expect(enforce(checkZippedSize(60 * 1024 * 1024), "x.zip")).toHaveLength(1);
    try {
      enforce([...checkExecutable(node({ glibc: "2.99" }), al2023), ...checkZippedSize(60 * 1024 * 1024)], "dist/lambda.zip");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BinshipError);
      expect((err as BinshipError).code).toBe("ARTIFACT_CHECK_FAILED");
      expect((err as BinshipError).exitCode).toBe(1);
      expect((err as BinshipError).message).toMatch(/^dist\/lambda\.zip was not written: app-arm64 needs GLIBC_2\.99/);
    }
  });
});

describe("sysroot libraries for provided.al2", () => {
  it.runIf(requirePaths("/lib/x86_64-linux-gnu/libc.so.6"))("read the glibc version a libc.so.6 defines", async () => {
    const host = execFileSync("getconf", ["GNU_LIBC_VERSION"]).toString().trim().replace("glibc ", "");
    expect((await inspectFile("/lib/x86_64-linux-gnu/libc.so.6")).glibcProvided).toBe(host);
  });

  it.runIf(requirePaths("/bin/ls", "/lib/x86_64-linux-gnu/libc.so.6"))("resolve DT_NEEDED recursively from the host's libraries", async () => {
    const ls = await inspectFile("/bin/ls");
    const found = await collectLibraries(ls, "x64", defaultSysroot("x64", "x64"));
    const names = found.libraries.map((l) => l.name);
    expect(names).toContain("ld-linux-x86-64.so.2");
    expect(names).toContain("libc.so.6");
    for (const direct of ls.needed) expect(names).toContain(direct);
    // ls needs libselinux, which needs libpcre2: only the recursion finds it.
    if (ls.needed.includes("libselinux.so.1")) expect(names).toContain("libpcre2-8.so.0");
    expect(found.loader.name).toBe("ld-linux-x86-64.so.2");
  });

  it.runIf(requirePaths("/usr/aarch64-linux-gnu/lib/libstdc++.so.6"))("take arm64 libraries from the Debian cross root on x64", async () => {
    const libstdcxx = await inspectFile("/usr/aarch64-linux-gnu/lib/libstdc++.so.6");
    const found = await collectLibraries(libstdcxx, "arm64", defaultSysroot("arm64", "x64"));
    expect(found.libraries.map((l) => l.name)).toEqual(["ld-linux-aarch64.so.1", "libc.so.6", "libgcc_s.so.1", "libm.so.6"]);
    for (const lib of found.libraries) expect(lib.path.startsWith("/usr/aarch64-linux-gnu/")).toBe(true);
  });

  it.runIf(requirePaths("/lib/x86_64-linux-gnu/libatomic.so.1"))("take only what provided.al2023 lacks for it", async () => {
    const node26 = node({ arch: "x64", machine: "x86-64", needed: [...node().needed, "libatomic.so.1"] });
    const present = new Set(["libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "libstdc++.so.6", "libgcc_s.so.1", "ld-linux-x86-64.so.2"]);
    const extra = await collectMissing(node26, "x64", defaultSysroot("x64", "x64"), present);
    expect(extra.map((l) => l.name)).toEqual(["libatomic.so.1"]);
    expect(extra[0]!.path).toMatch(/libatomic\.so\.1/);
  });

  it("name the package of a missing extra library for a cross build", async () => {
    const node26 = node({ needed: ["libc.so.6", "libatomic.so.1"] });
    const err = await collectMissing(node26, "arm64", defaultSysroot("arm64", "x64", "/nonexistent-sysroot"), new Set(["libc.so.6"])).catch((e: unknown) => e);
    expect((err as BinshipError).message).toContain("the arm64 libraries for provided.al2023 were not found: libatomic.so.1");
    expect((err as BinshipError).hint).toContain("libatomic1-arm64-cross");
  });

  it("name the Debian packages when the sysroot is missing", async () => {
    const err = await collectLibraries(node(), "arm64", defaultSysroot("arm64", "x64", "/nonexistent-sysroot")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BinshipError);
    expect((err as BinshipError).code).toBe("TOOL_MISSING");
    expect((err as BinshipError).message).toContain("libstdc++.so.6");
    expect((err as BinshipError).hint).toContain("libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross");
  });

  it.runIf(requirePaths("/usr/aarch64-linux-gnu/lib/libc.so.6"))("refuse libraries of the wrong arch", async () => {
    const x64 = node({ arch: "x64", machine: "x86-64" });
    const err = await collectLibraries(x64, "x64", defaultSysroot("x64", "x64", "/usr/aarch64-linux-gnu")).catch((e: unknown) => e);
    expect((err as BinshipError).message).toMatch(/aarch64-linux-gnu\/lib\/\S+ is built for arm64, not x64/);
    expect((err as BinshipError).hint).toContain("--sysroot");
  });
});
