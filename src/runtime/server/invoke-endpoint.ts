// A plain Lambda handler in server mode, at the path the Lambda runtime interface emulator
// uses, so the same image can be invoked locally with the same curl command.

import type { IncomingMessage, ServerResponse } from "node:http";
import { Writable } from "node:stream";
import type { LambdaHandler } from "../contract.js";
import { createContext, type LambdaContext } from "../lambda/context.js";
import { callHandler } from "../lambda/dispatch.js";
import { MarshalError } from "../lambda/errors.js";
import { isStreamingHandler } from "../lambda/streaming.js";

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Lambda's context object, built as Lambda mode builds it, for an invocation made up here:
 * the runtime interface emulator's defaults fill what the environment does not say.
 */
function localContext(): LambdaContext {
  const name = process.env.AWS_LAMBDA_FUNCTION_NAME ?? "function";
  const region = process.env.AWS_REGION ?? "us-east-1";
  const invocation = {
    // node:crypto is loaded here, not at start-up: a service that is never invoked this way
    // should not pay for it on every cold start.
    id: process.getBuiltinModule("node:crypto").randomUUID(),
    event: Buffer.alloc(0),
    deadlineMs: Date.now() + 900_000, // Lambda's longest timeout, 15 minutes
    functionArn: `arn:aws:lambda:${region}:000000000000:function:${name}`,
  };
  return createContext(invocation, {
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "128",
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: "local",
    ...process.env,
    AWS_LAMBDA_FUNCTION_NAME: name,
  });
}

/** The response stream a streamifyResponse() handler writes to, over the HTTP response. */
function responseStreamOver(res: ServerResponse): Writable & { setContentType(type: string): void } {
  let contentType = "application/octet-stream";
  const head = () => {
    if (!res.headersSent) res.writeHead(200, { "content-type": contentType });
  };
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      head();
      res.write(chunk, () => done());
    },
    final(done) {
      head();
      res.end(() => done());
    },
  });
  return Object.assign(stream, { setContentType: (type: string) => void (contentType = type) });
}

async function runStreaming(handler: LambdaHandler, event: unknown, res: ServerResponse): Promise<void> {
  const stream = responseStreamOver(res);
  await handler(event, stream, localContext());
  if (!stream.writableEnded) stream.end();
  await new Promise<void>((resolve, reject) => stream.once("finish", resolve).once("error", reject));
}

/** The error answer; `status` 500 when the runtime, not the handler, failed the invocation. */
function answerError(res: ServerResponse, e: Error, status = 200): void {
  res
    .writeHead(status, { "content-type": "application/json", "x-amz-function-error": "Unhandled" })
    .end(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: (e.stack ?? "").split("\n") }));
}

export async function serveInvocation(handler: LambdaHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = await readBody(req);
  let event: unknown;
  try {
    event = text === "" ? {} : JSON.parse(text);
  } catch {
    res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ errorType: "InvalidRequestContent", errorMessage: "the event is not valid JSON" }));
    return;
  }
  let result: unknown;
  try {
    if (isStreamingHandler(handler as unknown)) return await runStreaming(handler, event, res);
    result = await callHandler(handler, event, localContext());
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    console.error(e);
    if (res.headersSent) return void res.destroy(e); // mid-stream: only a broken response says so
    return answerError(res, e);
  }
  // Serialized before any header goes out: a cycle, a BigInt or a throwing toJSON fails the
  // invocation as Lambda mode fails it (Runtime.MarshalError), and the connection stays usable.
  let body: string;
  try {
    body = JSON.stringify(result ?? null) ?? "null";
  } catch (err) {
    const e = new MarshalError(`the handler's result cannot be serialized as JSON: ${(err as Error).message}`);
    console.error(e);
    return answerError(res, e, 500);
  }
  res.writeHead(200, { "content-type": "application/json" }).end(body);
}
