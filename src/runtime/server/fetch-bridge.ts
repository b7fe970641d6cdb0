// Node's http objects <-> Fetch Request/Response, streaming both ways: the request body is a
// web stream over the socket, the response body is written chunk by chunk with backpressure.

import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

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

/** Writes status and headers, then streams the body; resolves when the response has ended. */
export async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie" || typeof response.headers.getSetCookie !== "function") headers[name] = value;
  });
  // getSetCookie keeps each cookie apart; a polyfilled Headers without it joins them.
  const cookies = typeof response.headers.getSetCookie === "function" ? response.headers.getSetCookie() : [];
  if (cookies.length) headers["set-cookie"] = cookies;
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (!response.body || res.req.method === "HEAD") {
    await response.body?.cancel();
    res.end();
    return;
  }
  res.flushHeaders(); // a streamed response starts before its first chunk is ready
  const reader = response.body.getReader();
  res.once("close", () => {
    if (!res.writableFinished) reader.cancel().catch(() => {});
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise<void>((resolve) => res.once("drain", resolve).once("close", resolve));
      if (res.destroyed) return;
    }
    res.end();
  } catch (err) {
    // Headers are gone already: the only honest signal left is a broken connection.
    res.destroy(err as Error);
  }
}
