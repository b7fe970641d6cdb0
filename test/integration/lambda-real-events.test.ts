// HTTP events as real traffic sends them, through a Fetch app and an Express app in Lambda mode:
// decoded rawPaths, non-ASCII header values, placeholder or missing hosts, VPC Lattice string
// headers, API Gateway authorizer requests, ALB's 1 MB response limit, and no request header
// the event never had.

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
    // The placeholder host (and domainName) cannot make a URL: localhost does.
    expect(console!.statusCode).toBe(200);
    expect(console!.body.url).toBe(`https://localhost${encodedPath}?q=caf%C3%A9`);
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
    expect(console!.body.hostname).toBe("localhost");
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
