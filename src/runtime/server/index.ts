// Server mode: an HTTP server on HOST:PORT for Kubernetes, containers and local runs.
// Probes answer before the app sees the request; SIGTERM/SIGINT drain in-flight requests
// within the grace period and exit 0.

import { writeSync } from "node:fs";
import http from "node:http";
import type { Service } from "../contract.js";
import { userServers } from "../load.js";
import { StartupError, type RuntimeOptions } from "../options.js";
import { checkResponse } from "../fetch-response.js";
import { answer500, callListener } from "../listener.js";
import { toRequest, writeResponse } from "./fetch-bridge.js";
import type * as InvokeEndpoint from "./invoke-endpoint.js";
import { drainOnSignal, type DrainState } from "./shutdown.js";

// Above the 60 s idle timeout of AWS ALB/NLB and most proxies, so the proxy closes first
// and never sends a request down a connection the server is closing.
const keepAliveTimeoutMs = 65_000;

/** Where a plain handler is invoked in server mode: the Lambda runtime interface emulator's path. */
export const invocationPath = "/2015-03-31/functions/function/invocations";

// The invocation endpoint brings Lambda's context, dispatch and streaming code: loaded with the
// first invocation, so a service that is only an HTTP app never evaluates it.
let invokeEndpoint: Promise<typeof InvokeEndpoint> | undefined;
const serveInvocation: typeof InvokeEndpoint.serveInvocation = (handler, req, res) =>
  (invokeEndpoint ??= import("./invoke-endpoint.js")).then((m) => m.serveInvocation(handler, req, res));

export type ServerModeState = DrainState;

export function createRequestListener(service: Service, options: RuntimeOptions, state: ServerModeState): http.RequestListener {
  const app = service.app;
  return (req, res) => {
    // First, so a response written at once during a drain already says "Connection: close".
    state.track?.(req, res);
    const target = req.url ?? "/";
    const query = target.indexOf("?");
    const path = query === -1 ? target : target.slice(0, query);
    if (options.livenessPath !== false && path === options.livenessPath) {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (options.readinessPath !== false && path === options.readinessPath) {
      res.writeHead(state.draining ? 503 : 200, { "content-type": "text/plain" }).end(state.draining ? "draining\n" : "ok\n");
      return;
    }
    if (service.handler && req.method === "POST" && path === invocationPath) {
      serveInvocation(service.handler, req, res).catch((err) => answer500(res, err));
      return;
    }
    if (!app) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`Not Found: this service only has a Lambda handler, served at POST ${invocationPath}\n`);
      return;
    }
    if (app.kind === "listener") return callListener(app.listener, req, res);
    // The second argument is what @hono/node-server passes as `env` (HttpBindings), so apps
    // that read c.env.incoming (client address, raw socket) work the same here.
    let out: Response | Promise<Response>;
    try {
      out = app.fetch(toRequest(req, res), { incoming: req, outgoing: res });
    } catch (err) {
      return answer500(res, err);
    }
    // A Response returned at once (Hono's sync handlers) is written without a promise turn.
    if (out && typeof (out as Promise<Response>).then === "function") (out as Promise<Response>).then((r) => send(r, res), (err) => answer500(res, err));
    else send(out, res);
  };
}

/** Writes what fetch() gave; a bad value or a failed write answers 500 (or breaks the response). */
function send(response: unknown, res: http.ServerResponse): void {
  try {
    const writing = writeResponse(checkResponse(response), res);
    if (writing) writing.catch((err) => answer500(res, err));
  } catch (err) {
    answer500(res, err);
  }
}

function listenAddress(env: NodeJS.ProcessEnv): { host: string; port: number } {
  const port = env.PORT === undefined || env.PORT === "" ? 8080 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StartupError(`PORT must be a port number from 0 to 65535, got "${env.PORT}"`);
  return { host: env.HOST || "0.0.0.0", port };
}

/**
 * A module that listens itself on another port than $PORT is unreachable where the container
 * port, the Service and the probes point: said once at start, with both ports and the fix.
 */
export function warnForeignPort(port: number, env: NodeJS.ProcessEnv, log: (line: string) => void = console.error): void {
  if (env.PORT === undefined || env.PORT === "" || Number(env.PORT) === port) return;
  log(
    `binship: warning: the app listens on port ${port} itself, but PORT is ${env.PORT}: requests and probes sent to ${env.PORT} will not reach it. ` +
      `Listen on Number(process.env.PORT) in the app, or run it with PORT=${port} (for pack container: "container": { "port": ${port} }).`,
  );
}

/**
 * A line on stderr without making process.stderr: Node makes that stream on first access, and for
 * a pipe (a container's log) it is a net.Socket, ~0.9 ms of a start that may never log again.
 * A short write to a pipe is whole or refused (PIPE_BUF); refused (EAGAIN on a non-blocking
 * pipe), or any other error, it goes through console.error as before.
 */
function stderrLine(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    console.error(line);
  }
}

export async function runServer(service: Service, options: RuntimeOptions, env: NodeJS.ProcessEnv = process.env): Promise<http.Server | undefined> {
  const state: ServerModeState = { draining: false };
  if (service.selfListening) {
    warnForeignPort(service.selfListening.port, env);
    // The module owns its server; we only give it a clean shutdown.
    // http and https servers alike (https.Server is not an http.Server, but has the same close methods).
    drainOnSignal(userServers.filter((s): s is http.Server => typeof (s as http.Server).closeIdleConnections === "function"), state, options.shutdownGraceMs);
    return undefined;
  }
  const { host, port } = listenAddress(env);
  const server = http.createServer(createRequestListener(service, options, state));
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.headersTimeout = keepAliveTimeoutMs + 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(new StartupError(`cannot listen on ${host}:${port}: ${err.code ?? err.message}${err.code === "EADDRINUSE" ? " (another process holds the port; set PORT)" : ""}`)),
    );
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const shown = typeof addr === "object" && addr ? `${addr.address.includes(":") ? `[${addr.address}]` : addr.address}:${addr.port}` : String(addr);
  stderrLine(`listening on http://${shown}`);
  drainOnSignal([server], state, options.shutdownGraceMs, true);
  return server;
}
