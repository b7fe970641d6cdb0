// A node:http client for tests that need what fetch hides: a chosen keep-alive connection
// (an Agent), raw repeated headers, the Keep-Alive header, or reading a body chunk by chunk.

import http from "node:http";

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: http.OutgoingHttpHeaders;
  body?: Uint8Array | string;
  agent?: http.Agent | false;
}

/** Starts a request and resolves with the response head; the body is left to the caller. */
export function openRequest(url: string, options: HttpRequestOptions = {}): Promise<{ req: http.ClientRequest; res: http.IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? "GET", headers: options.headers, agent: options.agent });
    req.once("response", (res) => resolve({ req, res }));
    req.once("error", reject);
    req.end(options.body);
  });
}

export async function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpResult> {
  const { res } = await openRequest(url, options);
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) };
}

/** Resolves with the next chunk the response delivers (null at its end). */
export function nextChunk(res: http.IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunk = res.read() as Buffer | null;
    if (chunk) return resolve(chunk);
    if (res.readableEnded) return resolve(null);
    const onReadable = () => {
      const c = res.read() as Buffer | null;
      if (c === null && !res.readableEnded) return; // spurious; wait for the next one
      cleanup();
      resolve(c);
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      res.off("readable", onReadable).off("end", onEnd).off("error", onError);
    };
    res.on("readable", onReadable).once("end", onEnd).once("error", onError);
  });
}

/** Reads what is left of a response body. */
export async function restOf(res: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let c = await nextChunk(res); c; c = await nextChunk(res)) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
