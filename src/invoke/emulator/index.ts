// A local Lambda Runtime API for one function: what `binship invoke` and the tests run a
// bundle or an executable against. It follows "Using the Lambda runtime API for custom
// runtimes" (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) to the header,
// and "Implementing response streaming in a custom runtime"
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming).
// It is the one imitation in binship: AWS itself cannot run here.

import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import { performance } from "node:perf_hooks";
import type { AddressInfo } from "node:net";
import { runtimeEnvironment } from "./environment.js";
import { httpIntegrationContentType, splitPrelude, streamErrorFromTrailers } from "./stream.js";
import type { EmulatorOptions, FunctionError, InvokeOptions, InvokeResult, InvokeStatus } from "./types.js";

export type { EmulatorOptions, FunctionError, InvocationReport, InvokeOptions, InvokeResult, InvokeStatus } from "./types.js";

// Lambda's synchronous payload limit (6 MB) and response streaming's soft limit (20 MB),
// defined once beside the runtime that checks against them.
export { bufferedResponseBytes as maxBufferedResponseBytes, streamedResponseBytes as maxStreamedResponseBytes } from "../../runtime/lambda/limits.js";
import { bufferedResponseBytes as maxBufferedResponseBytes, streamedResponseBytes as maxStreamedResponseBytes } from "../../runtime/lambda/limits.js";

const apiPrefix = "/2018-06-01/runtime";

/**
 * Header names of the Runtime API (runtimes-api.html, "Next invocation" and "Invocation error").
 * Kept apart from the runtime's own table on purpose: the emulator checks the runtime against
 * the document, and a shared typo would pass both.
 */
export const runtimeHeaders = {
  requestId: "lambda-runtime-aws-request-id",
  deadline: "lambda-runtime-deadline-ms",
  functionArn: "lambda-runtime-invoked-function-arn",
  traceId: "lambda-runtime-trace-id",
  clientContext: "lambda-runtime-client-context",
  cognitoIdentity: "lambda-runtime-cognito-identity",
  errorType: "lambda-runtime-function-error-type",
  errorBody: "lambda-runtime-function-error-body",
  responseMode: "lambda-runtime-function-response-mode",
} as const;

export type InitOutcome = { status: "ready" } | { status: "init-error" | "exited"; error: FunctionError };

export interface Emulator {
  address: string; // host:port, the value of AWS_LAMBDA_RUNTIME_API
  env: Record<string, string>; // the full runtime environment to start the function with
  /** Queues one event (any JSON value, or raw bytes) and resolves with what the function answered. */
  invoke(event: unknown, options?: InvokeOptions): Promise<InvokeResult>;
  /** Resolves when the runtime asks for its first event, posts an init error, or exits. */
  initialized(): Promise<InitOutcome>;
  /** performance.now() when the runtime first asked for an event (the end of its init phase), if it has. */
  readyAt(): number | undefined;
  /** Resolves true once the runtime waits on invocation/next, false once its process has exited. */
  waitingForEvent(): Promise<boolean>;
  /** How many invocation/next requests are parked now, waiting for an event (Managed Instances holds several). */
  parkedNexts(): number;
  /** Tell the emulator the function's process ended: what it was doing fails with Runtime.ExitError. */
  processExited(code: number | null, signal: NodeJS.Signals | null): void;
  /** How many TCP connections the runtime has opened so far (a well-behaved one keeps one). */
  connections(): number;
  /** The next request to this endpoint is answered with `status` (e.g. 500, a Lambda container error). */
  forceStatus(endpoint: "next" | "response" | "error" | "init-error", status: number): void;
  close(): Promise<void>;
}

interface Pending {
  requestId: string;
  event: Buffer;
  options: InvokeOptions;
  resolve: (result: InvokeResult) => void;
  handedOutAt?: number;
  timer?: NodeJS.Timeout;
  done: boolean;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
}

function traceId(): string {
  // X-Ray trace header: Root=1-<epoch seconds, 8 hex>-<24 hex>;Parent=<16 hex>;Sampled=0
  const seconds = Math.floor(Date.now() / 1000).toString(16).padStart(8, "0");
  return `Root=1-${seconds}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`;
}

