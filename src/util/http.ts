// HTTP with deadlines and retries, for every registry request binship makes (the npm registry
// for Node binaries, OCI registries for container images). A registry can hang in three
// different places, so there are three deadlines, each for one phase:
// - connect: the TCP handshake. 10 s by default: a route that takes longer is a dropped SYN
//   (a firewall, a dead host), not a slow one; undici's own default is the same.
// - first byte: from the connection (TLS handshake included; for an upload, from its end) to
//   the response headers. 30 s: a mirror (Verdaccio, Artifactory) that proxies a cold package
//   upstream can take several seconds, a CDN far less; 30 s still ends a hung CI job quickly.
// - idle: the longest silence between two body chunks (of the response, or of an upload the
//   server stopped taking). 30 s, for the same reasons. A slow but moving download never trips
//   it, however long it takes; a reader slower than the network does not either (bytes waiting
//   for it are not a silence).
// Idempotent requests (GET, HEAD) are retried on connect errors, timeouts, resets, 5xx and 429,
// with exponential backoff and jitter (Retry-After honoured up to the backoff cap); never on
// another 4xx. Settings: BINSHIP_NETWORK_TIMEOUT (seconds, every phase), else npm's own
// fetch-timeout / fetch-retries / fetch-retry-mintimeout / fetch-retry-maxtimeout (ms) from
// npm_config_* or .npmrc, where the caller has read them (README, "Network").

import { request as plainRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { request as tlsRequest } from "node:https";
import { Readable, Transform, pipeline } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { BinshipError } from "../errors.js";

export interface NetworkSettings {
  connectMs: number; // TCP connect deadline; 0: none
  firstByteMs: number; // connected (or upload done) -> response headers; 0: none
  idleMs: number; // longest silence between body chunks; 0: none
  retries: number; // further attempts of an idempotent request
  retryMinMs: number; // first backoff, doubled per attempt
  retryMaxMs: number; // backoff cap, also the cap on a Retry-After
}

export const defaultNetwork: NetworkSettings = { connectMs: 10_000, firstByteMs: 30_000, idleMs: 30_000, retries: 2, retryMinMs: 1_000, retryMaxMs: 10_000 };

/** The environment variable that sets every deadline, named in the errors' hints. */
export const timeoutSetting = "BINSHIP_NETWORK_TIMEOUT";

function number(value: string, key: string, unit: string): number {
  const n = Number(value.trim());
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new BinshipError("CONFIG_INVALID", `${key} must be a number of ${unit} (0 or more), got "${value}"`, { hint: `Set ${key} to e.g. 30${unit === "ms" ? "000" : ""}, or unset it for the default.` });
  }
  return n;
}

/**
 * The network settings from the environment and, when given, the npm config (the merged .npmrc
 * keys). BINSHIP_NETWORK_TIMEOUT wins over npm's fetch-timeout; npm_config_* over .npmrc.
 */
export function networkSettings(env: NodeJS.ProcessEnv, npmrc: Record<string, string> = {}): NetworkSettings {
  const npm = (key: string): { value: string; name: string } | undefined => {
    const envName = `npm_config_${key.replace(/-/g, "_")}`;
    const fromEnv = env[envName] ?? env[envName.toUpperCase()];
    if (fromEnv !== undefined) return { value: fromEnv, name: envName };
    return npmrc[key] === undefined ? undefined : { value: npmrc[key]!, name: `${key} in .npmrc` };
  };
  const s = { ...defaultNetwork };
  const fetchTimeout = npm("fetch-timeout");
  if (fetchTimeout) {
    // npm's fetch-timeout bounds the wait for headers and between chunks; 0 turns it off.
    s.firstByteMs = s.idleMs = number(fetchTimeout.value, fetchTimeout.name, "ms");
    if (s.firstByteMs > 0) s.connectMs = Math.min(s.connectMs, s.firstByteMs);
  }
  if (env[timeoutSetting] !== undefined) s.connectMs = s.firstByteMs = s.idleMs = number(env[timeoutSetting]!, timeoutSetting, "seconds") * 1000;
  const retries = npm("fetch-retries");
  if (retries) s.retries = Math.floor(number(retries.value, retries.name, "retries"));
  const min = npm("fetch-retry-mintimeout");
  if (min) s.retryMinMs = number(min.value, min.name, "ms");
  const max = npm("fetch-retry-maxtimeout");
  if (max) s.retryMaxMs = number(max.value, max.name, "ms");
  s.retryMaxMs = Math.max(s.retryMaxMs, s.retryMinMs);
  return s;
}

