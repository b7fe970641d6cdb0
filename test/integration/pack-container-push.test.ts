// `binship pack container --push / --oci-layout / --tarball` against real parts: Debian's
// docker-registry (the CNCF distribution registry) on loopback, plain and with TLS from a test CA
// plus htpasswd basic auth; a multi-arch stand-in for distroless cc (test/fixtures/container-base)
// pushed into it by buildah; the pushed image read back with skopeo, unpacked by buildah and run
// as uid 65532 (amd64 natively, arm64 under qemu). The executables are built once for the file.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { knownBlobsFile } from "../../src/artifacts/container/image/known-blobs.js";
import { cacheDirFrom } from "../../src/executable/index.js";
import { silentLogger } from "../../src/log.js";
import { provisionNode, registryFromNpmConfig } from "../../src/node-dist/index.js";
import { appsDir, fixturesDir, repoRoot, runCli, tempDir, type CliResult } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { startService } from "../helpers/process.js";
import { makeTestCa, startRegistry, type TestCa, type TestRegistry } from "../helpers/registry.js";
import { startTokenService, type TokenService } from "../helpers/token-server.js";
import { requireTools } from "../helpers/tools.js";

const run = promisify(execFile);
const entry = join(appsDir, "express", "index.ts");
const hostArch = process.arch === "arm64" ? "arm64" : "amd64";
const otherArch = hostArch === "amd64" ? "arm64" : "amd64";
const qemuForOther = otherArch === "arm64" ? "qemu-aarch64" : "qemu-x86_64";
const user = "binship";
const password = "s3cret-push-password";
const canRun = requireTools("docker-registry", "skopeo", "umoci", "buildah", "openssl", "chroot", "apt-get", "dpkg-deb", qemuForOther);

interface PushJson {
  image: string;
  index: {
    digest: string;
    reference: string;
    platforms: { platform: string; digest: string; appLayer: { digest: string; size: number } }[];
    push?: { reference: string; uploadedBytes: number; blobs: { digest: string; size: number; outcome: string }[] };
    ociLayout?: { path: string };
    tarball?: { path: string };
  };
}

