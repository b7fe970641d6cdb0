// HTTP events as real traffic sends them, through a Fetch app and an Express app in Lambda mode:
// decoded rawPaths, non-ASCII header values, placeholder or missing hosts, VPC Lattice string
// headers and version 1.0 events, REST events whose header maps differ, WebSocket events,
// hop-by-hop headers, API Gateway authorizer requests, ALB's 1 MB response limit, and no
// request header the event never had. Events are written here after the shape of the public
// fixtures (AWS docs, Powertools, SAM), not copied.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { invokeArtifact, type InvokeArtifactResult } from "../../src/invoke/index.js";
import { httpEvent, template } from "../fixtures/events/index.js";
import { bundleEntry } from "../fixtures/lambda-apps/bundle.js";
import { fixturesDir } from "../helpers/cli.js";

const lambdaApps = join(fixturesDir, "lambda-apps");
let fetchApp: string;
let expressApp: string;

beforeAll(async () => {
  [fetchApp, expressApp] = await Promise.all([bundleEntry(join(lambdaApps, "echo-fetch.ts")), bundleEntry(join(lambdaApps, "echo-express.ts"))]);
}, 120_000);

const run = (artifact: string, events: unknown[]): Promise<InvokeArtifactResult> => invokeArtifact({ artifact, events, emulator: { timeoutMs: 20_000 } });

interface Seen {
  statusCode: number;
  body: { url: string; method: string; headers: Record<string, string>; hostname?: string };
}
function seen(r: InvokeArtifactResult["results"][number]): Seen {
  expect(r.status, JSON.stringify(r.error)).toBe("ok");
  const result = JSON.parse(r.payload.toString("utf8"));
  return { statusCode: result.statusCode, body: JSON.parse(result.body) };
}

const encodedPath = "/files/annual%20report/caf%C3%A9/%E6%97%A5%E6%9C%AC";
const utf8 = (latin1: string | undefined) => Buffer.from(latin1 ?? "", "latin1").toString("utf8");

describe("decoded rawPath, non-ASCII headers, unusable hosts", () => {
  it("gives a Fetch app a correct URL and the header's bytes, whatever the event's host", async () => {
    const { results } = await run(fetchApp, [template("function-url-console"), template("apigw-v2-decoded")]);
    const [console, noHost] = results.map(seen);
    // The placeholder host (and domainName) cannot make a URL: localhost does; the Host header stays as sent.
    expect(console!.statusCode).toBe(200);
    expect(console!.body.url).toBe(`https://localhost${encodedPath}?q=caf%C3%A9`);
    expect(console!.body.headers.host).toBe("<url-id>.lambda-url.us-west-2.on.aws");
    expect(new URL(console!.body.url).pathname.split("/").map(decodeURIComponent)).toEqual(["", "files", "annual report", "café", "日本"]);
    expect(utf8(console!.body.headers["x-user-name"])).toBe("Zoë 日本");
    // No Host header: the URL is built from requestContext.domainName.
    expect(noHost!.body.url).toBe(`https://r3pmxmplak.execute-api.us-east-1.amazonaws.com${encodedPath}?q=caf%C3%A9`);
    expect(utf8(noHost!.body.headers["x-user-name"])).toBe("Zoë 日本");
  });

  it("serves Express the same events instead of answering 500, with the headers the event had and no others", async () => {
    const { results } = await run(expressApp, [template("function-url-console"), template("apigw-v2-decoded")]);
    const [console, noHost] = results.map(seen);
    expect(console!.statusCode).toBe(200);
    expect(console!.body.url).toBe(`${encodedPath}?q=caf%C3%A9`);
    // The placeholder Host reaches Express as sent, as it would through a real proxy.
    expect(console!.body.headers.host).toBe("<url-id>.lambda-url.us-west-2.on.aws");
    expect(utf8(console!.body.headers["x-user-name"])).toBe("Zoë 日本");
    expect(noHost!.body.hostname).toBe("r3pmxmplak.execute-api.us-east-1.amazonaws.com");
    for (const s of [console!, noHost!]) expect(s.body.headers).not.toHaveProperty("connection");
  });
});

describe("VPC Lattice 2.0 with string header values", () => {
  it("reads each header and query value whole, as with arrays", async () => {
    const { results } = await run(expressApp, [template("lattice-v2-string-headers"), template("lattice-v2")]);
    const [strings, arrays] = results.map(seen);
    expect(strings!.body.url).toBe("/orders?status=open");
    expect(strings!.body.headers["user-agent"]).toBe("curl/8.5.0");
    expect(strings!.body.hostname).toBe("orders-0a40eebed65f8d69c.7d67968.vpc-lattice-svcs.us-east-1.on.aws");
    expect(arrays!.body.headers["user-agent"]).toBe("curl/8.5.0");
  });
});

describe("API Gateway Lambda authorizer requests", () => {
  const authorizers = ["authorizer-rest-token", "authorizer-rest-request", "authorizer-http-v2"];

  it("go to the handler, not to the app", async () => {
    const { results } = await run(fetchApp, authorizers.map(template));
    const [token, request, v2] = results.map((r) => JSON.parse(r.payload.toString("utf8")));
    expect(token.policyDocument.Statement[0]).toMatchObject({ Effect: "Allow", Resource: template("authorizer-rest-token").methodArn });
    expect(request.policyDocument.Statement[0].Resource).toBe(template("authorizer-rest-request").methodArn);
    expect(v2).toEqual({ isAuthorized: true, context: { via: "handler" } });
  });

  it("fail, naming the kind of authorizer, when the service has no handler", async () => {
    const { results } = await run(expressApp, authorizers.map(template));
    expect(results.map((r) => r.error?.errorType)).toEqual(["Runtime.UnsupportedEvent", "Runtime.UnsupportedEvent", "Runtime.UnsupportedEvent"]);
    expect(results[0]!.error!.errorMessage).toContain("API Gateway Lambda authorizer request (TOKEN, methodArn)");
    expect(results[1]!.error!.errorMessage).toContain("API Gateway Lambda authorizer request (REQUEST, methodArn)");
    expect(results[2]!.error!.errorMessage).toContain("HTTP API Lambda authorizer request (payload 2.0, routeArn)");
  });
});

