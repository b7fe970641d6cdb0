// Response streaming: the writable stream a streaming handler writes to ("Writing response
// streaming-enabled Lambda functions",
// https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html), so handlers
// written for the managed runtime run unchanged (its `awslambda` global: ./global.ts). Each
// write goes out as its own chunk, nothing is held back.

import { Writable } from "node:stream";
import { headers, type ErrorBody, type RuntimeClient } from "./client.js";
import { streamingMarker } from "./global.js";

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

export { httpResponseStreamFrom } from "./global.js";
