// The `awslambda` global of the managed Node.js runtime ("Writing response streaming-enabled
// Lambda functions", https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html),
// installed before the user's module loads in both modes. Apart from streaming.ts so that server
// mode, where no response stream is ever made, does not evaluate the stream class and the
// Runtime API client behind it.

export const httpIntegrationContentType = "application/vnd.awslambda.http-integration-response";
export const streamingMarker = Symbol.for("aws.lambda.runtime.handler.streaming");

/** What HttpResponseStream.from() needs of streaming.ts's ResponseStream (named so, not imported: no cycle). */
interface PreludeStream {
  setContentType(contentType: string): void;
  write(chunk: string | Uint8Array): unknown;
}

/** HttpResponseStream.from(): the JSON prelude and its 8 NUL delimiter go first. */
export function httpResponseStreamFrom<S extends PreludeStream>(stream: S, prelude: unknown): S {
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
    HttpResponseStream: { from: httpResponseStreamFrom },
  };
}
