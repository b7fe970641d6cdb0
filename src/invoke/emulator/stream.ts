// Streamed responses: the HTTP integration prelude and the error trailers, as described in
// "Implementing response streaming in a custom runtime"
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming).

import type { FunctionError } from "./types.js";

const delimiter = Buffer.alloc(8); // eight NUL bytes end the JSON prelude

/** The Content-Type of a streamed response that starts with an HTTP integration prelude. */
export const httpIntegrationContentType = "application/vnd.awslambda.http-integration-response";

/** Splits `<JSON prelude><8 x NUL><body>`; a missing delimiter means the runtime sent no prelude. */
export function splitPrelude(data: Buffer): { prelude?: unknown; body: Buffer } {
  const at = data.indexOf(delimiter);
  if (at < 0) return { body: data };
  try {
    return { prelude: JSON.parse(data.subarray(0, at).toString("utf8")), body: data.subarray(at + delimiter.length) };
  } catch {
    return { body: data };
  }
}

/** Lambda-Runtime-Function-Error-Type / -Error-Body (base64 JSON) trailers, if the stream ended with an error. */
export function streamErrorFromTrailers(trailers: NodeJS.Dict<string>): FunctionError | undefined {
  const type = trailers["lambda-runtime-function-error-type"];
  if (!type) return undefined;
  const encoded = trailers["lambda-runtime-function-error-body"];
  let body: Partial<FunctionError> = {};
  try {
    if (encoded) body = JSON.parse(Buffer.from(encoded, "base64").toString("utf8")) as Partial<FunctionError>;
  } catch {
    body = { errorMessage: "the error trailer's body is not base64 JSON" };
  }
  return {
    errorType: type,
    errorMessage: String(body.errorMessage ?? ""),
    ...(Array.isArray(body.stackTrace) ? { stackTrace: body.stackTrace.map(String) } : {}),
  };
}
