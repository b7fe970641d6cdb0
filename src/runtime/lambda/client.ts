// The Runtime API client: "Using the Lambda runtime API for custom runtimes"
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html). One keep-alive socket,
// reused for every call; node:http only.

import http from "node:http";

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
  /** A streamed response: the request is open until end(); resolves with the API's status. */
  stream(id: string, contentType: string): { request: http.ClientRequest; answered: Promise<number> };
}

export function createClient(address: string): RuntimeClient {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[|\]$/g, "");
  const port = Number(address.slice(colon + 1));
  // One socket: the API is answered in order and the process may be frozen between calls.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  const open = (method: string, path: string, extra: http.OutgoingHttpHeaders, onResponse: (res: http.IncomingMessage) => void) =>
    http.request({ host, port, method, path: prefix + path, agent, headers: extra }, onResponse);

  const call = (method: string, path: string, extra: http.OutgoingHttpHeaders = {}, body?: Buffer) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const req = open(method, path, body ? { ...extra, "content-length": body.length } : extra, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });

  const postError = (path: string, body: ErrorBody) =>
    call("POST", path, { "content-type": "application/json", [headers.errorType]: body.errorType }, Buffer.from(JSON.stringify(body))).then((r) => r.status);

  return {
    // runtimes-api.html, "Next invocation": no timeout on this GET.
    async next() {
      const res = await call("GET", "/invocation/next");
      if (res.status !== 200) throw new Error(`Runtime API invocation/next answered ${res.status}: ${res.body.toString("utf8")}`);
      const h = res.headers;
      return {
        id: String(h[headers.requestId]),
        event: res.body,
        deadlineMs: Number(h[headers.deadline]),
        functionArn: String(h[headers.functionArn] ?? ""),
        traceId: h[headers.traceId] as string | undefined,
        clientContext: h[headers.clientContext] as string | undefined,
        cognitoIdentity: h[headers.cognitoIdentity] as string | undefined,
      };
    },
    // runtimes-api.html, "Invocation response".
    async respond(id, body) {
      return (await call("POST", `/invocation/${encodeURIComponent(id)}/response`, { "content-type": "application/json" }, body)).status;
    },
    // runtimes-api.html, "Invocation error".
    error: (id, body) => postError(`/invocation/${encodeURIComponent(id)}/error`, body),
    // runtimes-api.html, "Initialization error".
    initError: (body) => postError("/init/error", body),
    // runtimes-custom.html, "Implementing response streaming in a custom runtime": chunked
    // body, streaming mode header, errors after the first byte as trailers.
    stream(id, contentType) {
      let request!: http.ClientRequest;
      const answered = new Promise<number>((resolve, reject) => {
        request = open(
          "POST",
          `/invocation/${encodeURIComponent(id)}/response`,
          {
            "content-type": contentType,
            [headers.responseMode]: "streaming",
            "transfer-encoding": "chunked",
            trailer: `${headers.errorType}, ${headers.errorBody}`,
          },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        request.on("error", reject);
      });
      return { request, answered };
    },
  };
}
