// Node's http objects <-> Fetch Request/Response, streaming both ways: the request body is a
// web stream over the socket, the response body is written chunk by chunk with backpressure.

import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { responseHeaders } from "../fetch-response.js";

/** The request's absolute URL; a missing or malformed Host header falls back to localhost. */
function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? "/";
  try {
    return new URL(target, `http://${req.headers.host ?? "localhost"}`);
  } catch {
    return new URL(target.startsWith("/") ? target : `/${target}`, "http://localhost");
  }
}

export function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const url = requestUrl(req);
  const headers = new Headers();
  // rawHeaders keeps repeated headers (several Cookie or X-Forwarded-For lines) apart.
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (name.startsWith(":")) continue; // HTTP/2 pseudo-headers
    headers.append(name, req.rawHeaders[i + 1]!);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(url, {
    method,
    headers,
    signal,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    // Required by undici for a streamed request body.
    duplex: hasBody ? "half" : undefined,
  } as RequestInit);
}

type Chunk = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]>>;
const notYet = Symbol("not yet");

/** The read's result if the app has it ready within this turn of the event loop, else notYet. */
function readNow(read: Promise<Chunk>): Promise<Chunk | typeof notYet> {
  return Promise.race([read, new Promise<typeof notYet>((resolve) => setImmediate(resolve, notYet))]);
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => res.once("drain", resolve).once("close", resolve));
}

function nodeHeaders(response: Response): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of responseHeaders(response)) {
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
export async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers = nodeHeaders(response);
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
    const secondRead = reader.read();
    let next = await readNow(secondRead);
    if (!res.headersSent) {
      if (next !== notYet && next.done) {
        if (headers["content-length"] === undefined) headers["content-length"] = String(first.value.byteLength);
        res.writeHead(response.status, status, headers).end(first.value);
        return;
      }
      res.writeHead(response.status, status, headers);
    }
    if (!res.write(first.value)) await drained(res);
    if (next === notYet) next = await secondRead;
    while (!next.done && !res.destroyed) {
      if (!res.write(next.value)) await drained(res);
      next = await reader.read();
    }
    res.end();
  } catch (err) {
    // Headers may be gone already: the only honest signal left is a broken connection.
    res.destroy(err as Error);
  }
}
