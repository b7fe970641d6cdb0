// Node's http objects <-> Fetch Request/Response. The app gets a light Request read straight
// from Node's request (src/runtime/fetch); a Response whose body is held whole goes out in one
// write with a Content-Length, and only a streamed body is read chunk by chunk, with backpressure.

import type { IncomingMessage, ServerResponse } from "node:http";
import { absoluteUrl, Body, LightHeaders, LightRequest, LightResponse, type RequestParts } from "../fetch/index.js";
import { responseHeaders } from "../fetch-response.js";

/** The Host header from rawHeaders, without making Node build req.headers. */
function hostOf(raw: string[]): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === "host") return raw[i + 1];
  }
  return raw[0] === ":authority" ? raw[1] : undefined;
}

/** The parts of a light Request, read from Node's request when the app asks (one object, no closures). */
class NodeRequestParts implements RequestParts {
  readonly method: string;
  readonly body: Body | null;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    this.method = req.method ?? "GET";
    this.body = this.method === "GET" || this.method === "HEAD" ? null : Body.node(req);
  }

  url(): string {
    return absoluteUrl("http", hostOf(this.req.rawHeaders), this.req.url ?? "/");
  }

  headers(): LightHeaders {
    return LightHeaders.fromRaw(this.req.rawHeaders);
  }

  /** Aborts when the client goes away before the response has been sent. */
  signal(): AbortSignal {
    const res = this.res;
    const abort = new AbortController();
    const check = () => {
      if (!res.writableFinished) abort.abort();
    };
    if (res.closed) check();
    else res.once("close", check);
    return abort.signal;
  }
}

/** A light Request over Node's request: nothing is copied until the app reads it. */
export function toRequest(req: IncomingMessage, res: ServerResponse): Request {
  return LightRequest.create(new NodeRequestParts(req, res)) as unknown as Request;
}

type Chunk = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]>>;
const notYet = Symbol("not yet");

/** The read's result if the app has it ready within this turn of the event loop, else notYet. */
function readNow(read: Promise<Chunk>): Promise<Chunk | typeof notYet> {
  return Promise.race([read, new Promise<typeof notYet>((resolve) => setImmediate(resolve, notYet))]);
}

/**
 * A body stream's chunk as Node writes it. The Fetch standard allows only Uint8Array; strings are
 * let through as Node takes them. Anything else (a number, an object, a BigInt) fails the response
 * before its headers go out, so it is answered 500, not with a broken connection.
 */
function chunkOf(value: unknown): Uint8Array | string {
  if (value instanceof Uint8Array || typeof value === "string") return value;
  throw new TypeError(`the response body stream gave a chunk of type ${value === null ? "null" : typeof value}; a Response body stream must yield Uint8Array chunks`);
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => res.once("drain", resolve).once("close", resolve));
}

function nodeHeaders(pairs: [string, string][]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of pairs) {
    if (name === "set-cookie") ((headers[name] ??= []) as string[]).push(value);
    else headers[name] = value;
  }
  return headers;
}

/**
 * Writes the response and resolves when it has ended. A body the app has complete at once
 * (JSON, a string, bytes) goes out in one write with a Content-Length. A body still being
 * produced gets its headers at once, then each chunk as it comes, with backpressure.
 */
export function writeResponse(response: Response, res: ServerResponse): Promise<void> | void {
  const whole = LightResponse.whole(response);
  if (whole) {
    // The common case (a string, bytes or JSON from a light Response): one write, no stream,
    // and the headers handed to Node as the flat list it takes without building an object.
    const headers = whole.headers;
    const body = whole.body;
    if (body !== null && !whole.sized) headers.push("content-length", String(typeof body === "string" ? Buffer.byteLength(body) : body.byteLength));
    res.writeHead(whole.status, whole.statusText || undefined, headers as string[]);
    if (body === null || res.req.method === "HEAD") res.end();
    else res.end(body);
    return;
  }
  return writeStreamed(response, res);
}

async function writeStreamed(response: Response, res: ServerResponse): Promise<void> {
  const headers = nodeHeaders(responseHeaders(response));
  const status = response.statusText || undefined;
  if (!response.body || res.req.method === "HEAD") {
    await response.body?.cancel();
    res.writeHead(response.status, status, headers).end();
    return;
  }
  const reader = response.body.getReader();
  res.once("close", () => {
    if (!res.writableFinished) reader.cancel().catch(() => {});
  });
  try {
    const firstRead = reader.read();
    let first = await readNow(firstRead);
    if (first === notYet) {
      res.writeHead(response.status, status, headers).flushHeaders();
      first = await firstRead;
    }
    if (first.done) {
      if (!res.headersSent) res.writeHead(response.status, status, headers);
      res.end();
      return;
    }
    const firstChunk = chunkOf(first.value);
    const secondRead = reader.read();
    let next = await readNow(secondRead);
    if (!res.headersSent) {
      if (next !== notYet && next.done) {
        if (headers["content-length"] === undefined) headers["content-length"] = String(Buffer.byteLength(firstChunk));
        res.writeHead(response.status, status, headers).end(firstChunk);
        return;
      }
      res.writeHead(response.status, status, headers);
    }
    if (!res.write(firstChunk)) await drained(res);
    if (next === notYet) next = await secondRead;
    while (!next.done && !res.destroyed) {
      if (!res.write(chunkOf(next.value))) await drained(res);
      next = await reader.read();
    }
    res.end();
  } catch (err) {
    if (!res.headersSent) throw err; // nothing sent yet: the caller answers 500
    // Headers are gone already: the only honest signal left is a broken connection.
    console.error(err);
    res.destroy(err as Error);
  }
}
