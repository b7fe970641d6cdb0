// Serves one HttpRequest with the service's app: a fetch app is called with a Request, a Node
// listener in memory, a self-listening module over loopback. An app that throws answers 500.

import type { Service } from "../../contract.js";
import { checkResponse, responseHeaders } from "../../fetch-response.js";
import type { LambdaContext } from "../context.js";
import { inMemory, overLoopback, type AppResponse } from "./listener.js";
import type { HttpRequest } from "./types.js";

export type { AppResponse } from "./listener.js";

export type ServeHttp = (req: HttpRequest, event: unknown, context: LambdaContext) => Promise<AppResponse>;

function toFetchRequest(req: HttpRequest): Request {
  const headers = new Headers();
  for (const [name, value] of req.headers) {
    try {
      headers.append(name, value);
    } catch {
      // A header name or value undici refuses; the app cannot have used it anyway.
    }
  }
  const host = headers.get("host") ?? "localhost";
  const proto = headers.get("x-forwarded-proto") ?? "https";
  const hasBody = req.body !== undefined && req.method !== "GET" && req.method !== "HEAD";
  return new Request(`${proto}://${host}${req.url}`, { method: req.method, headers, body: hasBody ? req.body : undefined });
}

function fromFetchResponse(response: Response): AppResponse {
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
