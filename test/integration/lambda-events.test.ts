// Every HTTP event source through every fixture app, in Lambda mode against the emulator:
// method, path, query (repeated keys, encoding), headers, cookies both ways, binary bodies
// both ways, base64 flags, error answers, and stage stripping.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { invokeArtifact } from "../../src/invoke/index.js";
import { eventKinds, header, httpEvent, readResult, type EventKind, type HttpCall, type SeenResponse } from "../fixtures/events/index.js";
import { bundleEntry } from "../fixtures/lambda-apps/bundle.js";
import { appsDir } from "../helpers/cli.js";

const apps = ["hono", "fetch", "express", "fastify", "listener", "listen"] as const;
const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const fixtureCookies = ["session=abc123; Path=/; HttpOnly", "theme=dark; Path=/", "lang=en; Path=/; Max-Age=3600"];

const calls = {
  hello: { path: "/hello", query: [["name", "x"]] },
  echo: {
    method: "POST",
    path: "/echo",
    query: [["a", "1"], ["a", "2"], ["q", "x y&z=é"]],
    headers: [["x-fixture", "one"], ["content-type", "application/octet-stream"]],
    cookies: ["c1=v1", "c2=v2"],
    body: binary,
    base64: true,
  },
  text: { method: "PUT", path: "/echo", headers: [["content-type", "text/plain; charset=utf-8"]], body: Buffer.from("héllo wörld\n") },
  cookies: { path: "/cookies" },
  binary: { path: "/binary" },
  error: { path: "/error" },
  missing: { path: "/no-such-route" },
} satisfies Record<string, HttpCall>;
type CallName = keyof typeof calls;

const plan = eventKinds.flatMap((kind) => (Object.keys(calls) as CallName[]).map((name) => ({ kind, name })));

function echoOf(seen: SeenResponse) {
  return JSON.parse(seen.body.toString("utf8")) as { method: string; path: string; query: Record<string, string[]>; headers: Record<string, string>; body: string };
}

describe.each(apps)("Lambda events through the %s fixture", (app) => {
  const seen = new Map<string, SeenResponse>();
  let logs = "";

  beforeAll(async () => {
    const bundle = await bundleEntry(join(appsDir, app, "index.ts"));
    const run = await invokeArtifact({
      artifact: bundle,
      events: plan.map(({ kind, name }) => httpEvent(kind, calls[name])),
      emulator: { timeoutMs: 20_000 },
      output: (c) => (logs += c),
    });
    expect(run.init.status, logs).toBe("ready");
    expect(run.results.map((r) => r.status)).toEqual(plan.map(() => "ok"));
    run.results.forEach((r, i) => seen.set(`${plan[i]!.kind} ${plan[i]!.name}`, readResult(plan[i]!.kind, r.payload)));
  });

  const get = (kind: EventKind, name: CallName) => seen.get(`${kind} ${name}`)!;

  describe.each(eventKinds)("%s", (kind) => {
    it("routes method, path and query and answers JSON as text", () => {
      const r = get(kind, "hello");
      expect(r.status).toBe(200);
      expect(header(r, "content-type")).toMatch(/^application\/json/);
      expect(r.result.isBase64Encoded).toBe(false);
      expect(JSON.parse(r.body.toString())).toEqual({ message: "hello, x" });
    });

    it("passes repeated query keys, encoded values, headers, cookies and a base64 binary body to the app", () => {
      const e = echoOf(get(kind, "echo"));
      expect(e.method).toBe("POST");
      expect(e.path).toBe("/echo");
      // ALB without multi-value headers sends only the last value of a repeated key (ALB docs).
      expect(e.query).toEqual({ a: kind === "alb" ? ["2"] : ["1", "2"], q: ["x y&z=é"] });
      expect(e.headers["x-fixture"]).toBe("one");
      expect(e.headers.cookie).toBe("c1=v1; c2=v2");
      expect(Buffer.from(e.body, "base64").equals(binary)).toBe(true);
    });

    it("passes a text body through unchanged", () => {
      const e = echoOf(get(kind, "text"));
      expect(e.method).toBe("PUT");
      expect(Buffer.from(e.body, "base64").toString("utf8")).toBe("héllo wörld\n");
    });

    it("returns every Set-Cookie header to the client", () => {
      const r = get(kind, "cookies");
      expect(r.status).toBe(200);
      expect(r.cookies).toEqual(fixtureCookies);
      expect(r.body.toString()).toBe("cookies set\n");
    });

    it("returns a binary body base64-encoded, byte for byte", () => {
      const r = get(kind, "binary");
      expect(r.status).toBe(200);
      expect(r.result.isBase64Encoded).toBe(true);
      expect(r.body.equals(binary)).toBe(true);
    });

    it("turns an exception in the app into a 500 response, not a failed invocation", () => {
      expect(get(kind, "error").status).toBe(500);
    });

    it("answers 404 for an unknown route", () => {
      expect(get(kind, "missing").status).toBe(404);
    });
  });

  it("answers in each source's own result shape", () => {
    expect(get("apigw-v1", "cookies").result.multiValueHeaders["set-cookie"]).toEqual(fixtureCookies);
    expect(get("function-url", "cookies").result.cookies).toEqual(fixtureCookies);
    expect(get("alb-multi-value", "cookies").result.multiValueHeaders["set-cookie"]).toEqual(fixtureCookies);
    expect(get("alb", "hello").result.statusDescription).toBe("200 OK");
    expect(get("lattice-v2", "missing").result.statusDescription).toBe("404 Not Found");
    // ALB without multi-value headers: three distinct spellings of the header name, none lost.
    const albKeys = Object.keys(get("alb", "cookies").result.headers).filter((k) => k.toLowerCase() === "set-cookie");
    expect(new Set(albKeys).size).toBe(3);
    expect(logs).toContain("enable multi-value headers on the ALB target group");
  });
});

describe("stage and base path stripping", () => {
  let results: SeenResponse[] = [];
  const events: [EventKind, string][] = [
    ["apigw-v1", "/prod/echo"],
    ["apigw-v2", "/prod/echo"],
    ["apigw-v1", "/prod"],
    ["apigw-v1", "/production/echo"],
  ];

  beforeAll(async () => {
    const bundle = await bundleEntry(join(appsDir, "hono", "index.ts"), { basePath: "/prod" });
    const run = await invokeArtifact({ artifact: bundle, events: events.map(([kind, path]) => httpEvent(kind, { path })), emulator: { timeoutMs: 20_000 } });
    results = run.results.map((r, i) => readResult(events[i]![0], r.payload));
  });

  it("strips the configured base path from REST and HTTP API paths", () => {
    expect(echoOf(results[0]!).path).toBe("/echo");
    expect(echoOf(results[1]!).path).toBe("/echo");
  });

  it("leaves paths that only share a prefix alone", () => {
    expect(results[2]!.status).toBe(404); // "/prod" itself becomes "/", which the fixture does not route
    expect(results[3]!.status).toBe(404); // "/production/echo" is not under "/prod"
  });
});
