// The container stage on finished inputs: real ELF files compiled by gcc stand in for the
// executables (the executable layout) and for the Node binary (the node layout, the default), so
// the directory handling and the pre-write checks run without building Node binaries.
// test/integration/pack-container.test.ts and pack-container-node.test.ts run the real chain.

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
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

/** The executable layout's options (not the default since the node layout is). */
const exeOptions = (outDir: string, config = {}) => options(outDir, { layout: "executable", ...config });

/** `elf` as each arch's Node binary beside a bundle, with a compile cache of one file per arch when `cache`. */
async function nodeApp(elf: string, archs: Arch[] = [hostArch], cache = true): Promise<BuiltApp> {
  const report = { ...(await inspectFile(elf)), sea: false, nodeVersion: "24.0.0" };
  const bundle = join(work, "node-app", "app.cjs");
  const root = join(work, "node-app", "cache-root");
  const files = archs.map((arch) => `compile-cache/v24.0.0-${arch}-0badc0de-65532/c0ffee00`);
  mkdirSync(root, { recursive: true });
  writeFileSync(bundle, "require('http').createServer().listen(8080);\n");
  for (const f of files) {
    mkdirSync(join(root, f, ".."), { recursive: true });
    writeFileSync(join(root, f), `cache of ${f}`);
  }
  return {
    executables: [],
    bundle: { path: bundle, bytes: 46, sha256: "2".repeat(64) },
    nodes: archs.map((arch) => ({ arch, version: "24.0.0", report, buildInfo: { ...fakeInfo, arch } })),
    ...(cache ? { compileCache: { root, files } } : {}),
  };
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

  it("writes the recipe, the executable (0755) and k8s/, and the same tree twice (executable layout)", async () => {
    const a = await pack(exeOptions(join(work, "a")), await elfApp(plainElf));
    const b = await pack(exeOptions(join(work, "b")), await elfApp(plainElf));
    expect(a.files.map((f) => f.path)).toEqual([".binship-k8s.json", ".dockerignore", "Dockerfile", "README.md", app, "k8s/deployment.yaml", "k8s/hpa.yaml", "k8s/kustomization.yaml", "k8s/pdb.yaml", "k8s/service.yaml", `sbom-${app.slice(4)}.cdx.json`]);
    const sbom = JSON.parse(readFileSync(join(work, "a", `sbom-${app.slice(4)}.cdx.json`), "utf8"));
    expect(sbom.metadata.component).toMatchObject({ type: "container", name: "svc" });
    expect(sbom.components.map((c: { purl?: string }) => c.purl)).toContain("pkg:npm/express@5.3.0");
    expect(b.files).toEqual(a.files);
    expect(a.files.find((f) => f.path === app)!.mode).toBe(0o755);
    expect(a.files.filter((f) => f.path !== app).every((f) => f.mode === 0o644)).toBe(true);
    expect(a.platforms).toEqual([`linux/${app.slice(4)}`]);
    expect(a.executables).toEqual([expect.objectContaining({ arch: hostArch, dockerArch: app.slice(4), path: join(work, "a", app), nodeVersion: "24.0.0-fake" })]);
    const again = await pack(exeOptions(join(work, "a")), await elfApp(plainElf));
    expect(again.changed).toBe(false);
  });

  it("--no-k8s leaves out k8s/ (executable layout)", async () => {
    const r = await pack(exeOptions(join(work, "nok8s"), { k8s: false }), await elfApp(plainElf));
    expect(r.files.some((f) => f.path.startsWith("k8s/"))).toBe(false);
    expect(readdirSync(join(work, "nok8s")).sort()).toEqual([".dockerignore", "Dockerfile", "README.md", app, `sbom-${app.slice(4)}.cdx.json`]);
  });

  it("refuses an executable without binship build info: the image's SBOM could not be written (executable layout)", async () => {
    await expect(pack(exeOptions(join(work, "noinfo")), await elfApp(plainElf, [hostArch], true, null))).rejects.toMatchObject({
      code: "ARTIFACT_CHECK_FAILED",
      message: expect.stringContaining(`${app} carries no binship build info, so the image's SBOM cannot be written`),
    });
    expect(() => statSync(join(work, "noinfo"))).toThrow();
  });

  it("refuses an executable needing libatomic.so.1 on distroless cc and keeps the previous output (executable layout)", async () => {
    const out = join(work, "keep");
    await pack(exeOptions(out), await elfApp(plainElf));
    const before = readFileSync(join(out, app));
    await expect(pack(exeOptions(out, { port: 9000 }), await elfApp(atomicElf))).rejects.toMatchObject({
      code: "ARTIFACT_CHECK_FAILED",
      message: `${out} was not written: ${app} needs libatomic.so.1, which gcr.io/distroless/cc-debian13:nonroot does not have`,
      hint: expect.stringMatching(/--layout bundle.*--node 24.*--base/),
    });
    expect(readFileSync(join(out, app)).equals(before)).toBe(true);
    expect(readFileSync(join(out, "Dockerfile"), "utf8")).toContain("EXPOSE 8080");
    expect(readdirSync(work).filter((n) => n.startsWith(".keep."))).toEqual([]);
  });

  it("skips the library check for a --base it has no table for (executable layout)", async () => {
    const r = await pack(exeOptions(join(work, "custom"), { base: "registry.example.com/base-with-libatomic:1" }), await elfApp(atomicElf));
    expect(r.base).toBe("registry.example.com/base-with-libatomic:1");
    expect(readFileSync(join(r.dir, "Dockerfile"), "utf8")).toContain("ARG BASE=registry.example.com/base-with-libatomic:1\n");
  });

  it("checks the architecture even on a --base it has no table for (executable layout)", async () => {
    const wrong = await elfApp(plainElf);
    const o = exeOptions(join(work, "wrong-arch"), { arch: otherArch, base: "registry.example.com/base:1" });
    await expect(pack(o, { executables: [{ ...wrong.executables[0]!, arch: otherArch }] })).rejects.toMatchObject({
      code: "ARTIFACT_CHECK_FAILED",
      message: expect.stringContaining(`app-${otherArch === "x64" ? "amd64" : "arm64"} is a ${hostArch} (${hostArch === "x64" ? "x86-64" : "AArch64"}) executable, but the image is for --arch ${otherArch}`),
    });
  });

  it("refuses an executable without an application blob (executable layout)", async () => {
    await expect(pack(exeOptions(join(work, "nosea")), await elfApp(plainElf, [hostArch], false))).rejects.toMatchObject({
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
  it("the default (node) layout: node-<arch> (0755), the bundle and its compile cache (0644), the SBOM from the Node's record, the same tree twice", async () => {
    const o = options(join(work, "node-a"));
    expect(o.layout).toBe("node");
    const nodeFile = `node-${app.slice(4)}`;
    const a = await pack({ ...o, compileCache: true }, await nodeApp(plainElf));
    const b = await pack({ ...options(join(work, "node-b")), compileCache: true }, await nodeApp(plainElf));
    const paths = a.files.map((f) => f.path);
    expect(paths.filter((p) => !p.startsWith("k8s/"))).toEqual([".binship-k8s.json", ".dockerignore", "Dockerfile", "README.md", "app.cjs", `compile-cache/v24.0.0-${hostArch}-0badc0de-65532/c0ffee00`, nodeFile, `sbom-${app.slice(4)}.cdx.json`]);
    expect(paths).not.toContain(app); // no executable in this layout
    expect(a.files.find((f) => f.path === nodeFile)!.mode).toBe(0o755);
    expect(a.files.filter((f) => f.path !== nodeFile).every((f) => f.mode === 0o644)).toBe(true);
    expect(readFileSync(join(a.dir, nodeFile)).equals(readFileSync(plainElf))).toBe(true);
    const dockerfile = readFileSync(join(a.dir, "Dockerfile"), "utf8");
    expect(dockerfile).toContain("COPY --chmod=0755 node-${TARGETARCH} /usr/local/bin/node\n");
    expect(dockerfile).toContain("COPY compile-cache/ /app/compile-cache/\n");
    expect(dockerfile).toContain('ENTRYPOINT ["/usr/local/bin/node", "/app/app.cjs"]');
    const sbom = JSON.parse(readFileSync(join(a.dir, `sbom-${app.slice(4)}.cdx.json`), "utf8"));
    expect(sbom.components.map((c: { purl?: string }) => c.purl)).toContain("pkg:npm/express@5.3.0");
    expect(b.files).toEqual(a.files);
    expect(a.executables).toEqual([]);
    expect((await pack({ ...o, compileCache: true }, await nodeApp(plainElf))).changed).toBe(false);
  });

  it("the node layout without a compile cache (no qemu for the other arch): no cache directory, no NODE_COMPILE_CACHE", async () => {
    const r = await pack(options(join(work, "node-nocache")), await nodeApp(plainElf, [hostArch], false));
    expect(r.files.some((f) => f.path.startsWith("compile-cache/"))).toBe(false);
    expect(readFileSync(join(r.dir, "Dockerfile"), "utf8")).not.toContain("NODE_COMPILE_CACHE");
  });

  it("the node layout refuses a Node binary needing libatomic.so.1 on distroless cc, naming node-<arch>, and keeps the previous output", async () => {
    const out = join(work, "node-keep");
    await pack(options(out), await nodeApp(plainElf, [hostArch], false));
    const before = readdirSync(out).sort();
    await expect(pack(options(out, { port: 9000 }), await nodeApp(atomicElf, [hostArch], false))).rejects.toMatchObject({
      code: "ARTIFACT_CHECK_FAILED",
      message: `${out} was not written: node-${app.slice(4)} needs libatomic.so.1, which gcr.io/distroless/cc-debian13:nonroot does not have`,
      hint: expect.stringMatching(/--layout bundle.*--node 24.*--base/),
    });
    expect(readdirSync(out).sort()).toEqual(before);
    expect(readFileSync(join(out, `node-${app.slice(4)}`)).equals(readFileSync(plainElf))).toBe(true);
  });

  it("the node layout checks the Node binary's architecture", async () => {
    const wrong = await nodeApp(plainElf, [hostArch], false);
    const o = options(join(work, "node-wrong-arch"), { arch: otherArch });
    await expect(pack(o, { ...wrong, nodes: wrong.nodes!.map((n) => ({ ...n, arch: otherArch })) })).rejects.toMatchObject({
      code: "ARTIFACT_CHECK_FAILED",
      message: expect.stringContaining(`node-${otherArch === "x64" ? "amd64" : "arm64"} is a ${hostArch} (${hostArch === "x64" ? "x86-64" : "AArch64"}) executable, but the image is for --arch ${otherArch}`),
    });
    expect(() => statSync(join(work, "node-wrong-arch"))).toThrow();
  });
});
