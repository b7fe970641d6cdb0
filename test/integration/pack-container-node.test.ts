// `binship pack container --push` (the node layout, the default) against the real local registry (Debian's
// docker-registry) and the distroless cc stand-in: the stripped Node binary is its own layer and
// the bundle (with V8's compile cache for it, made by each arch's Node, and the arch's SBOM) a small one on top, so a one-line change to the app uploads only the bundle's layer
// (the Node layer is already there), an unchanged repush uploads nothing, and the pulled image
// runs (amd64 natively, arm64 under qemu). The recipe's Dockerfile, built by buildah, gives the
// same files in the same places.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { knownBlobsFile } from "../../src/artifacts/container/image/known-blobs.js";
import { cacheDirFrom } from "../../src/executable/index.js";
import { appsDir, fixturesDir, repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { startService } from "../helpers/process.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { requireTools } from "../helpers/tools.js";

const run = promisify(execFile);
const entry = join(appsDir, "express", "index.ts");
const hostArch = process.arch === "arm64" ? "arm64" : "amd64";
const otherArch = hostArch === "amd64" ? "arm64" : "amd64";
const qemuForOther = otherArch === "arm64" ? "qemu-aarch64" : "qemu-x86_64";
const canRun = requireTools("docker-registry", "skopeo", "buildah", "chroot", "apt-get", "dpkg-deb", qemuForOther);

interface Layer {
  digest: string;
  size: number;
}
interface PushJson {
  index: {
    digest: string;
    platforms: { platform: string; digest: string; appLayer: Layer; nodeLayer?: Layer; uploadedBytes?: number }[];
    push?: { uploadedBytes: number; mountedBytes: number; blobs: { digest: string; size: number; outcome: string }[] };
  };
}

const buildah = async (...args: string[]) => (await run("buildah", ["--storage-driver", "vfs", ...args], { maxBuffer: 16 << 20 })).stdout.trim();
const skopeo = async (...args: string[]) => (await run("skopeo", args, { maxBuffer: 64 << 20 })).stdout;
const MiB = 1 << 20;

describe.runIf(canRun)("pack container --layout node: Node in its own shared layer, the app in a small one", () => {
  let work: string;
  let registry: TestRegistry;
  let changedEntry: string;
  let first: PushJson;
  const containers: string[] = [];
  const images: string[] = [];
  const cleanup: string[] = [];
  const base = () => `${registry.host}/distroless/cc:nonroot`;
  const pack = async (source: string, out: string, tag: string, repository = "team/svc", ...extra: string[]) => {
    // No --layout: the node layout is the default.
    const r = await runCli(["pack", "container", source, "--name", "svc", "--json", "-o", join(work, out), "--push", `${registry.host}/${repository}:${tag}`, "--base", base(), "--insecure-registry", ...extra], {
      env: { DOCKER_CONFIG: join(work, "no-docker-config") },
    });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as PushJson;
  };

  async function mount(from: string): Promise<{ config: Record<string, any>; root: string }> {
    const c = await buildah("from", "--pull=never", from);
    containers.push(c);
    const config = JSON.parse(await buildah("inspect", "--type", "container", c)).OCIv1;
    images.push(JSON.parse(await buildah("inspect", "--type", "container", c)).FromImageID);
    return { config, root: await buildah("mount", c) };
  }

  beforeAll(async () => {
    work = tempDir("binship-node-layout-");
    // A one-line change to the service: one more route.
    changedEntry = join(work, "changed.ts");
    writeFileSync(changedEntry, `import app from ${JSON.stringify(entry)};\napp.get("/version", (_req, res) => { res.send("2"); });\nexport default app;\n`);
    registry = await startRegistry({ dir: join(work, "registry") });
    const list = `localhost/binship-test/node-layout-base:${process.pid}`;
    await buildah("manifest", "create", list);
    for (const arch of ["amd64", "arm64"]) {
      const cc = (await run(join(fixturesDir, "container-base", "build.sh"), [join(work, "standin"), arch])).stdout.trim();
      await buildah("manifest", "add", list, `containers-storage:${cc}`);
    }
    await buildah("manifest", "push", "--all", "--format", "oci", "--tls-verify=false", list, `docker://${base()}`);
    await buildah("manifest", "rm", list);
    first = await pack(entry, "out1", "1.0");
  });

  afterAll(async () => {
    for (const c of containers) {
      await buildah("umount", c).catch(() => undefined);
      await buildah("rm", c).catch(() => undefined);
    }
    for (const id of images) await buildah("rmi", id).catch(() => undefined);
    await registry?.stop();
    for (const dir of [work, ...cleanup]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("pushes two layers per platform on the base: the Node binary's, then the bundle's", async () => {
    for (const p of first.index.platforms) {
      const manifest = JSON.parse(await skopeo("inspect", "--raw", "--tls-verify=false", `docker://${registry.host}/team/svc@${p.digest}`));
      expect(manifest.layers.at(-1).digest).toBe(p.appLayer.digest);
      expect(manifest.layers.at(-2).digest).toBe(p.nodeLayer!.digest);
      expect(p.nodeLayer!.size).toBeGreaterThan(10 * MiB); // the whole Node runtime
      expect(p.appLayer.size).toBeLessThan(MiB); // the express bundle, gzip'd
    }
    // The first push sends both, and says so per platform.
    const uploaded = first.index.push!.blobs.filter((b) => b.outcome === "uploaded").reduce((n, b) => n + b.size, 0);
    expect(first.index.platforms.reduce((n, p) => n + p.uploadedBytes!, 0)).toBe(uploaded);
    expect(uploaded).toBe(first.index.push!.uploadedBytes);
  });

  it("an unchanged repush uploads nothing; a one-line change uploads the bundle layer, not the Node layer", async () => {
    const again = await pack(entry, "out2", "1.0");
    expect(again.index.digest).toBe(first.index.digest);
    // The compile cache is part of the app layer: made again in another directory, the same bytes.
    const caches = (out: string) => readdirSync(join(work, out, "compile-cache"), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    expect(caches("out1").map((f) => f.split("/").slice(-2).join("/")).sort()).toEqual(caches("out2").map((f) => f.split("/").slice(-2).join("/")).sort());
    expect(caches("out1").map((f) => basename(dirname(f))).sort()).toEqual([expect.stringMatching(/^v24\.\d+\.\d+-arm64-[0-9a-f]{8}-65532$/), expect.stringMatching(/^v24\.\d+\.\d+-x64-[0-9a-f]{8}-65532$/)]);
    for (const f of caches("out1")) expect(readFileSync(f).equals(readFileSync(f.replace("/out1/", "/out2/")))).toBe(true);
    expect(again.index.push!.uploadedBytes).toBe(0);

    const changed = await pack(changedEntry, "out3", "1.1");
    expect(changed.index.digest).not.toBe(first.index.digest);
    const outcome = new Map(changed.index.push!.blobs.map((b) => [b.digest, b.outcome]));
    for (const [i, p] of changed.index.platforms.entries()) {
      // Same Node, same layer digest: the registry already has it.
      expect(p.nodeLayer!.digest).toBe(first.index.platforms[i]!.nodeLayer!.digest);
      expect(outcome.get(p.nodeLayer!.digest)).toBe("present");
      expect(p.appLayer.digest).not.toBe(first.index.platforms[i]!.appLayer.digest);
      expect(p.uploadedBytes!).toBeLessThan(4 * MiB);
    }
    // Per platform: its app layer (the bundle, the compile cache, the arch's SBOM) and its config.
    expect(changed.index.push!.blobs.filter((b) => b.outcome === "uploaded")).toHaveLength(4);
  });

  it("inspect reports the node layout: the recipe's Node binaries (version and arch from their ELF), bundle and compile cache; an OCI layout's layers and the same files in binship's layers", async () => {
    const out1 = join(work, "out1");
    const recipe = JSON.parse((await runCli(["inspect", out1, "--json"])).stdout);
    expect(recipe).toMatchObject({ kind: "container", layout: "node", executables: [] });
    expect(recipe.nodes.map((n: { name: string; report: { arch: string; nodeVersion: string; sha256: string } }) => [n.name, n.report.arch, n.report.nodeVersion])).toEqual([
      ["node-amd64", "x64", expect.stringMatching(/^24\.\d+\.\d+$/)],
      ["node-arm64", "arm64", expect.stringMatching(/^24\.\d+\.\d+$/)],
    ]);
    const bundle = readFileSync(join(out1, "app.cjs"));
    expect(recipe.bundle).toEqual({ name: "app.cjs", bytes: bundle.length, sha256: createHash("sha256").update(bundle).digest("hex") });
    const cacheFiles = readdirSync(join(out1, "compile-cache"), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const cacheBytes = cacheFiles.reduce((n, e) => n + statSync(join(e.parentPath, e.name)).size, 0);
    expect(recipe.compileCache).toHaveLength(2);
    expect(recipe.compileCache.reduce((n: number, d: { bytes: number }) => n + d.bytes, 0)).toBe(cacheBytes);
    expect(recipe.compileCache.reduce((n: number, d: { files: number }) => n + d.files, 0)).toBe(cacheFiles.length);
    const text = (await runCli(["inspect", out1])).stdout;
    expect(text).toMatch(/container recipe, node layout/);
    expect(text).toMatch(/code cache {3}compile-cache\/v24\S+-x64-\S+: \d+ files?, /);
    expect(text).toMatch(/node-arm64:\n {4}format {7}ELF64 AArch64 \(arm64\)/);

    // The pushed image, copied as it is (every platform, blobs unchanged) into an OCI layout.
    const layout = join(work, "pushed-layout");
    await skopeo("copy", "--all", "--src-tls-verify=false", `docker://${registry.host}/team/svc:1.0`, `oci:${layout}:1.0`);
    const image = JSON.parse((await runCli(["inspect", layout, "--json"])).stdout);
    expect(image).toMatchObject({ kind: "oci-layout", layout: "node" });
    expect(image.platforms.map((p: { platform: string }) => p.platform)).toEqual(["linux/amd64", "linux/arm64"]);
    for (const [i, p] of image.platforms.entries()) {
      const pushed = first.index.platforms[i]!;
      expect(p.manifest).toBe(pushed.digest);
      const ours = p.layers.filter((l: { addedBy: string }) => l.addedBy === "binship");
      expect(ours.map((l: { digest: string; comment: string }) => [l.digest, l.comment])).toEqual([
        [pushed.nodeLayer!.digest, "the Node runtime"],
        [pushed.appLayer.digest, "the app"],
      ]);
      expect(p.layers.length).toBeGreaterThan(2); // the base's below
      expect(p.node.report.nodeVersion).toBe(recipe.nodes[i].report.nodeVersion);
      expect(p.node.report.arch).toBe(recipe.nodes[i].report.arch);
      expect(p.node.report.sha256).toBe(recipe.nodes[i].report.sha256); // the very file the recipe has
      expect(p.bundle).toEqual(recipe.bundle);
      expect(p.compileCache).toEqual(recipe.compileCache); // as the Dockerfile's COPY compile-cache/: both arches' directories
    }
  });

  it("another service's push to another repository on the registry mounts the Node layer (remembered from the first push, or named by --mount-from) instead of uploading it", async () => {
    // binship's record of where its pushes to this registry left each blob (a hint for mounts), in its cache.
    const record = knownBlobsFile(join(cacheDirFrom(process.env, repoRoot), "registry-blobs"), registry.host);
    const nodeOutcomes = (r: PushJson) => r.index.platforms.map((p) => r.index.push!.blobs.find((b) => b.digest === p.nodeLayer!.digest)!.outcome);
    const nodeBytes = first.index.platforms.reduce((n, p) => n + p.nodeLayer!.size, 0);

    const orders = await pack(changedEntry, "orders", "1", "team/orders");
    expect(nodeOutcomes(orders)).toEqual(["mounted", "mounted"]);
    expect(orders.index.push!.mountedBytes).toBeGreaterThanOrEqual(nodeBytes);
    for (const p of orders.index.platforms) expect(p.uploadedBytes!).toBeLessThan(4 * MiB);

    // Without the record (another machine, a cleared cache): the flag names where the layer is.
    rmSync(record, { force: true });
    const billing = await pack(entry, "billing", "1", "team/billing", "--mount-from", "team/svc");
    expect(nodeOutcomes(billing)).toEqual(["mounted", "mounted"]);
    for (const p of billing.index.platforms) expect(p.uploadedBytes!).toBeLessThan(4 * MiB);

    // Neither, or a source that lacks it (the registry answers 202 and opens the upload used instead): uploaded whole, once per arch.
    rmSync(record, { force: true });
    const payments = await pack(entry, "payments", "1", "team/payments", "--mount-from", "team/never-pushed");
    expect(nodeOutcomes(payments)).toEqual(["uploaded", "uploaded"]);
    expect(payments.index.push!.uploadedBytes).toBeGreaterThan(nodeBytes);

    // The pulled image is whole: the mounted layers are really in the new repository.
    const manifest = JSON.parse(await skopeo("inspect", "--raw", "--tls-verify=false", `docker://${registry.host}/team/orders@${orders.index.platforms[0]!.digest}`));
    const blob = await fetch(`http://${registry.host}/v2/team/orders/blobs/${manifest.layers.at(-2).digest}`, { method: "HEAD" });
    expect(blob.status).toBe(200);
  });

  it("--mount-from is checked before anything is built: another registry, a tag, or no --push exit 2", async () => {
    const other = await runCli(["pack", "container", entry, "--push", `${registry.host}/team/x:1`, "--mount-from", "other.example.com/team/svc"]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(`--mount-from other.example.com/team/svc is on other.example.com, but the push goes to ${registry.host}`);
    const tagged = await runCli(["pack", "container", entry, "--push", `${registry.host}/team/x:1`, "--mount-from", "team/svc:1.0"]);
    expect(tagged.code).toBe(2);
    expect(tagged.stderr).toContain("--mount-from team/svc:1.0 names a tag; it takes a repository");
    const noPush = await runCli(["pack", "container", entry, "--mount-from", "team/svc"]);
    expect(noPush.code).toBe(2);
    expect(noPush.stderr).toContain("--mount-from needs --push");
  });

  it("the pulled image runs the app: uid 65532, Node as PID 1's program (amd64 natively, arm64 under qemu)", async () => {
    const layout = join(tmpdir(), `binship-node-layout-pulled-${process.pid}`);
    cleanup.push(layout);
    const roots: Record<string, string> = {};
    const configs: Record<string, Record<string, any>> = {};
    for (const arch of ["amd64", "arm64"]) {
      await skopeo("--override-arch", arch, "copy", "--src-tls-verify=false", `docker://${registry.host}/team/svc:1.1`, `oci:${layout}:${arch}`);
      const { config, root } = await mount(`oci:${layout}:${arch}`);
      expect(config.architecture).toBe(arch);
      expect(config.config.User).toBe("65532:65532");
      expect(config.config.Entrypoint).toEqual(["/usr/local/bin/node", "/app/app.cjs"]);
      expect(config.config.Env).toContain("PORT=8080");
      expect(config.config.Env).toEqual(expect.arrayContaining(["NODE_COMPILE_CACHE=/app/compile-cache", "NODE_COMPILE_CACHE_PORTABLE=1"]));
      const node = statSync(join(root, "usr", "local", "bin", "node"));
      expect([node.uid, node.gid, node.mode & 0o777]).toEqual([0, 0, 0o755]);
      expect(readFileSync(join(root, "app", "app.cjs")).equals(readFileSync(join(work, "out3", "app.cjs")))).toBe(true);
      // The SBOM names the Node runtime the image runs, as the executable's names its embedded Node.
      const sbom = JSON.parse(readFileSync(join(root, "usr", "share", "sbom", "svc.cdx.json"), "utf8"));
      const runtime = sbom.components.find((c: { type: string }) => c.type === "platform");
      expect(runtime).toMatchObject({ name: "node", purl: expect.stringMatching(new RegExp(`^pkg:npm/node-linux-${arch === "amd64" ? "x64" : "arm64"}@24\\.`)) });
      expect(sbom.components.map((c: { name: string }) => c.name)).toContain("express");
      roots[arch] = root;
      configs[arch] = config;
    }
    // The image's environment, as a runtime gives it; Node's debug log says whether V8 took the cache.
    const imageEnv = (config: Record<string, any>) =>
      Object.fromEntries((config.config.Env as string[]).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]).filter(([k]) => k !== "PORT")); // the test's free port instead
    const debug = { NODE_DEBUG_NATIVE: "COMPILE_CACHE" };
    const host = await startService("chroot", ["--userspec=65532:65532", roots[hostArch]!, "/usr/local/bin/node", "/app/app.cjs"], { env: { ...imageEnv(configs[hostArch]!), ...debug } });
    try {
      expect(host.output()).toMatch(/V8 code cache for CommonJS \/app\/app\.cjs was accepted/);
      expect(host.output()).not.toMatch(/rejected/);
      expect((await httpRequest(`${host.url}/healthz`)).status).toBe(200);
      expect((await httpRequest(`${host.url}/version`)).body.toString()).toBe("2");
    } finally {
      await host.stop();
    }
    // The other arch's cache, read by its own Node under qemu as the image's user. The mounted root
    // is root's only, so its /app and Node go to a readable copy (the cache is portable: found
    // beside app.cjs), run on the cross C library.
    const app = join(tmpdir(), `binship-node-layout-app-${process.pid}`);
    cleanup.push(app);
    cpSync(join(roots[otherArch]!, "app"), app, { recursive: true });
    cpSync(join(roots[otherArch]!, "usr", "local", "bin", "node"), join(app, "node"));
    chmodSync(app, 0o755);
    const libraryRoot = otherArch === "arm64" ? "/usr/aarch64-linux-gnu" : "/usr/x86_64-linux-gnu";
    const other = await startService("chroot", ["--userspec=65532:65532", "/", qemuForOther, "-L", libraryRoot, join(app, "node"), join(app, "app.cjs")], {
      timeoutMs: 60_000,
      env: { ...imageEnv(configs[otherArch]!), NODE_COMPILE_CACHE: join(app, "compile-cache"), ...debug },
    });
    try {
      expect(other.output()).toMatch(/V8 code cache for CommonJS \S+\/app\.cjs was accepted/);
      expect(JSON.parse((await httpRequest(`${other.url}/hello?name=${otherArch}`)).body.toString())).toEqual({ message: `hello, ${otherArch}` });
      expect((await httpRequest(`${other.url}/version`)).body.toString()).toBe("2");
    } finally {
      await other.stop();
    }
  });

  it("buildah bud of the recipe gives the same image shape: Node and the bundle at the same paths, same entrypoint", async () => {
    const built = await buildah("bud", "-q", "--platform", `linux/${hostArch}`, "--build-arg", `BASE=${base()}`, "--tls-verify=false", join(work, "out3"));
    images.push(built);
    const { config, root } = await mount(built);
    expect(config.config.Entrypoint).toEqual(["/usr/local/bin/node", "/app/app.cjs"]);
    expect(config.config.User).toBe("65532:65532");
    expect(readFileSync(join(root, "usr", "local", "bin", "node")).equals(readFileSync(join(work, "out3", `node-${hostArch}`)))).toBe(true);
    expect(readFileSync(join(root, "app", "app.cjs")).equals(readFileSync(join(work, "out3", "app.cjs")))).toBe(true);
    expect(config.config.Env).toEqual(expect.arrayContaining(["NODE_COMPILE_CACHE=/app/compile-cache", "NODE_COMPILE_CACHE_PORTABLE=1"]));
    for (const dir of readdirSync(join(work, "out3", "compile-cache"))) {
      for (const f of readdirSync(join(work, "out3", "compile-cache", dir))) {
        expect(readFileSync(join(root, "app", "compile-cache", dir, f)).equals(readFileSync(join(work, "out3", "compile-cache", dir, f)))).toBe(true);
      }
    }
  });
});
