// The HTTP event adapters one by one: which adapter takes which event, and the edge cases of
// mapping requests in and results out that the fixture matrix does not isolate.

import { describe, expect, it } from "vitest";
import { adapters, pickAdapter } from "../../../../../src/runtime/lambda/http/adapters.js";
import { alb } from "../../../../../src/runtime/lambda/http/alb.js";
import { apigwV1 } from "../../../../../src/runtime/lambda/http/apigw-v1.js";
import { apigwV2 } from "../../../../../src/runtime/lambda/http/apigw-v2.js";
import { latticeV2 } from "../../../../../src/runtime/lambda/http/lattice-v2.js";
import { encodeBody, encodePath, requestHeaders, stripBasePath } from "../../../../../src/runtime/lambda/http/shared.js";
import type { AdapterOptions, HttpResponse } from "../../../../../src/runtime/lambda/http/types.js";
import { httpEvent, template } from "../../../../fixtures/events/index.js";

const quiet: AdapterOptions = { warn: () => {} };
const response = (headers: [string, string][], body: Buffer | string = "x"): HttpResponse => ({ statusCode: 200, headers, body: Buffer.from(body) });

describe("picking an adapter", () => {
  it.each([
    ["apigw-v1", "apigw-v1"],
    ["apigw-v2", "apigw-v2"],
    ["function-url", "apigw-v2"],
    ["alb", "alb"],
    ["alb-multi-value", "alb"],
    ["lattice-v2", "lattice-v2"],
  ] as const)("takes a %s event with the %s adapter", (kind, adapter) => {
    expect(pickAdapter(httpEvent(kind, { path: "/" }))?.name).toBe(adapter);
  });

  it("takes no adapter for a non-HTTP event", () => {
    expect(pickAdapter(template("sqs"))).toBeUndefined();
    expect(pickAdapter("a string event")).toBeUndefined();
    expect(pickAdapter(null)).toBeUndefined();
  });

  it("lists ALB before REST v1 and HTTP API before Lattice, since their events share fields", () => {
    const names = adapters.map((a) => a.name);
    expect(names.indexOf("alb")).toBeLessThan(names.indexOf("apigw-v1"));
    expect(names.indexOf("apigw-v2")).toBeLessThan(names.indexOf("lattice-v2"));
  });
});

describe("bodies", () => {
  it.each([
    ["application/json", false],
    ["text/html; charset=utf-8", false],
    ["application/vnd.api+json", false],
    ["image/svg+xml", false],
    ["application/octet-stream", true],
    ["image/png", true],
  ])("sends %s base64-encoded: %s", (type, base64) => {
    expect(encodeBody(response([["content-type", type]])).isBase64Encoded).toBe(base64);
  });

  it("sends a compressed text body base64-encoded, whatever its type", () => {
    expect(encodeBody(response([["content-type", "application/json"], ["content-encoding", "gzip"]]))).toEqual({ body: Buffer.from("x").toString("base64"), isBase64Encoded: true });
  });

  it("decodes a base64 request body to its bytes", () => {
    const bytes = Buffer.from([0, 255, 10, 13]);
    const req = apigwV2.toRequest(httpEvent("apigw-v2", { method: "POST", path: "/", body: bytes, base64: true }) as never, quiet);
    expect(req.body).toEqual(bytes);
  });
});

