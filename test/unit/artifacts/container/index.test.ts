// The container stage on finished inputs: real ELF files compiled by gcc stand in for the
// executables, so the directory handling and the pre-write checks run without building Node
// binaries. test/integration/pack-container.test.ts runs the real chain.

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { requireTools } from "../../../helpers/tools.js";
import { inspectFile } from "../../../../src/inspect/index.js";
import { makeBuildInfo, type BuildInfo } from "../../../../src/inspect/build-info.js";
import { resolveContainerOptions } from "../../../../src/artifacts/container/options.js";
import { packContainer, renderContainerFiles, type ContainerOptions } from "../../../../src/artifacts/container/index.js";
import type { BuiltApp } from "../../../../src/artifacts/types.js";
import type { Arch } from "../../../../src/config.js";

// gcc compiles for the host, so the single-arch packs here are for the host's architecture.
const hostArch = process.arch === "arm64" ? "arm64" : "x64";
const otherArch = hostArch === "x64" ? "arm64" : "x64";
const app = `app-${hostArch === "x64" ? "amd64" : "arm64"}`;

let work: string;
let plainElf: string; // needs libc only
let atomicElf: string; // also needs libatomic.so.1, like Node 26

function compile(out: string, libs: string[]): void {
  execFileSync("gcc", ["-x", "c", "-", "-o", out, "-Wl,--no-as-needed", ...libs], { input: "int main(void) { return 0; }\n" });
}

const fakeInfo: BuildInfo = makeBuildInfo({
  binship: "0.0.0-test",
  arch: hostArch,
  node: { version: "24.0.0", sha256: "0".repeat(64), source: "file", stripped: false },
  bundle: { sha256: "1".repeat(64), bytes: 10 },
  contents: { packages: [{ name: "express", version: "5.3.0", license: "MIT", path: "node_modules/express", bytes: 5, files: { "index.js": 5 } }], sources: {}, runtimeBytes: 5 },
});

/** `elf` as the finished executable for each arch; `sea` says whether to report it as holding an app, `info` what it records. */
async function elfApp(elf: string, archs: Arch[] = [hostArch], sea = true, info: BuildInfo | null = fakeInfo): Promise<BuiltApp> {
  const report = { ...(await inspectFile(elf)), sea, nodeVersion: "24.0.0-fake", ...(info ? { buildInfo: info } : {}) };
  return { executables: archs.map((arch) => ({ arch, report })) };
}

function options(outDir: string, config = {}): ContainerOptions {
  const { options: resolved } = resolveContainerOptions({ name: "svc", image: "registry.example.com/svc:1", arch: hostArch, ...config }, work);
  return { ...resolved, outDir, version: "0.0.0-test" };
}

/** The stage as the pipeline calls it: recipe rendered first, then the finished app packed. */
async function pack(o: ContainerOptions, app: BuiltApp) {
  return packContainer(o, app, await renderContainerFiles(o));
}

const canCompile = requireTools("gcc");