export type Phase = "connect" | "first byte" | "idle" | "sending";

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/** A request that failed on the network: a deadline, a refused or reset connection. */
export class NetworkError extends Error {
  override readonly name = "NetworkError";
  readonly host: string;
  readonly phase?: Phase; // set when a deadline fired
  readonly ms?: number;
  tries = 1;

  constructor(host: string, detail: { phase: Phase; ms: number } | { cause: Error }) {
    super("phase" in detail ? NetworkError.timeoutText(host, detail.phase, detail.ms) : `cannot reach ${host}: ${detail.cause.message}`, "cause" in detail ? { cause: detail.cause } : undefined);
    this.host = host;
    if ("phase" in detail) {
      this.phase = detail.phase;
      this.ms = detail.ms;
    }
  }

  static timeoutText(host: string, phase: Phase, ms: number): string {
    if (phase === "connect") return `${host} did not accept a connection within ${seconds(ms)} (connect)`;
    if (phase === "idle") return `${host} stopped sending for ${seconds(ms)} in the middle of a response (idle)`;
    if (phase === "sending") return `${host} took nothing of the request for ${seconds(ms)} (idle)`;
    return `${host} did not answer within ${seconds(ms)} (first byte)`;
  }

  /** "…; tried 3 times" once retries are spent. */
  describe(): string {
    return this.tries > 1 ? `${this.message}; tried ${this.tries} times` : this.message;
  }
}

/** A 5xx or 429 answer that is retried; it reaches the caller only through `withRetries`' last attempt. */
export class RetryableStatus extends Error {
  override readonly name = "RetryableStatus";
  readonly status: number;
  readonly retryAfterMs?: number;
  tries = 1;
  constructor(host: string, status: number, statusText: string, retryAfterMs?: number) {
    super(`${host} answered HTTP ${status}${statusText ? ` ${statusText}` : ""}`);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
  describe(): string {
    return this.tries > 1 ? `${this.message}; tried ${this.tries} times` : this.message;
  }
}

export const isRetryableStatus = (status: number) => status === 429 || (status >= 500 && status <= 599);

/** Errors of the connection itself; a TLS or DNS "no such host" error is not retried. */
const transientCodes = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "ENETDOWN", "UND_ERR_SOCKET"]);

export function isTransient(err: unknown): boolean {
  if (err instanceof NetworkError) return err.phase !== undefined || isTransient(err.cause);
  if (err instanceof RetryableStatus) return true;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && transientCodes.has(code);
}

/** Retry-After (RFC 9110 10.2.3): delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait before attempt `attempt + 1`: doubling from retryMinMs, capped, with jitter (50-100 %). */
export function backoffMs(s: NetworkSettings, attempt: number, retryAfter?: number, random = Math.random): number {
  if (retryAfter !== undefined) return Math.min(retryAfter, s.retryMaxMs);
  const exp = Math.min(s.retryMaxMs, s.retryMinMs * 2 ** (attempt - 1));
  return Math.round(exp * (0.5 + random() / 2));
}

/**
 * Runs `op` until it succeeds, throws something not transient, or the retries are spent; the
 * error of the last attempt is thrown with its `tries`. `op` is the whole idempotent unit
 * (a download restarts from its first byte).
 */
export async function withRetries<T>(s: NetworkSettings, op: (attempt: number) => Promise<T>, onRetry?: (err: Error, waitMs: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      if (err instanceof NetworkError || err instanceof RetryableStatus) err.tries = attempt;
      if (attempt > s.retries || !isTransient(err)) throw err;
      const wait = backoffMs(s, attempt, err instanceof RetryableStatus ? err.retryAfterMs : undefined);
      onRetry?.(err as Error, wait);
      await sleep(wait);
    }
  }
}