describe("paths and queries", () => {
  it.each([
    ["/prod/users", "/users"],
    ["/prod", "/"],
    ["/production/users", "/production/users"],
    ["/users", "/users"],
  ])("with basePath /prod, %s becomes %s", (path, expected) => {
    expect(stripBasePath(path, { ...quiet, basePath: "/prod" })).toBe(expected);
    expect(stripBasePath(path, { ...quiet, basePath: "/prod/" })).toBe(expected);
  });

  it("re-encodes REST v1 query values, which API Gateway decoded", () => {
    const req = apigwV1.toRequest(httpEvent("apigw-v1", { path: "/s", query: [["q", "a b&c"], ["q", "ü"]] }) as never, quiet);
    expect(req.url).toBe("/s?q=a%20b%26c&q=%C3%BC");
  });

  it("passes ALB query values as the client encoded them", () => {
    const event = { ...template("alb"), queryStringParameters: { q: "a%20b" } };
    expect(alb.toRequest(event as never, quiet).url).toBe("/hello?q=a%20b");
  });

  it("falls back to single-value headers when a REST v1 event has no multi-value ones", () => {
    const event = { ...template("apigw-v1"), multiValueHeaders: null, headers: { "X-Only": "1" } };
    expect(apigwV1.toRequest(event as never, quiet).headers).toContainEqual(["X-Only", "1"]);
  });
});

describe("cookies", () => {
  it("joins HTTP API cookies into one Cookie header", () => {
    const req = apigwV2.toRequest(httpEvent("apigw-v2", { path: "/", cookies: ["a=1", "b=2"] }) as never, quiet);
    expect(req.headers.filter(([n]) => n === "cookie")).toEqual([["cookie", "a=1; b=2"]]);
  });

  it("keeps every Set-Cookie on a single-value ALB under distinct spellings, and warns", () => {
    const warnings: string[] = [];
    const result = alb.toResult(response([["set-cookie", "a=1"], ["set-cookie", "b=2"], ["set-cookie", "c=3"]]), template("alb") as never, { warn: (m) => warnings.push(m) }) as { headers: Record<string, string> };
    const cookies = Object.entries(result.headers).filter(([k]) => k.toLowerCase() === "set-cookie");
    expect(cookies.map(([, v]) => v)).toEqual(["a=1", "b=2", "c=3"]);
    expect(new Set(cookies.map(([k]) => k)).size).toBe(3);
    expect(warnings).toHaveLength(1);
  });
});

