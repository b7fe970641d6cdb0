// Serves one HttpRequest with the service's app: a fetch app is called with a Request, a Node
// listener in memory, a self-listening module over loopback. An app that throws answers 500.

import type { Service } from "../../contract.js";
import { checkResponse, responseHeaders } from "../../fetch-response.js";
import { absoluteUrl, Body, LightHeaders, LightRequest, LightResponse } from "../../fetch/index.js";
import type { LambdaContext } from "../context.js";
import { inMemory, overLoopback, type AppResponse } from "./listener.js";
import type { HttpRequest } from "./types.js";

export type { AppResponse } from "./listener.js";

export type ServeHttp = (req: HttpRequest, event: unknown, context: LambdaContext) => Promise<AppResponse>;

/** A light Request over the event's request: headers and URL are made only when read. */
function toFetchRequest(req: HttpRequest): Request {
  let headers: LightHeaders | undefined;
  const headersOf = () => (headers ??= LightHeaders.fromPairs(req.headers));
  const hasBody = req.body !== undefined && req.method !== "GET" && req.method !== "HEAD";
  return LightRequest.create({
    method: req.method,
    url: () => absoluteUrl(headersOf().get("x-forwarded-proto") ?? "https", req.urlHost ?? headersOf().get("host") ?? undefined, req.url),
    headers: headersOf,
    body: hasBody ? Body.bytes(req.body!) : null,
    // Lambda has no client connection to lose: the signal never aborts.
    signal: () => new AbortController().signal,
  }) as unknown as Request;
}

/** [name, value] pairs, each Set-Cookie apart, from a whole response's flat list. */
function pairsOf(flat: (string | string[])[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string;
    const value = flat[i + 1]!;
    if (typeof value === "string") pairs.push([name, value]);
    else for (const v of value) pairs.push([name, v]);
  }
  return pairs;
}

function fromFetchResponse(response: Response): AppResponse {
  const whole = LightResponse.whole(response);
  if (whole) {
    const body = whole.body === null ? null : [typeof whole.body === "string" ? Buffer.from(whole.body) : whole.body];
    return { statusCode: whole.status, headers: pairsOf(whole.headers), body: body as unknown as AsyncIterable<Uint8Array> | null };
  }
  return { statusCode: response.status, headers: responseHeaders(response), body: response.body as AsyncIterable<Uint8Array> | null };
}

const internalError = (): AppResponse => ({
  statusCode: 500,
  headers: [["content-type", "text/plain; charset=utf-8"]],
  body: [new TextEncoder().encode("Internal Server Error\n")] as unknown as AsyncIterable<Uint8Array>,
});

/** undefined when the service has no HTTP side (a plain handler). */
export function httpServer(service: Service): ServeHttp | undefined {
  const app = service.app;
  if (app?.kind === "fetch") {
    return async (req, event, context) => {
      try {
        // Hono and others read the Lambda event and context from the fetch env argument.
        const response = await app.fetch(toFetchRequest(req), { event, lambdaContext: context, requestContext: (event as { requestContext?: unknown }).requestContext });
        return fromFetchResponse(checkResponse(response));
      } catch (err) {
        console.error(err);
        return internalError();
      }
    };
  }
  const forward = app?.kind === "listener" ? inMemory(app.listener) : service.selfListening ? overLoopback(service.selfListening.port) : undefined;
  if (!forward) return undefined;
  return async (req) => {
    try {
      return await forward(req);
    } catch (err) {
      console.error(err);
      return internalError();
    }
  };
}

export async function readAll(body: AsyncIterable<Uint8Array> | null): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return Buffer.concat(chunks);
}
