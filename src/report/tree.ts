// What the size report shows, as trees of bytes: each executable (Node binary, SEA blob, build
// info), the bundle inside it (npm packages and their files, the service's own files, binship's
// runtime) and a zip's entries by compressed size.

import type { BuildInfo } from "../inspect/build-info.js";
import type { ArtifactInspection } from "../inspect/artifact.js";

export interface SizeNode {
  name: string;
  bytes: number; // the box's area
  detail?: string; // extra line shown on hover/click, e.g. "express 5.3.0, MIT"
  children?: SizeNode[];
}

export interface SizeSection {
  title: string;
  unit: string; // what the bytes measure, e.g. "bytes of the minified bundle"
  root: SizeNode;
  compact?: boolean; // drawn low: one box dwarfs the rest (the Node binary in an executable)
}

const byBytes = (a: SizeNode, b: SizeNode) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1);

function files(record: Record<string, number>): SizeNode[] {
  return Object.entries(record)
    .map(([name, bytes]) => ({ name, bytes }))
    .filter((n) => n.bytes > 0)
    .sort(byBytes);
}

export function bundleTree(info: BuildInfo): SizeNode {
  const packages = info.packages.map((p) => ({
    name: p.name,
    bytes: p.bytes,
    detail: `${p.name}@${p.version}${p.license ? `, ${p.license}` : ""} (${p.path})`,
    children: files(p.files),
  }));
  const own = files(info.bundle.sources);
  const children: SizeNode[] = [...packages];
  const ownBytes = own.reduce((n, f) => n + f.bytes, 0);
  if (ownBytes > 0) children.push({ name: "your code", bytes: ownBytes, detail: "the service's own files", children: own });
  if (info.bundle.runtimeBytes > 0) children.push({ name: "binship runtime", bytes: info.bundle.runtimeBytes, detail: `binship ${info.binship}` });
  const counted = children.reduce((n, c) => n + c.bytes, 0);
  // esbuild's wrappers, banner and the source map (when embedded) belong to no input.
  if (info.bundle.bytes > counted) children.push({ name: "(esbuild glue)", bytes: info.bundle.bytes - counted, detail: "module wrappers, banner, source map" });
  return { name: "bundle", bytes: info.bundle.bytes, detail: `sha256:${info.bundle.sha256}`, children: children.sort(byBytes) };
}

/** The blob's V8 code cache beside the rest (the bundle and the blob's headers), when it has one. */
function blobParts(report: ArtifactInspection["executables"][number]["report"]): SizeNode[] | undefined {
  const cache = report.seaCodeCacheBytes;
  if (!cache || !report.seaBlobBytes) return undefined;
  return [
    { name: "bundle", bytes: report.seaBlobBytes - cache, detail: "the JavaScript the executable runs" },
    { name: "V8 code cache", bytes: cache, detail: "the bundle compiled at build time by the target's Node, so a start skips compiling it (--no-code-cache leaves it out)" },
  ].sort(byBytes);
}

export function sizeSections(a: ArtifactInspection): SizeSection[] {
  const sections: SizeSection[] = [];
  for (const { name, report } of a.executables) {
    const blob = report.seaBlobBytes ?? 0;
    const info = report.buildInfoBytes ?? 0;
    const node = report.buildInfo?.node;
    const children: SizeNode[] = [
      { name: "Node binary", bytes: report.bytes - blob - info, detail: node ? `Node ${node.version}${node.stripped ? " (stripped)" : ""}, sha256:${node.sha256}` : undefined },
      { name: "SEA blob", bytes: blob, detail: "the bundle, as Node's single-executable blob", children: blobParts(report) },
      { name: "build info", bytes: info, detail: "read by binship inspect, never by the executable" },
    ].filter((c) => c.bytes > 0);
    sections.push({ title: `executable ${name}`, unit: "bytes", compact: true, root: { name, bytes: report.bytes, detail: `sha256:${report.sha256}`, children } });
  }
  const first = a.executables.find((e) => e.report.buildInfo)?.report.buildInfo;
  if (first) sections.push({ title: "bundle inside the SEA blob", unit: "bytes of minified JavaScript", root: bundleTree(first) });
  if (a.assets?.length) {
    const where = a.kind === "lambda-zip" ? "at the zip's root, beside bootstrap" : a.kind === "container" ? "files/, /app in the image" : "beside the executable";
    sections.push({ title: `runtime files (${where})`, unit: "bytes", root: assetTree(a.assets) });
  }
  if (a.zipEntries) {
    const children = a.zipEntries
      .map((e) => ({ name: e.name, bytes: e.compressedBytes, detail: `${e.bytes} bytes unzipped` }))
      .filter((e) => e.bytes > 0)
      .sort(byBytes);
    sections.push({ title: "zip entries", unit: "compressed bytes", root: { name: a.path.split("/").pop()!, bytes: children.reduce((n, c) => n + c.bytes, 0), children } });
  }
  return sections;
}

/** The runtime files as a tree of their folders. */
export function assetTree(assets: { name: string; bytes: number }[]): SizeNode {
  const root: SizeNode = { name: "runtime files", bytes: 0, children: [] };
  for (const { name, bytes } of assets) {
    let node = root;
    node.bytes += bytes;
    const parts = name.split("/");
    for (const [i, part] of parts.entries()) {
      let child = node.children!.find((c) => c.name === part);
      if (!child) node.children!.push((child = i === parts.length - 1 ? { name: part, bytes: 0, detail: name } : { name: part, bytes: 0, children: [] }));
      child.bytes += bytes;
      node = child;
    }
  }
  const sort = (n: SizeNode): SizeNode => (n.children ? { ...n, children: n.children.map(sort).sort(byBytes) } : n);
  return sort(root);
}

/** The n largest packages of a bundle, for the CLI's one-line summary. */
export function largestPackages(info: BuildInfo, n = 3): { name: string; bytes: number }[] {
  return [...info.packages]
    .sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1))
    .slice(0, n)
    .map((p) => ({ name: p.name, bytes: p.bytes }));
}
