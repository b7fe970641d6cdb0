// Decides what shape the service module has (docs/ARCHITECTURE.md, "The runtime").
// Order: default export with fetch, default export Node listener, named handler, a module
// that started its own server. A Fastify instance or a Koa app counts as a listener.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { RuntimeOptions } from "./options.js";

export type FetchApp = (request: Request, ...rest: unknown[]) => Response | Promise<Response>;
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown;
export type LambdaHandler = (event: unknown, context: unknown, callback?: unknown) => unknown;

/** An HTTP application in one of the two shapes the runtime can call directly. */
export type HttpApp = { kind: "fetch"; fetch: FetchApp } | { kind: "listener"; listener: NodeListener };

export interface Service {
  app?: HttpApp; // serves HTTP (server mode, HTTP-shaped Lambda events)
  handler?: LambdaHandler; // raw Lambda handler (non-HTTP events; also HTTP ones when no app)
  selfListening?: { port: number }; // the module called listen() itself (server mode leaves
  // it alone; Lambda mode calls `app` when there is one, else forwards over loopback)
}

/** Thrown when the module matches none of the shapes; errorType on Lambda. */
export class ServiceShapeError extends Error {
  override name = "Runtime.HandlerNotFound";
}

const shapes = [
  "  1. export default an object with fetch(request)       (Hono, itty-router, any Fetch-style app)",
  "  2. export default a Node request listener (req, res)  (Express, Koa app.callback(), a Fastify instance)",
  "  3. export const handler = async (event, context) => ...  (a plain Lambda handler)",
  "  4. call listen() on $PORT yourself                      (any framework that starts its own server)",
].join("\n");

function describe(mod: unknown): string {
  if (mod === null || typeof mod !== "object") return `module.exports is ${typeof mod}`;
  const keys = Object.keys(mod).filter((k) => k !== "__esModule");
  return keys.length ? `it exports: ${keys.join(", ")}` : "it exports nothing";
}

function asFunction(x: unknown, name: string): ((...a: unknown[]) => unknown) | undefined {
  const f = x && typeof x === "object" ? (x as Record<string, unknown>)[name] : undefined;
  return typeof f === "function" ? (f as (...a: unknown[]) => unknown).bind(x) : undefined;
}

/** Fastify needs ready() before routing; Koa needs callback(). */
async function appFromDefault(def: unknown): Promise<HttpApp | undefined> {
  const fetch = asFunction(def, "fetch");
  if (fetch) return { kind: "fetch", fetch: fetch as FetchApp };
  if (typeof def === "function") return { kind: "listener", listener: def as NodeListener };
  const routing = asFunction(def, "routing");
  const ready = asFunction(def, "ready");
  if (routing && ready) {
    await ready();
    return { kind: "listener", listener: routing as NodeListener };
  }
  const callback = asFunction(def, "callback");
  if (callback && asFunction(def, "use")) return { kind: "listener", listener: callback() as NodeListener };
  return undefined;
}

/**
 * `mod` is what require() of the entry returned; `listenedPort` is the port of a server the
 * module started while loading, if any.
 */
export async function detectService(
  mod: unknown,
  contract: RuntimeOptions["contract"],
  listenedPort?: number,
): Promise<Service> {
  const record = (mod ?? {}) as Record<string, unknown>;
  // An ES module (or esbuild's interop for one) has its default export under "default";
  // a CommonJS module's exports are the default.
  const def = record.__esModule || (typeof mod === "object" && mod !== null && "default" in record) ? record.default : mod;
  const handler = typeof record.handler === "function" ? (record.handler as LambdaHandler) : undefined;
  const app = await appFromDefault(def);
  const selfListening = listenedPort === undefined ? undefined : { port: listenedPort };

  const fail = (why: string) =>
    new ServiceShapeError(`${why}; ${describe(mod)}.\nThe entry module must do one of:\n${shapes}`);
  switch (contract) {
    case "fetch":
      if (app?.kind !== "fetch") throw fail('contract "fetch" needs a default export with a fetch(request) method');
      return { app, handler };
    case "listener":
      if (app?.kind !== "listener") throw fail('contract "listener" needs a default export that is a Node request listener');
      return { app, handler };
    case "handler":
      if (!handler) throw fail('contract "handler" needs an exported function named handler');
      return { handler };
    case "listen":
      if (!selfListening) throw fail('contract "listen" needs the module to call listen() while loading');
      return { selfListening, handler };
    case "auto":
      if (app || handler || selfListening) return { app, handler, selfListening };
      throw fail("the entry module has no service this runtime can start");
  }
}
