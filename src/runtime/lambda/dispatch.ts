// One invocation: the event goes to the app (HTTP events) or the handler (everything else),
// and the outcome is posted back buffered or streamed.

import type { LambdaHandler, Service } from "../contract.js";
import type { RuntimeOptions } from "../options.js";
import type { Invocation, RuntimeClient } from "./client.js";
import { createContext, type LambdaContext } from "./context.js";
import { MalformedEvent, MarshalError, ResponseSizeTooLarge, toErrorBody, UnsupportedEvent } from "./errors.js";
import { pickAdapter } from "./http/adapters.js";
import { authorizerKind } from "./http/authorizer.js";
import { bufferedResponseBytes } from "./limits.js";
import { apigwV2, v2Head } from "./http/apigw-v2.js";
import { httpServer, readAll, type ServeHttp } from "./http/serve.js";
import type { AdapterOptions } from "./http/types.js";
import { httpResponseStreamFrom, isStreamingHandler, ResponseStream } from "./streaming.js";


/** What happened to an invocation, for the loop: posted is the Runtime API's status code. */
export interface Outcome {
  posted: number;
}

export interface Invoker {
  invoke(inv: Invocation): Promise<Outcome>;
  /** Posts an error for `id` (handler failures and crashes). */
  fail(id: string, err: unknown): Promise<Outcome>;
}

export function callHandler(handler: LambdaHandler, event: unknown, context: LambdaContext): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // Callback-style handlers (three parameters) answer through the callback.
    const callback = (err: unknown, result?: unknown) => (err != null ? reject(err) : resolve(result));
    const out = handler(event, context, callback) as Promise<unknown> | undefined;
    if (out && typeof out.then === "function") out.then(resolve, reject);
    else if (handler.length < 3) resolve(out);
  });
}

export function createInvoker(service: Service, options: RuntimeOptions, client: RuntimeClient, env: NodeJS.ProcessEnv): Invoker {
  const serve: ServeHttp | undefined = httpServer(service);
  const warned = new Set<string>();
  const adapterOptions: AdapterOptions = {
    basePath: options.basePath,
    warn: (message) => {
      if (warned.has(message)) return;
      warned.add(message);
      console.warn(message);
    },
  };

  const fail = async (id: string, err: unknown): Promise<Outcome> => {
    const body = toErrorBody(err);
    console.error(`Invoke Error \t${JSON.stringify(body)}`);
    return { posted: await client.error(id, body) };
  };

  /** `limit`/`source`: a smaller limit of the service in front of Lambda (ALB's 1 MB). */
  const respond = async (id: string, result: unknown, limit = bufferedResponseBytes, source = "Lambda"): Promise<Outcome> => {
    let json: string | undefined;
    try {
      json = JSON.stringify(result);
    } catch (err) {
      // A cycle, a BigInt or a throwing toJSON: that invocation fails, the process goes on.
      return fail(id, new MarshalError(`the handler's result cannot be serialized as JSON: ${(err as Error).message}`));
    }
    const body = Buffer.from(json ?? "null");
    if (body.length > limit) {
      const hint = source === "Lambda" ? "use invokeMode RESPONSE_STREAM with a function URL, or return less" : "return less";
      return fail(id, new ResponseSizeTooLarge(`the response is ${body.length} bytes; ${source} accepts at most ${limit} bytes for a buffered response (${hint})`));
    }
    const posted = await client.respond(id, body);
    if (posted === 413) return fail(id, new ResponseSizeTooLarge(`the Runtime API refused the ${body.length}-byte response as too large`));
    return { posted };
  };

  const streamHttp = async (id: string, response: Awaited<ReturnType<ServeHttp>>): Promise<Outcome> => {
    const stream = new ResponseStream(client, id);
    httpResponseStreamFrom(stream, v2Head({ statusCode: response.statusCode, headers: response.headers, body: Buffer.alloc(0) }));
    try {
      if (response.body) for await (const chunk of response.body) if (!stream.write(chunk)) await new Promise((r) => stream.once("drain", r));
      stream.end();
    } catch (err) {
      console.error(err);
      return { posted: await stream.fail(toErrorBody(err)) };
    }
    return { posted: await stream.answered() };
  };

  const streamHandler = async (id: string, handler: LambdaHandler, event: unknown, context: LambdaContext): Promise<Outcome> => {
    const stream = new ResponseStream(client, id);
    try {
      await handler(event, stream as never, context);
      if (!stream.writableEnded) stream.end();
    } catch (err) {
      if (!stream.started) return fail(id, err);
      console.error(`Invoke Error \t${JSON.stringify(toErrorBody(err))}`);
      return { posted: await stream.fail(toErrorBody(err)) };
    }
    return { posted: await stream.answered() };
  };

  return {
    fail,
    async invoke(inv) {
      const context = createContext(inv, env);
      let event: unknown;
      try {
        event = JSON.parse(inv.event.toString("utf8"));
      } catch {
        return fail(inv.id, new MalformedEvent("the event is not valid JSON"));
      }
      try {
        const adapter = serve ? pickAdapter(event) : undefined;
        if (adapter && serve) {
          const response = await serve(adapter.toRequest(event, adapterOptions), event, context);
          if (options.invokeMode === "RESPONSE_STREAM" && adapter === apigwV2) return streamHttp(inv.id, response);
          const result = adapter.toResult({ statusCode: response.statusCode, headers: response.headers, body: await readAll(response.body) }, event, adapterOptions);
          return adapter.maxResultBytes ? respond(inv.id, result, adapter.maxResultBytes, adapter.name.toUpperCase()) : respond(inv.id, result);
        }
        const handler = service.handler;
        if (!handler) {
          const keys = event && typeof event === "object" ? Object.keys(event).join(", ") || "none" : typeof event;
          const authorizer = authorizerKind(event);
          throw new UnsupportedEvent(
            authorizer
              ? `this event is ${authorizer}: API Gateway wants an authorization answer (an IAM policy, or {isAuthorized} for HTTP API simple responses), not an HTTP response; export a handler to answer it`
              : `this service only serves HTTP events (API Gateway REST and HTTP APIs, function URLs, ALB, VPC Lattice), and this event is none of them (its keys: ${keys}); export a handler to take other events`,
          );
        }
        if (isStreamingHandler(handler)) return streamHandler(inv.id, handler, event, context);
        return respond(inv.id, await callHandler(handler, event, context));
      } catch (err) {
        return fail(inv.id, err);
      }
    },
  };
}