describe.runIf(canCompile)("packContainer", () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "binship-container-stage-"));
    plainElf = join(work, "plain");
    atomicElf = join(work, "atomic");
    compile(plainElf, []);
    compile(atomicElf, ["-latomic"]);
  });

  it("writes the recipe, the executable (0755) and k8s/, and the same tree twice", async () => {
    const a = await pack(options(join(work, "a")), await elfApp(plainElf));
    const b = await pack(options(join(work, "b")), await elfApp(plainElf));
    expect(a.files.map((f) => f.path)).toEqual([".binship-k8s.json", ".dockerignore", "Dockerfile", "README.md", app, "k8s/deployment.yaml", "k8s/hpa.yaml", "k8s/kustomization.yaml", "k8s/pdb.yaml", "k8s/service.yaml", `sbom-${app.slice(4)}.cdx.json`]);
    const sbom = JSON.parse(readFileSync(join(work, "a", `sbom-${app.slice(4)}.cdx.json`), "utf8"));
    expect(sbom.metadata.component).toMatchObject({ type: "container", name: "svc" });
    expect(sbom.components.map((c: { purl?: string }) => c.purl)).toContain("pkg:npm/express@5.3.0");
    expect(b.files).toEqual(a.files);
    expect(a.files.find((f) => f.path === app)!.mode).toBe(0o755);
    expect(a.files.filter((f) => f.path !== app).every((f) => f.mode === 0o644)).toBe(true);
    expect(a.platforms).toEqual([`linux/${app.slice(4)}`]);
    expect(a.executables).toEqual([expect.objectContaining({ arch: hostArch, dockerArch: app.slice(4), path: join(work, "a", app), nodeVersion: "24.0.0-fake" })]);
    const again = await pack(options(join(work, "a")), await elfApp(plainElf));
    expect(again.changed).toBe(false);
  });

  it("--no-k8s leaves out k8s/", async () => {
    const r = await pack(options(join(work, "nok8s"), { k8s: false }), await elfApp(plainElf));
    expect(r.files.some((f) => f.path.startsWith("k8s/"))).toBe(false);
    expect(readdirSync(join(work, "nok8s")).sort()).toEqual([".dockerignore", "Dockerfile", "README.md", app, `sbom-${app.slice(4)}.cdx.json`]);
  });

  it("refuses an executable without binship build info: the image's SBOM could not be written", async () => {
    await expect(pack(options(join(work, "noinfo")), await elfApp(plainElf, [hostArch], true, null))).rejects.toMatchObject({
      code: "ARTIFACT_CHECK_FAILED",
      message: expect.stringContaining(`${app} carries no binship build info, so the image's SBOM cannot be written`),
    });
    expect(() => statSync(join(work, "noinfo"))).toThrow();
  });

  it("refuses an executable needing libatomic.so.1 on distroless cc and keeps the previous output", async () => {
    const out = join(work, "keep");
    await pack(options(out), await elfApp(plainElf));
    const before = readFileSync(join(out, app));
    await expect(pack(options(out, { port: 9000 }), await elfApp(atomicElf))).rejects.toMatchObject({
      code: "ARTIFACT_CHECK_FAILED",
      message: `${out} was not written: ${app} needs libatomic.so.1, which gcr.io/distroless/cc-debian13:nonroot does not have`,
      hint: expect.stringMatching(/--layout bundle.*--node 24.*--base/),
    });
    expect(readFileSync(join(out, app)).equals(before)).toBe(true);
    expect(readFileSync(join(out, "Dockerfile"), "utf8")).toContain("EXPOSE 8080");
    expect(readdirSync(work).filter((n) => n.startsWith(".keep."))).toEqual([]);
  });

  it("skips the library check for a --base it has no table for", async () => {
    const r = await pack(options(join(work, "custom"), { base: "registry.example.com/base-with-libatomic:1" }), await elfApp(atomicElf));
    expect(r.base).toBe("registry.example.com/base-with-libatomic:1");
    expect(readFileSync(join(r.dir, "Dockerfile"), "utf8")).toContain("ARG BASE=registry.example.com/base-with-libatomic:1\n");
  });

  it("checks the architecture even on a --base it has no table for", async () => {
    const wrong = await elfApp(plainElf);
    const o = options(join(work, "wrong-arch"), { arch: otherArch, base: "registry.example.com/base:1" });
    await expect(pack(o, { executables: [{ ...wrong.executables[0]!, arch: otherArch }] })).rejects.toMatchObject({
      code: "ARTIFACT_CHECK_FAILED",
      message: expect.stringContaining(`app-${otherArch === "x64" ? "amd64" : "arm64"} is a ${hostArch} (${hostArch === "x64" ? "x86-64" : "AArch64"}) executable, but the image is for --arch ${otherArch}`),
    });
  });

  it("refuses an executable without an application blob", async () => {
    await expect(pack(options(join(work, "nosea")), await elfApp(plainElf, [hostArch], false))).rejects.toMatchObject({
      code: "ARTIFACT_CHECK_FAILED",
      message: expect.stringContaining("has no Node single-executable blob"),
    });
    expect(() => statSync(join(work, "nosea"))).toThrow();
  });

  it("bundle layout: app.cjs (0644) and no executables", async () => {
    const bundle = join(work, "app.cjs");
    copyFileSync(plainElf, bundle);
    const r = await pack(options(join(work, "bundle"), { layout: "bundle", arch: ["arm64", "x64"] }), { executables: [], bundle: { path: bundle, bytes: 1, sha256: "0" } });
    expect(r.files.map((f) => f.path).filter((p) => !p.startsWith("k8s/"))).toEqual([".binship-k8s.json", ".dockerignore", "Dockerfile", "README.md", "app.cjs"]);
    expect(r.files.find((f) => f.path === "app.cjs")!.mode).toBe(0o644);
    expect(r.executables).toEqual([]);
    expect(r.platforms).toEqual(["linux/amd64", "linux/arm64"]);
  });
});