describe("what real traffic sends", () => {
  it.each([
    ["/a b/é/日本", "/a%20b/%C3%A9/%E6%97%A5%E6%9C%AC"],
    ["/what?/#frag", "/what%3F/%23frag"],
    ["/100%/done", "/100%25/done"],
    ["/already%20encoded/%C3%A9", "/already%20encoded/%C3%A9"],
    ["/keep/-._~!$&'()*+,;=:@", "/keep/-._~!$&'()*+,;=:@"],
  ])("encodes the path %s as %s", (path, encoded) => {
    expect(encodePath(path)).toBe(encoded);
  });

  it("gives header values beyond ASCII as their UTF-8 bytes, one character per byte", () => {
    const [, value] = requestHeaders([["x-name", "Zoë 日本"]]).headers.find(([n]) => n === "x-name")!;
    expect([...value].every((c) => c.charCodeAt(0) <= 0xff)).toBe(true);
    expect(Buffer.from(value, "latin1").toString("utf8")).toBe("Zoë 日本");
  });

  it.each([
    [[["Host", "api.example.com"]], "d.example.com", "api.example.com", undefined],
    [[["host", "<url-id>.lambda-url.us-west-2.on.aws"]], "abc.lambda-url.us-west-2.on.aws", "<url-id>.lambda-url.us-west-2.on.aws", "abc.lambda-url.us-west-2.on.aws"],
    [[], "d.example.com", "d.example.com", undefined],
    [[["host", "<url-id>.lambda-url.us-west-2.on.aws"]], "<url-id>.lambda-url.us-west-2.on.aws", "<url-id>.lambda-url.us-west-2.on.aws", "localhost"],
    [[["host", "lambda.{dns_suffix}"]], undefined, "lambda.{dns_suffix}", "localhost"],
    [[["host", "[::1]:8080"]], undefined, "[::1]:8080", undefined],
  ] as [[string, string][], string | undefined, string, string | undefined][])("from headers %j and domainName %s: Host %s as sent, URL host %s", (headers, domainName, host, urlHost) => {
    const req = requestHeaders(headers, domainName);
    expect(req.headers.filter(([n]) => n.toLowerCase() === "host")).toEqual([["host", host]]);
    expect(req.urlHost).toBe(urlHost);
  });

  it("drops hop-by-hop headers and the names Connection lists, keeping the rest", () => {
    const { headers } = requestHeaders([["Connection", "close, X-Private"], ["Keep-Alive", "timeout=5"], ["TE", "trailers"], ["Transfer-Encoding", "chunked"], ["Upgrade", "websocket"], ["Trailer", "x"], ["Proxy-Connection", "close"], ["x-private", "1"], ["Accept", "*/*"]]);
    expect(headers).toEqual([["host", "localhost"], ["Accept", "*/*"]]);
  });

  it("takes REST headers and query values from both maps, the multi-value map winning for a name in both", () => {
    const event = { ...template("apigw-v1"), path: "/p", headers: { "X-Single": "s", Accept: "text/html" }, multiValueHeaders: { accept: ["a/1", "a/2"] }, queryStringParameters: { q: "2", only: "x" }, multiValueQueryStringParameters: { q: ["1", "2"], Only: ["y"] } };
    const req = apigwV1.toRequest(event as never, quiet);
    expect(req.headers.filter(([n]) => n.toLowerCase() !== "host")).toEqual([["accept", "a/1"], ["accept", "a/2"], ["X-Single", "s"]]);
    // Query keys are case-sensitive: Only and only are two parameters.
    expect(req.url).toBe("/p?q=1&q=2&Only=y&only=x");
  });

  it("takes a VPC Lattice 1.0 event with its own adapter and answers in Lattice's format", () => {
    const event = { raw_path: "/a b", method: "PUT", headers: { host: "svc.vpc-lattice-svcs.us-east-1.on.aws", "x-forwarded-for": "10.0.0.9, 10.0.0.1" }, query_string_parameters: { k: "v w" }, body: "aGk=", is_base64_encoded: true };
    const adapter = pickAdapter(event)!;
    expect(adapter.name).toBe("lattice-v1");
    const req = adapter.toRequest(event, quiet);
    expect(req).toMatchObject({ method: "PUT", url: "/a%20b?k=v%20w", sourceIp: "10.0.0.9" });
    expect(req.body?.toString()).toBe("hi");
    expect(adapter.toResult(response([["content-type", "text/plain"], ["set-cookie", "a=1"]], "ok"), event, quiet)).toEqual({ statusCode: 200, statusDescription: "200 OK", headers: { "content-type": "text/plain", "set-cookie": "a=1" }, body: "ok", isBase64Encoded: false });
  });

  it("takes no adapter for an API Gateway WebSocket event, even with httpMethod and path", () => {
    const rest = template("apigw-v1") as Record<string, any>;
    for (const eventType of ["CONNECT", "MESSAGE", "DISCONNECT"]) expect(pickAdapter({ ...rest, requestContext: { ...rest.requestContext, eventType, connectionId: "abc=" } })).toBeUndefined();
    expect(pickAdapter(rest)?.name).toBe("apigw-v1");
  });

  it("reads VPC Lattice string values whole, like arrays", () => {
    const event = { ...template("lattice-v2"), headers: { "user-agent": "curl/8.5.0", accept: ["*/*"] }, queryStringParameters: { a: "1 2", b: ["3"] } };
    const req = latticeV2.toRequest(event as never, quiet);
    expect(req.headers).toContainEqual(["user-agent", "curl/8.5.0"]);
    expect(req.headers).toContainEqual(["accept", "*/*"]);
    expect(req.url).toBe("/hello?a=1%202&b=3");
  });

  it.each(["authorizer-rest-token", "authorizer-rest-request", "authorizer-http-v2"])("takes no adapter for the %s event: it goes to the handler", (name) => {
    expect(pickAdapter(template(name))).toBeUndefined();
  });
});