const sha256 = (data: string | Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`;
const buildah = async (...args: string[]) => (await run("buildah", ["--storage-driver", "vfs", ...args], { maxBuffer: 16 << 20 })).stdout.trim();
const skopeo = async (...args: string[]) => (await run("skopeo", args, { maxBuffer: 64 << 20 })).stdout;

describe.runIf(canRun)("pack container --push: a daemonless multi-arch image in a real registry", () => {
  let work: string;
  let plain: TestRegistry; // http, no auth
  let secure: TestRegistry; // TLS (test CA) + htpasswd
  let tokenRegistry: TestRegistry; // http + token auth (Bearer)
  let tokens: TokenService;
  const identityToken = "binship-refresh-token";
  let ca: TestCa;
  let dockerConfig: string; // DOCKER_CONFIG with the secure registry's login
  const exe: Record<string, string> = {}; // x64, arm64, and the rebuilt x64b, arm64b
  let first: PushJson;
  let firstRun: CliResult;
  const containers: string[] = [];
  const cleanup: string[] = [];
  const images: string[] = [];

  const pack = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(["pack", "container", "--name", "svc", "--json", ...args], { env: { DOCKER_CONFIG: join(work, "no-docker-config"), ...env } });
  const executables = (suffix = "") => ["--executable", exe[`x64${suffix}`]!, "--executable", exe[`arm64${suffix}`]!];
  const plainBase = () => `${plain.host}/distroless/cc:nonroot`;

  /** The image for `arch`, copied out of the registry by skopeo and mounted by buildah: its config and root. */
  async function pullAndMount(ref: string, arch: string): Promise<{ config: { architecture: string; config: Record<string, any> }; root: string }> {
    // buildah names the image after the layout's path, which must be lowercase.
    const layout = join(tmpdir(), `binship-push-pulled-${process.pid}-${cleanup.length}`);
    cleanup.push(layout);
    await skopeo("--override-arch", arch, "copy", "--src-tls-verify=false", `docker://${ref}`, `oci:${layout}:img`);
    const container = await buildah("from", "--pull=never", `oci:${layout}:img`);
    containers.push(container);
    const config = JSON.parse(await buildah("inspect", "--type", "container", container)).OCIv1;
    images.push(JSON.parse(await buildah("inspect", "--type", "container", container)).FromImageID);
    return { config, root: await buildah("mount", container) };
  }

  beforeAll(async () => {
    work = tempDir("binship-push-");
    // The rebuilt app: the same service with one more route (a one-line source change).
    const changedEntry = join(work, "changed.ts");
    writeFileSync(changedEntry, `import app from ${JSON.stringify(entry)};\napp.get("/version", (_req, res) => { res.send("2"); });\nexport default app;\n`);
    for (const [key, source] of [["x64", entry], ["arm64", entry], ["x64b", changedEntry], ["arm64b", changedEntry]] as const) {
      exe[key] = join(work, `app-${key}`);
      const r = await runCli(["build", source, "--arch", key.replace(/b$/, ""), "-o", exe[key]!]);
      expect(r.code, r.stderr).toBe(0);
    }

    ca = makeTestCa(join(work, "ca"));
    plain = await startRegistry({ dir: join(work, "reg-plain") });
    secure = await startRegistry({ dir: join(work, "reg-secure"), tls: ca, htpasswd: { user, password } });
    mkdirSync(join(work, "tokens"));
    tokens = await startTokenService({ dir: join(work, "tokens"), user, password, identityToken, denied: ["private/base"] });
    tokenRegistry = await startRegistry({ dir: join(work, "reg-token"), token: tokens });
    dockerConfig = join(work, "docker");
    mkdirSync(dockerConfig);
    writeFileSync(join(dockerConfig, "config.json"), JSON.stringify({ auths: { [secure.host]: { auth: Buffer.from(`${user}:${password}`).toString("base64") } } }));

    // The stand-in distroless base, both platforms, in both registries.
    const standin = (arch: string) => run(join(fixturesDir, "container-base", "build.sh"), [join(work, "standin"), arch]).then((r) => r.stdout.trim());
    const list = `localhost/binship-test/push-base:${process.pid}`;
    await buildah("manifest", "create", list);
    const nodeList = `localhost/binship-test/push-node-base:${process.pid}`;
    await buildah("manifest", "create", nodeList);
    for (const arch of ["amd64", "arm64"]) {
      const cc = await standin(arch);
      await buildah("manifest", "add", list, `containers-storage:${cc}`);
      // The stand-in for distroless nodejs24: the cc stand-in plus the official Node at /nodejs/bin/node.
      const node = await provisionNode({ spec: "24", arch: arch === "amd64" ? "x64" : "arm64", cacheDir: cacheDirFrom(process.env, repoRoot), registry: registryFromNpmConfig(process.env, repoRoot), logger: silentLogger });
      const c = await buildah("from", "--pull=never", cc);
      containers.push(c);
      await buildah("copy", "--chmod", "0755", c, node.target.path, "/nodejs/bin/node");
      const id = await buildah("commit", "-q", "--rm", c);
      containers.pop();
      await buildah("manifest", "add", nodeList, `containers-storage:${id}`);
      images.push(id);
    }
    await buildah("manifest", "push", "--all", "--format", "oci", "--tls-verify=false", list, `docker://${plainBase()}`);
    await buildah("manifest", "push", "--all", "--format", "oci", "--tls-verify=false", nodeList, `docker://${plain.host}/distroless/nodejs24:nonroot`);
    await buildah("manifest", "rm", nodeList);
    await buildah("manifest", "push", "--all", "--format", "oci", "--cert-dir", ca.certDir, "--creds", `${user}:${password}`, list, `docker://${secure.host}/distroless/cc:nonroot`);
    await buildah("manifest", "push", "--all", "--format", "oci", "--tls-verify=false", "--creds", `${user}:${password}`, list, `docker://${tokenRegistry.host}/distroless/cc:nonroot`);
    await buildah("manifest", "rm", list);

    firstRun = await pack([...executables(), "-o", join(work, "out1"), "--push", `${plain.host}/team/svc:1.0`, "--base", plainBase(), "--insecure-registry"]);
    expect(firstRun.code, firstRun.stderr).toBe(0);
    first = JSON.parse(firstRun.stdout);
  });

  afterAll(async () => {
    for (const c of containers) {
      await buildah("umount", c).catch(() => undefined);
      await buildah("rm", c).catch(() => undefined);
    }
    for (const id of images) await buildah("rmi", id).catch(() => undefined);
    await plain?.stop();
    await secure?.stop();
    await tokenRegistry?.stop();
    await tokens?.close();
    for (const dir of [work, ...cleanup]) rmSync(dir, { recursive: true, force: true });
  });

  it("pushes an index with linux/amd64 and linux/arm64 that skopeo reads, and reports its digests", async () => {
    const raw = await skopeo("inspect", "--raw", "--tls-verify=false", `docker://${plain.host}/team/svc:1.0`);
    const index = JSON.parse(raw);
    expect(sha256(raw)).toBe(first.index.digest);
    expect(index.mediaType).toBe("application/vnd.oci.image.index.v1+json");
    expect(index.manifests.map((m: { platform: { os: string; architecture: string } }) => `${m.platform.os}/${m.platform.architecture}`)).toEqual(["linux/amd64", "linux/arm64"]);
    expect(first.index.platforms.map((p) => [p.platform, p.digest])).toEqual(index.manifests.map((m: { digest: string; platform: { architecture: string } }) => [`linux/${m.platform.architecture}`, m.digest]));
    // Each platform: the base's layers plus one app layer, the one reported.
    for (const p of first.index.platforms) {
      const manifest = JSON.parse(await skopeo("inspect", "--raw", "--tls-verify=false", `docker://${plain.host}/team/svc@${p.digest}`));
      expect(manifest.layers.at(-1).digest).toBe(p.appLayer.digest);
      expect(manifest.annotations["org.opencontainers.image.base.name"]).toBe(plainBase());
    }
  });

  it("pins the Kubernetes manifests and the kustomization to the pushed digest", () => {
    const deployment = parseYaml(readFileSync(join(work, "out1", "k8s", "deployment.yaml"), "utf8"));
    expect(deployment.spec.template.spec.containers[0].image).toBe(`${plain.host}/team/svc@${first.index.digest}`);
    expect(first.image).toBe(`${plain.host}/team/svc@${first.index.digest}`);
    // The digest read back from the registry above, in kustomize's images: entry.
    const kustomization = parseYaml(readFileSync(join(work, "out1", "k8s", "kustomization.yaml"), "utf8"));
    expect(kustomization.images).toEqual([{ name: `${plain.host}/team/svc`, digest: first.index.digest }]);
  });

  it("mounts the base layers from the base's repository instead of sending them", () => {
    const blobs = first.index.push!.blobs;
    const appLayers = new Set(first.index.platforms.map((p) => p.appLayer.digest));
    const baseLayers = blobs.filter((b) => !appLayers.has(b.digest) && b.size > 10_000);
    expect(baseLayers.length).toBe(2);
    expect(baseLayers.every((b) => b.outcome === "mounted")).toBe(true);
    const uploaded = blobs.filter((b) => b.outcome === "uploaded");
    expect(uploaded.reduce((n, b) => n + b.size, 0)).toBe(first.index.push!.uploadedBytes);
    expect(new Set(uploaded.filter((b) => appLayers.has(b.digest)).map((b) => b.digest))).toEqual(appLayers);
  });

  it("runs from the registry: uid 65532 answers /healthz and the app route (amd64 natively, arm64 under qemu)", async () => {
    const roots: Record<string, string> = {};
    for (const arch of ["amd64", "arm64"]) {
      const { config, root } = await pullAndMount(`${plain.host}/team/svc@${first.index.digest}`, arch);
      expect(config.architecture).toBe(arch);
      expect(config.config.User).toBe("65532:65532");
      expect(config.config.Entrypoint).toEqual(["/app/svc"]);
      expect(config.config.Env).toContain("PORT=8080");
      expect(config.config.ExposedPorts).toEqual({ "8080/tcp": {} });
      expect(config.config.Labels["org.opencontainers.image.created"]).toBe("1970-01-01T00:00:00Z");
      roots[arch] = root;
      const st = statSync(join(roots[arch]!, "app", "svc"));
      expect([st.uid, st.gid, st.mode & 0o777]).toEqual([65532, 65532, 0o755]);
      expect(readFileSync(join(roots[arch]!, "app", "svc")).equals(readFileSync(exe[arch === "amd64" ? "x64" : "arm64"]!))).toBe(true);
      // The SBOM where the recipe's Dockerfile puts it: the same bytes, root's, 0644.
      const sbom = join(roots[arch]!, "usr", "share", "sbom", "svc.cdx.json");
      const sbomStat = statSync(sbom);
      expect([sbomStat.uid, sbomStat.gid, sbomStat.mode & 0o777]).toEqual([0, 0, 0o644]);
      expect(readFileSync(sbom).equals(readFileSync(join(work, "out1", `sbom-${arch}.cdx.json`)))).toBe(true);
    }
    const host = await startService("chroot", ["--userspec=65532:65532", roots[hostArch]!, "/app/svc"]);
    try {
      expect(readFileSync(`/proc/${host.child.pid}/status`, "utf8")).toMatch(/^Uid:\s+65532\s+65532\s+65532\s+65532$/m);
      expect((await httpRequest(`${host.url}/healthz`)).status).toBe(200);
      const hello = await httpRequest(`${host.url}/hello?name=registry`);
      expect(hello.status).toBe(200);
      expect(JSON.parse(hello.body.toString())).toEqual({ message: "hello, registry" });
    } finally {
      await host.stop();
    }
    // As root: the vfs storage is not traversable by uid 65532 from outside the chroot.
    const other = await startService(qemuForOther, ["-L", roots[otherArch]!, join(roots[otherArch]!, "app", "svc")], { timeoutMs: 60_000 });
    try {
      expect((await httpRequest(`${other.url}/healthz`)).status).toBe(200);
      expect(JSON.parse((await httpRequest(`${other.url}/hello?name=${otherArch}`)).body.toString())).toEqual({ message: `hello, ${otherArch}` });
    } finally {
      await other.stop();
    }
  });

  it("a second push of the same inputs gives the same digest and sends no blob", async () => {
    const r = await pack([...executables(), "-o", join(work, "out2"), "--push", `${plain.host}/team/svc:1.0`, "--base", plainBase(), "--insecure-registry"]);
    expect(r.code, r.stderr).toBe(0);
    const again: PushJson = JSON.parse(r.stdout);
    expect(again.index.digest).toBe(first.index.digest);
    expect(again.index.push!.uploadedBytes).toBe(0);
    expect(again.index.push!.blobs.every((b) => b.outcome === "present")).toBe(true);
  });

  it("a rebuilt app uploads one new layer per architecture (and its config), no base layer", async () => {
    const r = await pack([...executables("b"), "-o", join(work, "out3"), "--push", `${plain.host}/team/svc:1.1`, "--base", plainBase(), "--insecure-registry"]);
    expect(r.code, r.stderr).toBe(0);
    const changed: PushJson = JSON.parse(r.stdout);
    expect(changed.index.digest).not.toBe(first.index.digest);
    const uploaded = changed.index.push!.blobs.filter((b) => b.outcome === "uploaded");
    const newLayers = changed.index.platforms.map((p) => p.appLayer.digest);
    expect(uploaded.filter((b) => b.size > 10_000).map((b) => b.digest).sort()).toEqual([...newLayers].sort());
    expect(uploaded).toHaveLength(4); // two app layers, two configs
    expect(changed.index.push!.uploadedBytes).toBe(uploaded.reduce((n, b) => n + b.size, 0));
  });

  it("--oci-layout and --tarball write the same image without a registry: same digest, valid for umoci and skopeo", async () => {
    const layout = join(work, "layout");
    const tarball = join(work, "image.tar");
    const r = await pack([...executables(), "-o", join(work, "out4"), "--image", `${plain.host}/team/svc:1.0`, "--base", plainBase(), "--insecure-registry", "--oci-layout", layout, "--tarball", tarball]);
    expect(r.code, r.stderr).toBe(0);
    const json: PushJson = JSON.parse(r.stdout);
    expect(json.index.digest).toBe(first.index.digest);
    expect(json.index.push).toBeUndefined();
    // umoci opens and validates the layout (oci-layout, index.json, blob digests).
    expect((await run("umoci", ["ls", "--layout", layout])).stdout.trim()).toBe("1.0");
    const fromLayout = JSON.parse(await skopeo("--override-arch", "arm64", "inspect", "--config", `oci:${layout}:1.0`));
    expect(fromLayout.architecture).toBe("arm64");
    expect(fromLayout.config.User).toBe("65532:65532");
    // skopeo copy checks every blob against its digest.
    await skopeo("--override-arch", "amd64", "copy", `oci:${layout}:1.0`, `oci:${join(work, "copied")}:x`);
    // inspect reads binship's layout back: the executable layout, each platform's executable from its app layer.
    const inspected = JSON.parse((await runCli(["inspect", layout, "--json"])).stdout);
    expect(inspected).toMatchObject({ kind: "oci-layout", layout: "executable", nodes: [] });
    expect(inspected.platforms.map((p: { platform: string; manifest: string }) => [p.platform, p.manifest])).toEqual(json.index.platforms.map((p) => [p.platform, p.digest]));
    for (const p of inspected.platforms) {
      expect(p.executable.report.arch).toBe(p.platform === "linux/amd64" ? "x64" : "arm64");
      expect(p.executable.report.buildInfo.node.version).toMatch(/^24\./);
      expect(p.layers.filter((l: { addedBy: string }) => l.addedBy === "binship").map((l: { comment: string }) => l.comment)).toEqual(["the app"]);
    }
    // The tarball loads as a docker archive (what docker load reads), one image per platform.
    const loaded = join(work, "from-tarball");
    await skopeo("copy", `docker-archive:${tarball}:${plain.host}/team/svc:1.0-amd64`, `oci:${loaded}:x`);
    const fromTar = JSON.parse(await skopeo("inspect", "--config", `oci:${loaded}:x`));
    expect(fromTar.architecture).toBe("amd64");
    expect(fromTar.config.Entrypoint).toEqual(["/app/svc"]);
    // Each platform's app layer, read from the layout and from the tarball, carries its own SBOM.
    for (const p of json.index.platforms) {
      const arch = p.platform.split("/")[1]!;
      const recipeSbom = readFileSync(join(work, "out4", `sbom-${arch}.cdx.json`));
      expect(JSON.parse(recipeSbom.toString()).metadata.component.name).toBe("svc");
      const blob = join(layout, "blobs", "sha256", p.appLayer.digest.slice("sha256:".length));
      const listing = (await run("tar", ["-tvzf", blob, "--numeric-owner", "--full-time"])).stdout.split("\n").find((l) => l.endsWith(" usr/share/sbom/svc.cdx.json"));
      expect(listing).toMatch(/^-rw-r--r-- 0\/0 +\d+ 1970-01-01 00:00:00 usr\/share\/sbom\/svc\.cdx\.json$/);
      const fromLayoutBytes = (await run("tar", ["-xzOf", blob, "usr/share/sbom/svc.cdx.json"], { encoding: "buffer", maxBuffer: 64 << 20 })).stdout;
      expect(fromLayoutBytes.equals(recipeSbom)).toBe(true);
      const layerInTarball = join(work, `tarball-layer-${arch}.tar.gz`);
      await run("sh", ["-c", 'tar -xOf "$1" "blobs/sha256/$2" > "$3"', "sh", tarball, p.appLayer.digest.slice("sha256:".length), layerInTarball]);
      const fromTarballBytes = (await run("tar", ["-xzOf", layerInTarball, "usr/share/sbom/svc.cdx.json"], { encoding: "buffer", maxBuffer: 64 << 20 })).stdout;
      expect(fromTarballBytes.equals(recipeSbom)).toBe(true);
    }
  });

  describe("a registry with TLS from a test CA and basic auth", () => {
    const secureArgs = () => [...executables(), "--push", `${secure.host}/team/svc:1.0`, "--base", `${secure.host}/distroless/cc:nonroot`];

    it("pushes with the login from $DOCKER_CONFIG/config.json, trusting the CA from NODE_EXTRA_CA_CERTS, and never prints the password", async () => {
      const r = await pack([...secureArgs(), "-o", join(work, "out-secure")], { DOCKER_CONFIG: dockerConfig, NODE_EXTRA_CA_CERTS: ca.caFile });
      expect(r.code, r.stderr).toBe(0);
      const json: PushJson = JSON.parse(r.stdout);
      const raw = await skopeo("inspect", "--raw", "--cert-dir", ca.certDir, "--creds", `${user}:${password}`, `docker://${secure.host}/team/svc:1.0`);
      expect(sha256(raw)).toBe(json.index.digest);
      for (const secret of [password, Buffer.from(`${user}:${password}`).toString("base64")]) {
        expect(r.stdout + r.stderr).not.toContain(secret);
      }
    });

    it("uses a credential helper named in credHelpers (docker-credential-<name> get)", async () => {
      const bin = join(work, "helper-bin");
      const config = join(work, "helper-config");
      mkdirSync(bin);
      mkdirSync(config);
      const asked = join(work, "helper-asked");
      // The protocol: the server URL on stdin, {Username, Secret} on stdout.
      writeFileSync(join(bin, "docker-credential-binshiptest"), `#!/bin/sh\n[ "$1" = get ] || exit 1\ncat > ${asked}\nprintf '{"ServerURL":"%s","Username":"${user}","Secret":"${password}"}' "$(cat ${asked})"\n`);
      chmodSync(join(bin, "docker-credential-binshiptest"), 0o755);
      writeFileSync(join(config, "config.json"), JSON.stringify({ credHelpers: { [secure.host]: "binshiptest" }, auths: {} }));
      const r = await pack([...secureArgs(), "-o", join(work, "out-helper")], { DOCKER_CONFIG: config, NODE_EXTRA_CA_CERTS: ca.caFile, PATH: `${bin}:${process.env.PATH}` });
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(asked, "utf8")).toBe(secure.host);
      expect(r.stdout + r.stderr).not.toContain(password);
    });

    it("without a login: exit 1, naming the registry and how to log in", async () => {
      const r = await pack([...secureArgs(), "-o", join(work, "out-nologin")], { NODE_EXTRA_CA_CERTS: ca.caFile });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`binship: error: ${secure.host} requires a login, and no credentials for it were found`);
      expect(r.stderr).toMatch(/hint: Log in \(docker login /);
    });

    it("with a wrong password: exit 1, the credentials refused, the password not shown", async () => {
      const config = join(work, "wrong-config");
      mkdirSync(config);
      writeFileSync(join(config, "config.json"), JSON.stringify({ auths: { [`https://${secure.host}`]: { auth: Buffer.from(`${user}:not-${password}`).toString("base64") } } }));
      const r = await pack([...secureArgs(), "-o", join(work, "out-wrong")], { DOCKER_CONFIG: config, NODE_EXTRA_CA_CERTS: ca.caFile });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${secure.host} refused the credentials found for it`);
      expect(r.stderr).not.toContain(`not-${password}`);
    });

    it("refuses a certificate it cannot verify unless --insecure-registry is given", async () => {
      const r = await pack([...secureArgs(), "-o", join(work, "out-untrusted")], { DOCKER_CONFIG: dockerConfig });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot reach ${secure.host}`);
      expect(r.stderr).toMatch(/hint: .*NODE_EXTRA_CA_CERTS.*--insecure-registry/);
    });

    it("copies the base's layers from another registry when they are not there (plain base -> TLS target)", async () => {
      const r = await pack([...executables(), "-o", join(work, "out-cross"), "--push", `${secure.host}/other/svc:1.0`, "--base", plainBase(), "--insecure-registry"], { DOCKER_CONFIG: dockerConfig });
      expect(r.code, r.stderr).toBe(0);
      const json: PushJson = JSON.parse(r.stdout);
      expect(json.index.digest).toBe(first.index.digest);
      const raw = await skopeo("inspect", "--raw", "--cert-dir", ca.certDir, "--creds", `${user}:${password}`, `docker://${secure.host}/other/svc:1.0`);
      expect(sha256(raw)).toBe(json.index.digest);
      // Blobs are per repository: other/svc has none, and a mount needs the same registry, so the
      // base layers are streamed from the plain registry into the secure one.
      const appLayers = new Set(json.index.platforms.map((p) => p.appLayer.digest));
      const base = json.index.push!.blobs.filter((b) => !appLayers.has(b.digest) && b.size > 10_000);
      expect(base.map((b) => b.outcome)).toEqual(["uploaded", "uploaded"]);
    });
  });

  describe("a registry with token authentication (WWW-Authenticate: Bearer)", () => {
    const tokenArgs = (out: string) => [...executables(), "-o", join(work, out), "--push", `${tokenRegistry.host}/team/svc:1.0`, "--base", `${tokenRegistry.host}/distroless/cc:nonroot`, "--insecure-registry"];

    it("gets a token for the push and pull scopes with the login, and mounts the base layers with it", async () => {
      const config = join(work, "token-config");
      mkdirSync(config);
      writeFileSync(join(config, "config.json"), JSON.stringify({ auths: { [tokenRegistry.host]: { auth: Buffer.from(`${user}:${password}`).toString("base64") } } }));
      tokens.requests.length = 0;
      const r = await pack(tokenArgs("out-token"), { DOCKER_CONFIG: config });
      expect(r.code, r.stderr).toBe(0);
      const json: PushJson = JSON.parse(r.stdout);
      const appLayers = new Set(json.index.platforms.map((p) => p.appLayer.digest));
      expect(json.index.push!.blobs.filter((b) => !appLayers.has(b.digest) && b.size > 10_000).map((b) => b.outcome)).toEqual(["mounted", "mounted"]);
      // The mount needed one token for both repositories.
      expect(tokens.requests.some((q) => q.scopes.includes("repository:team/svc:pull,push") && q.scopes.includes("repository:distroless/cc:pull"))).toBe(true);
      expect(r.stdout + r.stderr).not.toContain(password);
    });

    it("a --mount-from source the account may not read is no failure: the registry refuses the mount, the layers are uploaded", async () => {
      const config = join(work, "token-config-denied");
      mkdirSync(config);
      writeFileSync(join(config, "config.json"), JSON.stringify({ auths: { [tokenRegistry.host]: { auth: Buffer.from(`${user}:${password}`).toString("base64") } } }));
      const args = [...executables(), "-o", join(work, "out-token-denied"), "--push", `${tokenRegistry.host}/team/denied:1.0`, "--base", `${tokenRegistry.host}/distroless/cc:nonroot`, "--insecure-registry", "--mount-from", "private/base"];
      // No record of this registry's earlier pushes, so the flag's source is the one asked.
      rmSync(knownBlobsFile(join(cacheDirFrom(process.env, repoRoot), "registry-blobs"), tokenRegistry.host), { force: true });
      const r = await pack(args, { DOCKER_CONFIG: config });
      expect(r.code, r.stderr).toBe(0);
      const json: PushJson = JSON.parse(r.stdout);
      const appLayers = json.index.platforms.map((p) => json.index.push!.blobs.find((b) => b.digest === p.appLayer.digest)!.outcome);
      expect(appLayers).toEqual(["uploaded", "uploaded"]);
      // The mount was asked for, with the source's pull scope, and that scope was never granted.
      expect(tokens.requests.some((q) => q.scopes.includes("repository:private/base:pull"))).toBe(true);
    });

    it("trades an identity token (identitytoken in the config) for an access token with the refresh_token grant", async () => {
      const config = join(work, "identity-config");
      mkdirSync(config);
      writeFileSync(join(config, "config.json"), JSON.stringify({ auths: { [tokenRegistry.host]: { identitytoken: identityToken } } }));
      tokens.requests.length = 0;
      const r = await pack(tokenArgs("out-identity"), { DOCKER_CONFIG: config });
      expect(r.code, r.stderr).toBe(0);
      expect(tokens.requests.length).toBeGreaterThan(0);
      expect(tokens.requests.every((q) => q.method === "POST" && q.grant === "refresh_token")).toBe(true);
      expect(r.stdout + r.stderr).not.toContain(identityToken);
    });

    it("without a login the token service refuses: exit 1, naming the registry", async () => {
      const r = await pack(tokenArgs("out-token-nologin"));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${tokenRegistry.host} requires a login, and no credentials for it were found`);
    });
  });

  it("--layout bundle: app.cjs on the Node base, one layer shared by both platforms, served as uid 65532", async () => {
    const r = await pack([entry, "--layout", "bundle", "-o", join(work, "out-bundle"), "--push", `${plain.host}/team/bundle:1`, "--base", `${plain.host}/distroless/nodejs24:nonroot`, "--insecure-registry"]);
    expect(r.code, r.stderr).toBe(0);
    const json: PushJson = JSON.parse(r.stdout);
    expect(json.index.platforms.map((p) => p.platform)).toEqual(["linux/amd64", "linux/arm64"]);
    const [amd64, arm64] = json.index.platforms;
    expect(amd64!.appLayer.digest).toBe(arm64!.appLayer.digest);
    expect(json.index.push!.blobs.filter((b) => b.digest === amd64!.appLayer.digest)).toEqual([{ digest: amd64!.appLayer.digest, size: amd64!.appLayer.size, outcome: "uploaded" }]);
    const { config, root } = await pullAndMount(`${plain.host}/team/bundle@${json.index.digest}`, hostArch);
    expect(config.config.Entrypoint).toEqual(["/nodejs/bin/node", "/app/app.cjs"]);
    const st = statSync(join(root, "app", "app.cjs"));
    expect([st.uid, st.mode & 0o777]).toEqual([65532, 0o644]);
    const svc = await startService("chroot", ["--userspec=65532:65532", root, ...config.config.Entrypoint]);
    try {
      expect((await httpRequest(`${svc.url}/healthz`)).status).toBe(200);
      expect(JSON.parse((await httpRequest(`${svc.url}/hello?name=bundle`)).body.toString())).toEqual({ message: "hello, bundle" });
    } finally {
      await svc.stop();
    }
  });

  it("usage errors exit 2 before building anything: a digest in --push, --image naming another repository", async () => {
    const digest = await pack([...executables(), "-o", join(work, "bad1"), "--push", `${plain.host}/team/svc@${first.index.digest}`, "--base", plainBase()]);
    expect(digest.code).toBe(2);
    expect(digest.stderr).toContain("names a digest; push to a tag");
    const other = await pack([...executables(), "-o", join(work, "bad2"), "--push", `${plain.host}/team/svc:1`, "--image", `${plain.host}/team/other:1`]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("name different repositories");
    expect(() => statSync(join(work, "bad2"))).toThrow();
  });
});
