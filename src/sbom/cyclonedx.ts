// A CycloneDX 1.6 JSON SBOM of a binship artifact, made from the build info recorded in its
// executables: one component per npm package that contributed bytes to the bundle (purl
// pkg:npm, version, licences, the lockfile's sha512), the Node runtime with its binary's
// sha256, binship's runtime, and the libraries a Lambda zip ships in lib/ (as the Debian
// packages they came from, where this machine's dpkg knows them). Deterministic: no random
// serial number (it is derived from the content) and no timestamp unless SOURCE_DATE_EPOCH.

import { createHash } from "node:crypto";
import type { BuildInfo } from "../inspect/build-info.js";
import type { DebianPackage } from "./debian.js";

export interface SbomSubject {
  name: string; // the service (package.json name) or the artifact's file name
  version?: string;
  type: "application" | "container";
  sha256?: string; // of the artifact, when it is one file
}

export interface SbomLibrary {
  file: string; // path inside the artifact, "lib/libc.so.6"
  sha256: string;
  debian?: DebianPackage; // the package it came from, when known
}

export interface SbomInput {
  subject: SbomSubject;
  builds: BuildInfo[]; // one per executable (a multi-arch image has two)
  libraries?: SbomLibrary[];
  sourceDateEpoch?: string; // SOURCE_DATE_EPOCH: seconds; gives metadata.timestamp
}

type Json = Record<string, unknown>;

const purlPart = (s: string) => encodeURIComponent(s).replace(/%2F/g, "/");
export const npmPurl = (name: string, version: string) => `pkg:npm/${purlPart(name)}@${purlPart(version)}`;
const prop = (name: string, value: string | number | boolean) => ({ name: `binship:${name}`, value: String(value) });

/** "sha512-<base64>" (npm's SRI integrity) -> a CycloneDX hash, hex content. */
function integrityHash(integrity: string | undefined): Json[] {
  const m = /^sha(512|384|256)-([A-Za-z0-9+/=]+)$/.exec(integrity ?? "");
  return m ? [{ alg: `SHA-${m[1]}`, content: Buffer.from(m[2]!, "base64").toString("hex") }] : [];
}

function packageComponents(builds: BuildInfo[]): Json[] {
  const byPurl = new Map<string, Json>();
  for (const pkg of builds.flatMap((b) => b.packages)) {
    const purl = npmPurl(pkg.name, pkg.version);
    if (byPurl.has(purl)) continue;
    const slash = pkg.name.startsWith("@") ? pkg.name.indexOf("/") : -1;
    const hashes = integrityHash(pkg.integrity);
    byPurl.set(purl, {
      type: "library",
      "bom-ref": purl,
      ...(slash > 0 ? { group: pkg.name.slice(0, slash), name: pkg.name.slice(slash + 1) } : { name: pkg.name }),
      version: pkg.version,
      ...(pkg.license ? { licenses: [{ expression: pkg.license }] } : {}),
      ...(hashes.length ? { hashes } : {}),
      purl,
      properties: [prop("path", pkg.path), prop("bundle-bytes", pkg.bytes)],
    });
  }
  return [...byPurl.values()];
}

function nodeComponents(builds: BuildInfo[]): Json[] {
  const seen = new Map<string, Json>();
  for (const b of builds) {
    const ref = `node@${b.node.version}-linux-${b.arch}`;
    if (seen.has(ref)) continue;
    const npm = /^npm:(.+)@([^@]+)$/.exec(b.node.source);
    seen.set(ref, {
      type: "platform",
      "bom-ref": ref,
      name: "node",
      version: b.node.version,
      description: `Node.js ${b.node.version} official binary for linux-${b.arch}`,
      hashes: [{ alg: "SHA-256", content: b.node.sha256 }],
      cpe: `cpe:2.3:a:nodejs:node.js:${b.node.version}:*:*:*:*:*:*:*`,
      ...(npm ? { purl: npmPurl(npm[1]!, npm[2]!) } : {}),
      properties: [prop("arch", b.arch), prop("stripped", b.node.stripped)],
    });
  }
  return [...seen.values()];
}

function runtimeComponent(builds: BuildInfo[]): Json[] {
  const b = builds[0];
  if (!b) return [];
  const purl = npmPurl("binship", b.binship);
  return [
    {
      type: "library",
      "bom-ref": purl,
      name: "binship",
      version: b.binship,
      description: "binship's runtime (Lambda Runtime API loop, HTTP server), compiled into the bundle",
      licenses: [{ expression: "MIT" }],
      purl,
      properties: [prop("bundle-bytes", b.bundle.runtimeBytes)],
    },
  ];
}

function libraryComponents(libraries: SbomLibrary[]): Json[] {
  const out = new Map<string, Json>();
  for (const lib of [...libraries].sort((a, b) => (a.file < b.file ? -1 : 1))) {
    const deb = lib.debian;
    if (!deb) {
      out.set(lib.file, { type: "file", "bom-ref": `file:${lib.file}`, name: lib.file, hashes: [{ alg: "SHA-256", content: lib.sha256 }] });
      continue;
    }
    const purl = `pkg:deb/debian/${purlPart(deb.name)}@${purlPart(deb.version)}?arch=${deb.arch}${deb.distro ? `&distro=${deb.distro}` : ""}`;
    const existing = out.get(purl);
    if (existing) {
      (existing.properties as Json[]).push(prop("file", `${lib.file} sha256:${lib.sha256}`));
      continue;
    }
    out.set(purl, { type: "library", "bom-ref": purl, name: deb.name, version: deb.version, purl, properties: [prop("file", `${lib.file} sha256:${lib.sha256}`)] });
  }
  return [...out.values()];
}

/** A v5-shaped UUID from the document's own content: the same SBOM gets the same serial number. */
function contentUuid(text: string): string {
  const h = createHash("sha1").update(text).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

function timestamp(sourceDateEpoch: string | undefined): string | undefined {
  if (!sourceDateEpoch || !/^\d+$/.test(sourceDateEpoch)) return undefined;
  return new Date(Number(sourceDateEpoch) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function cycloneDxSbom(input: SbomInput): string {
  const { subject, builds } = input;
  const components = [...packageComponents(builds), ...runtimeComponent(builds), ...nodeComponents(builds), ...libraryComponents(input.libraries ?? [])];
  const time = timestamp(input.sourceDateEpoch);
  const binship = builds[0]?.binship;
  const body = {
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    version: 1,
    metadata: {
      ...(time ? { timestamp: time } : {}),
      tools: { components: [{ type: "application", name: "binship", ...(binship ? { version: binship } : {}) }] },
      component: {
        type: subject.type,
        "bom-ref": "subject",
        name: subject.name,
        ...(subject.version ? { version: subject.version } : {}),
        ...(subject.sha256 ? { hashes: [{ alg: "SHA-256", content: subject.sha256 }] } : {}),
      },
    },
    components,
    dependencies: [{ ref: "subject", dependsOn: components.map((c) => c["bom-ref"] as string) }],
  };
  const serialNumber = `urn:uuid:${contentUuid(JSON.stringify(body))}`;
  const { bomFormat, specVersion, ...rest } = body;
  const bom = { $schema: "http://cyclonedx.org/schema/bom-1.6.schema.json", bomFormat, specVersion, serialNumber, ...rest };
  return `${JSON.stringify(bom, null, 2)}\n`;
}