export interface HttpRequest {
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH";
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | { stream: () => Readable | Promise<Readable>; length: number };
  insecure?: boolean; // no certificate check (--insecure-registry)
  buffer?: number; // read the whole body (up to this many bytes) inside each attempt, so a stall mid-body is retried too
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  url: string;
  body: Readable; // fails with a NetworkError (idle) when the server stalls mid-body
  text(limit?: number): Promise<string>; // the whole body, decompressed when the server compressed it
  discard(): void;
  tries: number; // attempts made, the last one answered this
}

/** Bytes the reader has not taken yet: the reader is slow, so a quiet socket is not a stall. */
const backlog = (...streams: (Readable & { writableLength?: number })[]) => streams.some((s) => s.readableLength > 0 || (s.writableLength ?? 0) > 0);

/** The response body behind an idle deadline: no chunk for idleMs while nothing waits for the reader fails it. */
function guarded(res: IncomingMessage, host: string, idleMs: number): Readable {
  if (!(idleMs > 0)) return res;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(fire, idleMs).unref(); // the socket keeps the process alive while it waits
  };
  const guard = new Transform({
    transform(chunk: Buffer, _enc, done) {
      arm();
      done(null, chunk);
    },
  });
  const fire = () => {
    if (backlog(res, guard)) return arm();
    const err = new NetworkError(host, { phase: "idle", ms: idleMs });
    guard.destroy(err);
    res.destroy(err);
  };
  arm();
  pipeline(res, guard, () => clearTimeout(timer));
  return guard;
}