describe("response size limits per source", () => {
  it("refuses over 1 MB for ALB, which takes no more, and allows it for a function URL", async () => {
    const big = (kind: "alb" | "alb-multi-value" | "function-url", bytes: number) => httpEvent(kind, { path: "/big", query: [["bytes", String(bytes)]] });
    for (const app of [fetchApp, expressApp]) {
      const { results } = await run(app, [big("alb", 1_100_000), big("alb-multi-value", 1_100_000), big("function-url", 1_100_000), big("alb", 1_000_000)]);
      expect(results.map((r) => r.status)).toEqual(["error", "error", "ok", "ok"]);
      expect(results[0]!.error).toMatchObject({ errorType: "Runtime.ResponseSizeTooLarge" });
      expect(results[0]!.error!.errorMessage).toMatch(/ALB accepts at most 1048576 bytes/);
    }
  });
});

// VPC Lattice event structure version 1.0, the target group's default: snake_case keys, no requestContext.
const latticeV1 = {
  raw_path: "/orders/42",
  method: "POST",
  headers: { "user-agent": "curl/8.5.0", "x-forwarded-for": "10.0.12.7", host: "orders-0a40eebed65f8d69c.7d67968.vpc-lattice-svcs.us-east-1.on.aws", accept: "*/*", "content-type": "application/json" },
  query_string_parameters: { expand: "items lines" },
  body: Buffer.from('{"qty":2}').toString("base64"),
  is_base64_encoded: true,
};

describe("VPC Lattice 1.0 events", () => {
  it("reach both apps with path, query, headers and decoded body, and answer in Lattice's response format", async () => {
    for (const app of [fetchApp, expressApp]) {
      const { results } = await run(app, [latticeV1]);
      const result = JSON.parse(results[0]!.payload.toString("utf8"));
      expect(result).toMatchObject({ statusCode: 200, statusDescription: "200 OK", isBase64Encoded: false });
      expect(result.headers["content-type"]).toMatch(/application\/json/);
      const body = JSON.parse(result.body);
      expect(body.method).toBe("POST");
      expect(body.url).toMatch(/\/orders\/42\?expand=items%20lines$/);
      expect(body.headers["user-agent"]).toBe("curl/8.5.0");
    }
  });
});

describe("API Gateway REST events whose headers and multiValueHeaders differ", () => {
  it("give the app every header and query value of either map, the multi-value one winning", async () => {
    const base = template("apigw-v1") as Record<string, any>;
    const event = {
      ...base,
      path: "/hello",
      headers: { ...base.headers, "X-Only-Single": "from headers", "X-Both": "single value" },
      multiValueHeaders: { ...base.multiValueHeaders, "X-Both": ["multi 1", "multi 2"] },
      queryStringParameters: { only: "single", both: "last" },
      multiValueQueryStringParameters: { both: ["first", "last"] },
    };
    for (const app of [fetchApp, expressApp]) {
      const body = JSON.parse(JSON.parse((await run(app, [event])).results[0]!.payload.toString("utf8")).body);
      expect(body.headers["x-only-single"]).toBe("from headers");
      expect(body.headers["x-both"]).toBe("multi 1, multi 2");
      expect(body.url).toMatch(/\/hello\?both=first&both=last&only=single$/);
    }
  });
});

describe("API Gateway WebSocket events", () => {
  it("go to the handler even when they carry httpMethod and path", async () => {
    const base = template("apigw-v1") as Record<string, any>;
    const ws = (eventType: string) => ({ ...base, requestContext: { ...base.requestContext, routeKey: "$" + eventType.toLowerCase(), eventType, connectionId: "L0SM9cOFvHcCIhw=", messageId: "L0SNBcxyvHcCGeA=", domainName: "ws.example.com", stage: "prod" }, body: eventType === "MESSAGE" ? "ping" : undefined });
    const { results } = await run(fetchApp, [ws("CONNECT"), ws("MESSAGE"), ws("DISCONNECT")]);
    expect(results.map((r) => JSON.parse(r.payload.toString("utf8")).body)).toEqual(["handler: CONNECT L0SM9cOFvHcCIhw=", "handler: MESSAGE L0SM9cOFvHcCIhw=", "handler: DISCONNECT L0SM9cOFvHcCIhw="]);
  });
});

describe("hop-by-hop request headers", () => {
  it("reach neither a Fetch app nor an Express app (RFC 9110 section 7.6.1), nor do the names Connection lists", async () => {
    const event = httpEvent("function-url", {
      path: "/",
      headers: [["connection", "keep-alive, X-Hop"], ["keep-alive", "timeout=5"], ["proxy-connection", "keep-alive"], ["te", "trailers"], ["trailer", "x-checksum"], ["upgrade", "h2c"], ["x-hop", "1"], ["x-end-to-end", "kept"]],
    });
    for (const app of [fetchApp, expressApp]) {
      const { headers } = seen((await run(app, [event])).results[0]!).body;
      expect(headers["x-end-to-end"]).toBe("kept");
      for (const name of ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "transfer-encoding", "x-hop"]) expect(headers, name).not.toHaveProperty(name);
    }
  });
});
