// HTTP for the registry client: node:http/https with the body as a buffer or a stream of known
// length (blobs are never held in memory), redirects followed for downloads (registries hand blob
// GETs to a storage host; the Authorization header is not sent to another host), and the scheme
// per registry: https, or with --insecure-registry https without certificate checks falling back
// to plain http when the server does not speak TLS (as Docker's insecure-registries do).

import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";

export interface HttpRequest {
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH";
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | { stream: () => Readable | Promise<Readable>; length: number };
  redirects?: boolean; // follow 3xx (downloads)
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  url: string; // after redirects
  body: IncomingMessage;
  text(limit?: number): Promise<string>; // reads the whole body (bounded)
  discard(): void;
}

export interface Transport {
  send(req: HttpRequest): Promise<HttpResponse>;
}

function wrap(res: IncomingMessage, url: string): HttpResponse {
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    url,
    body: res,
    async text(limit = 4 << 20) {
      const chunks: Buffer[] = [];
      let n = 0;
      for await (const c of res) {
        n += (c as Buffer).length;
        if (n > limit) throw new Error(`response from ${url} is larger than ${limit} bytes`);
        chunks.push(c as Buffer);
      }
      return Buffer.concat(chunks).toString("utf8");
    },
    discard() {
      res.resume();
    },
  };
}

async function once(req: HttpRequest, insecure: boolean): Promise<HttpResponse> {
  const url = new URL(req.url);
  const send = url.protocol === "http:" ? httpRequest : httpsRequest;
  const headers: Record<string, string> = { "user-agent": "binship", ...req.headers };
  let body: Readable | Buffer | undefined;
  if (Buffer.isBuffer(req.body)) {
    headers["content-length"] = String(req.body.length);
    body = req.body;
  } else if (req.body) {
    headers["content-length"] = String(req.body.length);
    body = await req.body.stream();
  }
  return new Promise((resolve, reject) => {
    const r = send(url, { method: req.method, headers, rejectUnauthorized: !insecure }, (res) => resolve(wrap(res, req.url)));
    r.on("error", reject);
    if (Buffer.isBuffer(body)) r.end(body);
    else if (body) {
      body.on("error", (err) => r.destroy(err));
      body.pipe(r);
    } else r.end();
  });
}

/** True for the errors a plain-HTTP server gives a TLS client. */
const speaksPlainHttp = (err: unknown): boolean => /EPROTO|wrong version number|ERR_SSL_WRONG_VERSION_NUMBER|packet length too long/i.test(`${(err as NodeJS.ErrnoException).code} ${(err as Error).message}`);

export function createTransport(insecure: boolean): Transport & { baseUrl(host: string): Promise<string> } {
  const schemes = new Map<string, string>();
  const transport = {
    /** https://host, or http://host for an insecure registry that does not speak TLS. */
    async baseUrl(host: string): Promise<string> {
      const known = schemes.get(host);
      if (known) return `${known}://${host}`;
      if (!insecure) return `https://${host}`;
      try {
        (await once({ method: "GET", url: `https://${host}/v2/` }, true)).discard();
        schemes.set(host, "https");
      } catch (err) {
        if (!speaksPlainHttp(err)) throw err;
        schemes.set(host, "http");
      }
      return `${schemes.get(host)}://${host}`;
    },
    async send(req: HttpRequest): Promise<HttpResponse> {
      let current = req;
      for (let hop = 0; ; hop++) {
        const res = await once(current, insecure);
        const location = res.headers.location;
        if (!current.redirects || ![301, 302, 303, 307, 308].includes(res.status) || !location || hop >= 5) return res;
        res.discard();
        const next = new URL(location, current.url);
        const headers = { ...current.headers };
        if (next.host !== new URL(current.url).host) delete headers.authorization; // storage hosts sign their own URLs
        current = { ...current, url: next.toString(), headers, method: current.method === "HEAD" ? "HEAD" : "GET", body: undefined };
      }
    },
  };
  return transport;
}
