// HTTP for the registry client: node:http/https with the body as a buffer or a stream of known
// length (blobs are never held in memory), redirects followed for downloads (registries hand blob
// GETs to a storage host; the Authorization header is not sent to another host), and the scheme
// per registry: https, or with --insecure-registry https without certificate checks falling back
// to plain http when the server does not speak TLS (as Docker's insecure-registries do). Every
// request runs under the network deadlines and GET/HEAD are retried (util/http.ts).

import type { Readable } from "node:stream";
import { send, type HttpResponse, type NetworkSettings } from "../../../util/http.js";

export type { HttpResponse } from "../../../util/http.js";

export interface HttpRequest {
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH";
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | { stream: () => Readable | Promise<Readable>; length: number };
  redirects?: boolean; // follow 3xx (downloads)
  buffer?: number; // read the whole body (bounded) within the request's attempts: a stall mid-body is retried
}

export interface Transport {
  send(req: HttpRequest): Promise<HttpResponse>;
}

/** One request under the network deadlines; GET and HEAD retried (util/http.ts). */
function once(req: HttpRequest, insecure: boolean, network: NetworkSettings): Promise<HttpResponse> {
  return send({ method: req.method, url: req.url, headers: { "user-agent": "binship", ...req.headers }, body: req.body, insecure, buffer: req.buffer }, network);
}

/** True for the errors a plain-HTTP server gives a TLS client. */
const speaksPlainHttp = (err: unknown): boolean => /EPROTO|wrong version number|ERR_SSL_WRONG_VERSION_NUMBER|packet length too long/i.test(`${(err as NodeJS.ErrnoException).code} ${(err as Error).message}`);

export function createTransport(insecure: boolean, network: NetworkSettings): Transport & { baseUrl(host: string): Promise<string> } {
  const schemes = new Map<string, string>();
  const transport = {
    /** https://host, or http://host for an insecure registry that does not speak TLS. */
    async baseUrl(host: string): Promise<string> {
      const known = schemes.get(host);
      if (known) return `${known}://${host}`;
      if (!insecure) return `https://${host}`;
      try {
        (await once({ method: "GET", url: `https://${host}/v2/` }, true, network)).discard();
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
        const res = await once(current, insecure, network);
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
