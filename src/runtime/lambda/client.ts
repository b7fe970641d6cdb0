// The Runtime API client: "Using the Lambda runtime API for custom runtimes"
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html). One keep-alive
// connection (connection.ts), reused for every call.

import { createConnection, type ChunkedRequest } from "./connection.js";

const prefix = "/2018-06-01/runtime";

/** Header names from runtimes-api.html ("Next invocation", "Invocation error"). */
export const headers = {
  requestId: "lambda-runtime-aws-request-id",
  deadline: "lambda-runtime-deadline-ms",
  functionArn: "lambda-runtime-invoked-function-arn",
  traceId: "lambda-runtime-trace-id",
  clientContext: "lambda-runtime-client-context",
  cognitoIdentity: "lambda-runtime-cognito-identity",
  errorType: "Lambda-Runtime-Function-Error-Type",
  errorBody: "Lambda-Runtime-Function-Error-Body",
  responseMode: "Lambda-Runtime-Function-Response-Mode",
} as const;

export interface Invocation {
  id: string; // Lambda-Runtime-Aws-Request-Id
  event: Buffer; // the body: the event as JSON
  deadlineMs: number; // Lambda-Runtime-Deadline-Ms, Unix ms
  functionArn: string;
  traceId?: string;
  clientContext?: string;
  cognitoIdentity?: string;
}

/** The error document of runtimes-api.html ("Invocation error", "Initialization error"). */
export interface ErrorBody {
  errorType: string;
  errorMessage: string;
  stackTrace: string[];
}

export interface RuntimeClient {
  next(): Promise<Invocation>;
  respond(id: string, body: Buffer): Promise<number>;
  error(id: string, body: ErrorBody): Promise<number>;
  initError(body: ErrorBody): Promise<number>;
  /** A streamed response: chunks go out as written; end() closes it; `answered` is the API's status. */
  stream(id: string, contentType: string): { request: ChunkedRequest; answered: Promise<number> };
}

export function createClient(address: string): RuntimeClient {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[|\]$/g, "");
  const connection = createConnection(host, Number(address.slice(colon + 1)));
  const json = { "content-type": "application/json" };

  const postError = async (path: string, body: ErrorBody) =>
    (await connection.request("POST", prefix + path, { ...json, [headers.errorType]: body.errorType }, Buffer.from(JSON.stringify(body)))).status;

  return {
    // runtimes-api.html, "Next invocation": no timeout on this GET.
    async next() {
      const res = await connection.request("GET", `${prefix}/invocation/next`);
      if (res.status !== 200) throw new Error(`Runtime API invocation/next answered ${res.status}: ${res.body.toString("utf8")}`);
      const h = res.headers;
      return {
        id: h[headers.requestId]!,
        event: res.body,
        deadlineMs: Number(h[headers.deadline]),
        functionArn: h[headers.functionArn] ?? "",
        traceId: h[headers.traceId],
        clientContext: h[headers.clientContext],
        cognitoIdentity: h[headers.cognitoIdentity],
      };
    },
    // runtimes-api.html, "Invocation response".
    async respond(id, body) {
      return (await connection.request("POST", `${prefix}/invocation/${encodeURIComponent(id)}/response`, json, body)).status;
    },
    // runtimes-api.html, "Invocation error".
    error: (id, body) => postError(`/invocation/${encodeURIComponent(id)}/error`, body),
    // runtimes-api.html, "Initialization error".
    initError: (body) => postError("/init/error", body),
    // runtimes-custom.html, "Implementing response streaming in a custom runtime": chunked
    // body, streaming mode header, errors after the first byte as trailers.
    stream(id, contentType) {
      const request = connection.chunked("POST", `${prefix}/invocation/${encodeURIComponent(id)}/response`, {
        "content-type": contentType,
        [headers.responseMode]: "streaming",
        trailer: `${headers.errorType}, ${headers.errorBody}`,
      });
      return { request, answered: request.answered.then((a) => a.status) };
    },
  };
}
