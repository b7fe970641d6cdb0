// Response streaming: the writable stream a streaming handler writes to, and the `awslambda`
// global of the managed Node.js runtime ("Writing response streaming-enabled Lambda functions",
// https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html), so handlers
// written for it run unchanged. Each write goes out as its own chunk, nothing is held back.

import { Writable } from "node:stream";
import { headers, type ErrorBody, type RuntimeClient } from "./client.js";

export const httpIntegrationContentType = "application/vnd.awslambda.http-integration-response";
const streamingMarker = Symbol.for("aws.lambda.runtime.handler.streaming");

export class ResponseStream extends Writable {
  private contentType = "application/octet-stream";
  private open?: ReturnType<RuntimeClient["stream"]>;

  constructor(
    private readonly client: RuntimeClient,
    private readonly requestId: string,
  ) {
    super();
  }

  /** Before the first write only: it becomes the Content-Type of the streamed response. */
  setContentType(contentType: string): void {
    if (this.open) throw new Error("setContentType() must be called before the first write");
    this.contentType = contentType;
  }

  get started(): boolean {
    return this.open !== undefined;
  }

  private request() {
    return (this.open ??= this.client.stream(this.requestId, this.contentType));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.request().request.write(chunk, done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.request().request.end();
    done();
  }

  /** The Runtime API's status for this response, once the stream ended. */
  answered(): Promise<number> {
    return this.request().answered;
  }

  /** After the first byte an error can only travel as trailers (runtimes-custom.html, streaming). */
  async fail(error: ErrorBody): Promise<number> {
    // Chunks written before the failure go out first, then the trailers.
    while (this.writableLength > 0) await new Promise((resolve) => setImmediate(resolve));
    const { request, answered } = this.request();
    request.end({ [headers.errorType]: error.errorType, [headers.errorBody]: Buffer.from(JSON.stringify(error)).toString("base64") });
    this.destroy();
    return answered;
  }
}

export type StreamingHandler = (event: unknown, stream: ResponseStream, context: unknown) => unknown;

export function isStreamingHandler(handler: unknown): handler is StreamingHandler {
  return typeof handler === "function" && (handler as unknown as Record<symbol, unknown>)[streamingMarker] === "response";
}

/** HttpResponseStream.from(): the JSON prelude and its 8 NUL delimiter go first. */
function fromStream(stream: ResponseStream, prelude: unknown): ResponseStream {
  stream.setContentType(httpIntegrationContentType);
  stream.write(JSON.stringify(prelude));
  stream.write(new Uint8Array(8));
  return stream;
}

export function installAwslambdaGlobal(): void {
  (globalThis as Record<string, unknown>).awslambda = {
    streamifyResponse<T extends (...args: never[]) => unknown>(handler: T): T {
      (handler as unknown as Record<symbol, unknown>)[streamingMarker] = "response";
      return handler;
    },
    HttpResponseStream: { from: fromStream },
  };
}

export { fromStream as httpResponseStreamFrom };