function encodeEvent(event: unknown): Buffer {
  if (Buffer.isBuffer(event)) return event;
  if (typeof event === "string") return Buffer.from(event);
  return Buffer.from(JSON.stringify(event ?? null));
}

function parseError(text: string, headerType: string | undefined): FunctionError {
  try {
    const body = JSON.parse(text) as Partial<FunctionError>;
    return {
      errorType: String(body.errorType ?? headerType ?? "Unknown"),
      errorMessage: String(body.errorMessage ?? ""),
      ...(Array.isArray(body.stackTrace) ? { stackTrace: body.stackTrace.map(String) } : {}),
    };
  } catch {
    return { errorType: headerType ?? "Unknown", errorMessage: text };
  }
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const maxResponse = options.maxResponseBytes ?? maxBufferedResponseBytes;
  const maxStream = options.maxStreamBytes ?? maxStreamedResponseBytes;
  const queue: Pending[] = [];
  const inflight = new Map<string, Pending>();
  const parked = new Set<http.ServerResponse>();
  const forced = new Map<string, number>();
  let initOutcome: InitOutcome | undefined;
  let readyAt: number | undefined;
  let initWaiters: ((o: InitOutcome) => void)[] = [];
  let gone: FunctionError | undefined; // set once the process exited
  let nextWaiters: ((waiting: boolean) => void)[] = [];
  const settleNext = (waiting: boolean) => {
    for (const w of nextWaiters) w(waiting);
    nextWaiters = [];
  };

  const settleInit = (outcome: InitOutcome) => {
    if (initOutcome) return;
    initOutcome = outcome;
    for (const w of initWaiters) w(outcome);
    initWaiters = [];
  };

  const finish = (p: Pending, status: InvokeStatus, fields: Partial<InvokeResult> = {}) => {
    if (p.done) return;
    p.done = true;
    clearTimeout(p.timer);
    inflight.delete(p.requestId);
    const i = queue.indexOf(p);
    if (i >= 0) queue.splice(i, 1);
    p.resolve({
      requestId: p.requestId,
      status,
      payload: Buffer.alloc(0),
      streamed: false,
      chunks: [],
      durationMs: p.handedOutAt === undefined ? 0 : performance.now() - p.handedOutAt,
      ...fields,
    });
  };

  const env = runtimeEnvironment(options); // AWS_LAMBDA_RUNTIME_API is added once listening
  const functionArn = `arn:aws:lambda:${env.AWS_REGION}:${options.accountId ?? "000000000000"}:function:${env.AWS_LAMBDA_FUNCTION_NAME}`;

  // runtimes-api.html, "Next invocation": the event is the body, its metadata the headers.
  const handOut = (p: Pending, res: http.ServerResponse) => {
    const limit = p.options.timeoutMs ?? timeoutMs;
    const deadline = Date.now() + limit;
    p.options.onHandOut?.(p.requestId);
    p.handedOutAt = performance.now();
    inflight.set(p.requestId, p);
    p.timer = setTimeout(() => {
      finish(p, "timeout", {
        error: { errorType: "Sandbox.Timedout", errorMessage: `RequestId: ${p.requestId} Error: Task timed out after ${(limit / 1000).toFixed(2)} seconds` },
      });
      options.onTimeout?.(p.requestId);
    }, limit);
    const headers: Record<string, string | number> = {
      "content-type": "application/json",
      "content-length": p.event.length,
      [runtimeHeaders.requestId]: p.requestId,
      [runtimeHeaders.deadline]: String(deadline),
      [runtimeHeaders.functionArn]: functionArn,
    };
    if (p.options.traceId !== null) headers[runtimeHeaders.traceId] = p.options.traceId ?? traceId();
    if (p.options.clientContext !== undefined) headers[runtimeHeaders.clientContext] = JSON.stringify(p.options.clientContext);
    if (p.options.cognitoIdentity !== undefined) headers[runtimeHeaders.cognitoIdentity] = JSON.stringify(p.options.cognitoIdentity);
    res.writeHead(200, headers).end(p.event);
  };

  const next = (res: http.ServerResponse) => {
    readyAt ??= performance.now();
    settleInit({ status: "ready" });
    const p = queue.shift();
    if (p) return handOut(p, res);
    // No timeout: the runtime waits as long as it takes (runtimes-api.html says not to time out).
    parked.add(res);
    res.once("close", () => parked.delete(res));
    settleNext(true);
  };

  const dispatch = () => {
    while (queue.length && parked.size) {
      const res = parked.values().next().value!;
      parked.delete(res);
      if (res.destroyed) continue;
      handOut(queue.shift()!, res);
    }
  };

  /** Reads a body up to `limit` bytes; the rest is drained so the runtime can read our answer. */
  const readBody = (req: http.IncomingMessage, limit: number, onChunk?: (c: Buffer) => void) =>
    new Promise<{ chunks: Buffer[]; bytes: number; over: boolean }>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      req.on("data", (c: Buffer) => {
        bytes += c.length;
        if (bytes > limit) return;
        chunks.push(c);
        onChunk?.(c);
      });
      req.once("end", () => resolve({ chunks, bytes, over: bytes > limit }));
      req.once("error", reject);
    });

  // runtimes-api.html, "Invocation response" (and runtimes-custom.html for streaming).
  const response = async (p: Pending, req: http.IncomingMessage, res: http.ServerResponse) => {
    const streamed = String(req.headers[runtimeHeaders.responseMode] ?? "").toLowerCase() === "streaming";
    const contentType = req.headers["content-type"];
    const onChunk = streamed && p.options.onChunk ? (c: Buffer) => p.options.onChunk!(c, contentType) : undefined;
    const { chunks, bytes, over } = await readBody(req, streamed ? maxStream : maxResponse, onChunk);
    if (over) {
      const limit = streamed ? maxStream : maxResponse;
      json(res, 413, { errorType: "RequestEntityTooLarge", errorMessage: `Exceeded maximum allowed payload size (${limit} bytes).` });
      finish(p, "too-large", {
        streamed,
        error: { errorType: "Function.ResponseSizeTooLarge", errorMessage: `Response payload size (${bytes} bytes) exceeded maximum allowed payload size (${limit} bytes).` },
      });
      return;
    }
    json(res, 202, { status: "OK" });
    const all = Buffer.concat(chunks);
    const split = streamed && contentType === httpIntegrationContentType ? splitPrelude(all) : undefined;
    const fields: Partial<InvokeResult> = { streamed, contentType, chunks: streamed ? chunks : [], payload: split ? split.body : all, prelude: split?.prelude };
    const trailerError = streamed ? streamErrorFromTrailers(req.trailers) : undefined;
    if (trailerError) finish(p, "error", { ...fields, error: trailerError });
    else finish(p, "ok", fields);
  };

  // runtimes-api.html, "Invocation error": error type in a header, {errorType, errorMessage, stackTrace} as the body.
  const invocationError = async (p: Pending, req: http.IncomingMessage, res: http.ServerResponse) => {
    const { chunks } = await readBody(req, maxResponse);
    json(res, 202, { status: "OK" });
    finish(p, "error", { error: parseError(Buffer.concat(chunks).toString("utf8"), req.headers[runtimeHeaders.errorType] as string | undefined) });
  };

  // runtimes-api.html, "Initialization error": every waiting invocation fails with it.
  const initError = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const { chunks } = await readBody(req, maxResponse);
    json(res, 202, { status: "OK" });
    const error = parseError(Buffer.concat(chunks).toString("utf8"), req.headers[runtimeHeaders.errorType] as string | undefined);
    settleInit({ status: "init-error", error });
    for (const p of [...queue, ...inflight.values()]) finish(p, "init-error", { error });
  };

  const route = (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> | void => {
    const path = (req.url ?? "").split("?")[0]!;
    const endpoint =
      path === `${apiPrefix}/invocation/next` ? "next" : path === `${apiPrefix}/init/error` ? "init-error" : /\/invocation\/[^/]+\/(response|error)$/.exec(path)?.[1];
    if (!endpoint || !path.startsWith(apiPrefix)) return json(res, 404, { errorType: "NotFound", errorMessage: `no such Runtime API path: ${req.method} ${path}` });
    const forcedStatus = forced.get(endpoint);
    if (forcedStatus !== undefined) {
      forced.delete(endpoint);
      req.resume();
      // runtimes-api.html: 500 is a container error, "non-recoverable state; the runtime should exit promptly".
      return json(res, forcedStatus, { errorType: "Runtime.ForcedStatus", errorMessage: `status ${forcedStatus} forced by the emulator's owner` });
    }
    const expected = endpoint === "next" ? "GET" : "POST";
    if (req.method !== expected) return json(res, 405, { errorType: "MethodNotAllowed", errorMessage: `${path} takes ${expected}` });
    if (endpoint === "next") return next(res);
    if (endpoint === "init-error") return initError(req, res);
    const requestId = decodeURIComponent(path.split("/").at(-2)!);
    const p = inflight.get(requestId);
    if (!p) {
      req.resume();
      return json(res, 400, { errorType: "InvalidRequestID", errorMessage: `no invocation ${requestId} is waiting for an answer (unknown, already answered, or timed out)` });
    }
    return endpoint === "response" ? response(p, req, res) : invocationError(p, req, res);
  };

  const server = http.createServer((req, res) => {
    Promise.resolve(route(req, res)).catch((err: Error) => {
      if (!res.headersSent) json(res, 500, { errorType: "EmulatorError", errorMessage: err.message });
      else res.destroy();
    });
  });
  let connections = 0;
  server.on("connection", () => connections++);
  server.keepAliveTimeout = 0; // the runtime keeps one connection for its whole life
  server.requestTimeout = 0; // streamed responses may last as long as the function's timeout
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const address = `${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;
  env.AWS_LAMBDA_RUNTIME_API = address;

  return {
    address,
    env,
    invoke(event, invokeOptions = {}) {
      return new Promise<InvokeResult>((resolve) => {
        const p: Pending = { requestId: randomUUID(), event: encodeEvent(event), options: invokeOptions, resolve, done: false };
        // Synchronous invocations take at most 6 MB of payload too (Lambda quotas); Invoke answers 413.
        if (p.event.length > maxResponse) {
          return finish(p, "too-large", { error: { errorType: "RequestTooLargeException", errorMessage: `Request must be smaller than ${maxResponse} bytes for the InvokeFunction operation (this one is ${p.event.length})` } });
        }
        if (initOutcome?.status === "init-error") return finish(p, "init-error", { error: initOutcome.error });
        if (gone) return finish(p, "exited", { error: gone });
        queue.push(p);
        dispatch();
      });
    },
    initialized() {
      if (initOutcome) return Promise.resolve(initOutcome);
      return new Promise((resolve) => initWaiters.push(resolve));
    },
    readyAt: () => readyAt,
    processExited(code, signal) {
      const how = signal ? `signal: ${signal}` : `exit status ${code}`;
      gone = { errorType: "Runtime.ExitError", errorMessage: `Runtime exited with error: ${how}` };
      settleInit({ status: "exited", error: gone });
      settleNext(false);
      for (const p of [...inflight.values(), ...queue]) {
        finish(p, "exited", { error: { ...gone, errorMessage: `RequestId: ${p.requestId} Error: ${gone.errorMessage}` } });
      }
    },
    parkedNexts: () => [...parked].filter((res) => !res.destroyed).length,
    waitingForEvent() {
      if (gone) return Promise.resolve(false);
      if ([...parked].some((res) => !res.destroyed)) return Promise.resolve(true);
      return new Promise((resolve) => nextWaiters.push(resolve));
    },
    connections: () => connections,
    forceStatus(endpoint, status) {
      forced.set(endpoint, status);
    },
    async close() {
      const closing = { errorType: "Runtime.ExitError", errorMessage: "the emulator was closed" };
      for (const p of [...inflight.values(), ...queue]) finish(p, "exited", { error: closing });
      for (const res of parked) res.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