async function readAll(body: Readable, encoding: string | undefined, limit: number, url: string): Promise<string> {
  const decode = encoding === "gzip" || encoding === "x-gzip" ? createGunzip() : encoding === "deflate" ? createInflate() : encoding === "br" ? createBrotliDecompress() : undefined;
  const source: Readable = decode ? pipeline(body, decode, () => {}) : body;
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of source) {
    n += (c as Buffer).length;
    if (n > limit) {
      source.destroy();
      throw new Error(`the response from ${url} is larger than ${limit} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** One attempt, each phase under its deadline. Rejects with a NetworkError on a deadline, or the socket's error. */
export async function sendOnce(req: HttpRequest, s: NetworkSettings): Promise<HttpResponse> {
  const url = new URL(req.url);
  const host = url.host;
  const send = url.protocol === "http:" ? plainRequest : tlsRequest;
  const headers: Record<string, string> = { ...req.headers };
  let body: Readable | Buffer | undefined;
  if (Buffer.isBuffer(req.body)) body = req.body;
  else if (req.body) body = await req.body.stream();
  if (req.body) headers["content-length"] = String(req.body.length);
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const r = send(url, { method: req.method, headers, ...(url.protocol === "https:" ? { rejectUnauthorized: !req.insecure } : {}) }, (res) => {
      clearTimeout(timer);
      settled = true;
      res.socket?.setTimeout(0);
      const guardedBody = guarded(res, host, s.idleMs);
      resolve({
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? "",
        headers: res.headers,
        url: req.url,
        body: guardedBody,
        text: (limit = 4 << 20) => readAll(guardedBody, res.headers["content-encoding"] as string | undefined, limit, req.url),
        discard: () => void guardedBody.resume(),
        tries: 1,
      });
    });
    const fail = (err: Error) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      reject(err);
      r.destroy(err);
      if (body && !Buffer.isBuffer(body)) body.destroy(); // a file or another registry's blob stream
    };
    const deadline = (phase: Phase, ms: number) => {
      clearTimeout(timer);
      if (ms > 0) timer = setTimeout(() => fail(new NetworkError(host, { phase, ms })), ms).unref();
    };
    let connected = false;
    let sent = false;
    // The wait for headers starts at the TCP connection (it covers a TLS handshake that never
    // completes, before which nothing is "sent"); a request body is sent under the socket's idle
    // timeout instead (a server that stops reading), and the wait for headers starts after it.
    const next = () => {
      if (!connected || settled) return;
      if (sent || !body) deadline("first byte", s.firstByteMs);
      else clearTimeout(timer);
    };
    r.on("socket", (socket) => {
      const onConnect = () => {
        connected = true;
        if (s.idleMs > 0 && body && !sent) {
          const stalled = () => fail(new NetworkError(host, { phase: "sending", ms: s.idleMs }));
          socket.setTimeout(s.idleMs);
          socket.on("timeout", stalled);
          r.once("finish", () => {
            socket.setTimeout(0);
            socket.off("timeout", stalled);
          });
          r.once("close", () => socket.off("timeout", stalled));
        }
        next();
      };
      if (socket.connecting) {
        deadline("connect", s.connectMs);
        socket.once("connect", onConnect);
      } else onConnect();
    });
    r.on("finish", () => {
      sent = true;
      next();
    });
    r.on("error", fail);
    if (Buffer.isBuffer(body)) r.end(body);
    else if (body) {
      body.on("error", (err) => fail(err));
      body.pipe(r);
    } else r.end();
  });
}

/** A transient socket error (refused, reset) as a NetworkError naming the host; anything else unchanged. */
export function asNetworkError(err: unknown, host: string): unknown {
  return err instanceof Error && !(err instanceof NetworkError) && isTransient(err) ? new NetworkError(host, { cause: err }) : err;
}

/** One attempt of `n`: a 5xx/429 answer becomes a RetryableStatus while retries remain. */
async function attempt(req: HttpRequest, s: NetworkSettings, n: number, retries: number): Promise<HttpResponse> {
  const host = new URL(req.url).host;
  let res: HttpResponse;
  try {
    res = await sendOnce(req, s);
  } catch (err) {
    throw asNetworkError(err, host);
  }
  if (n <= retries && isRetryableStatus(res.status)) {
    res.discard();
    throw new RetryableStatus(host, res.status, res.statusText, retryAfterMs(res.headers["retry-after"]));
  }
  if (req.buffer === undefined || req.method === "HEAD") return { ...res, tries: n };
  let text: string;
  try {
    text = await res.text(req.buffer);
  } catch (err) {
    throw asNetworkError(err, host);
  }
  return { ...res, body: Readable.from([Buffer.from(text)]), text: async () => text, discard() {}, tries: n };
}

const idempotent = (req: HttpRequest) => req.method === "GET" || req.method === "HEAD";

/**
 * `sendOnce` with retries for GET and HEAD: transient failures and 5xx/429 answers are tried
 * again; the last attempt's answer is returned whatever its status (with `tries`), and its
 * network failure thrown as a NetworkError naming the host.
 */
export async function send(req: HttpRequest, s: NetworkSettings, onRetry?: (err: Error, waitMs: number) => void): Promise<HttpResponse> {
  const retries = idempotent(req) ? s.retries : 0;
  return withRetries({ ...s, retries }, (n) => attempt(req, s, n, retries), onRetry);
}

export interface TextResponse {
  status: number;
  statusText: string;
  text: string; // the body of a 200, "" otherwise
  tries: number;
}

/** A GET whose whole body is read inside each attempt, so a stall mid-body is retried too. */
export async function getText(req: Omit<HttpRequest, "method" | "body" | "buffer">, s: NetworkSettings, limit: number, onRetry?: (err: Error, waitMs: number) => void): Promise<TextResponse> {
  const res = await send({ ...req, method: "GET", buffer: limit }, s, onRetry);
  return { status: res.status, statusText: res.statusText, text: res.status === 200 ? await res.text() : "", tries: res.tries };
}

/**
 * A NetworkError in the user's words: what fired (host, deadline, attempts) and how to get
 * past it; `escape` names the way around the registry for this request.
 */
export function networkFailure(err: NetworkError, code: "NODE_DOWNLOAD_FAILED" | "REGISTRY_FAILED", escape: string, raise = `${timeoutSetting}=SECONDS`): BinshipError {
  const hint = err.phase ? `Raise the deadline with ${raise}, ${escape}.` : `Check the network and the registry, ${escape}.`;
  return new BinshipError(code, err.describe(), { cause: err, hint });
}
