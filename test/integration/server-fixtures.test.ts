// Every HTTP fixture (real Express, Fastify, Hono, a Fetch object, a node:http listener and a
// self-listening module), bundled by the CLI and served by `node bundle.cjs`, answers the same
// route table (test/fixtures/apps/README.md) over real HTTP.

import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appsDir, fixturesDir, runCli, tempDir } from "../helpers/cli.js";
import { httpRequest, nextChunk, openRequest, restOf, waitFor } from "../helpers/http.js";
import { startService, type Service } from "../helpers/process.js";

const outDir = tempDir("binship-fixtures-");
const bytes0to255 = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const expectedCookies = ["session=abc123; Path=/; HttpOnly", "theme=dark; Path=/", "lang=en; Path=/; Max-Age=3600"];

async function bundleAndServe(name: string): Promise<Service> {
  const out = join(outDir, `${name}.cjs`);
  const result = await runCli(["bundle", join(appsDir, name, "index.ts"), "-o", out]);
  expect(result.code, result.stderr).toBe(0);
  return startService(process.execPath, [out]);
}

// `listen` runs its own server, so the runtime's probes and keep-alive settings are not in front of it.
const fixtures = [
  { name: "fetch", runtimeServed: true },
  { name: "hono", runtimeServed: true },
  { name: "express", runtimeServed: true },
  { name: "fastify", runtimeServed: true },
  { name: "listener", runtimeServed: true },
  { name: "listen", runtimeServed: false },
];

describe.each(fixtures)("the $name fixture served from its bundle", ({ name, runtimeServed }) => {
  let svc: Service;
  beforeAll(async () => {
    svc = await bundleAndServe(name);
  });
  afterAll(() => svc?.stop());

  it("answers GET /hello with JSON", async () => {
    const res = await fetch(`${svc.url}/hello?name=binship`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ message: "hello, binship" });
  });

  it("sends every Set-Cookie header of one response separately", async () => {
    const res = await httpRequest(`${svc.url}/cookies`);
    expect(res.status).toBe(200);
    expect(res.headers["set-cookie"]).toEqual(expectedCookies);
    expect(res.body.toString()).toBe("cookies set\n");
  });

  it("returns a binary body byte for byte", async () => {
    const res = await httpRequest(`${svc.url}/binary`);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/octet-stream");
    expect(res.body.equals(bytes0to255)).toBe(true);
  });

  it("streams the response: the first chunk arrives before the app has produced the rest", async () => {
    const gate = `${name}-stream`;
    const { res } = await openRequest(`${svc.url}/stream?gate=${gate}`);
    expect(res.statusCode).toBe(200);
    const events: string[] = [];
    const first = await nextChunk(res);
    events.push(`received ${JSON.stringify(first?.toString())}`);
    expect((await httpRequest(`${svc.url}/stream/release?gate=${gate}`, { method: "POST" })).status).toBe(204);
    events.push("released");
    events.push(`received ${JSON.stringify((await restOf(res)).toString())}`);
    expect(events).toEqual(['received "chunk 1\\n"', "released", 'received "chunk 2\\nchunk 3\\n"']);
    expect(JSON.parse((await httpRequest(`${svc.url}/stream/state?gate=${gate}`)).body.toString())).toEqual({ state: "done" });
  });

  it("tells the app when the client leaves in the middle of a stream", async () => {
    const gate = `${name}-abort`;
    const { req, res } = await openRequest(`${svc.url}/stream?gate=${gate}`, { agent: false });
    expect((await nextChunk(res))?.toString()).toBe("chunk 1\n");
    req.destroy();
    const state = await waitFor("the app to see the abort", async () => {
      const body = JSON.parse((await httpRequest(`${svc.url}/stream/state?gate=${gate}`)).body.toString()) as { state: string };
      return body.state === "streaming" ? undefined : body.state;
    });
    expect(state).toBe("aborted");
  });

  it("echoes method, path, repeated query keys, repeated headers and a binary request body", async () => {
    const body = Buffer.concat([bytes0to255, randomBytes(300_000)]);
    const res = await httpRequest(`${svc.url}/echo?tag=a&tag=b&single=%C3%A9`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", "x-request-tag": "fixture", "x-multi": ["one", "two"] },
      body,
    });
    expect(res.status).toBe(200);
    const echo = JSON.parse(res.body.toString()) as Record<string, unknown> & { headers: Record<string, string> };
    expect(echo).toMatchObject({ method: "POST", path: "/echo", query: { tag: ["a", "b"], single: ["é"] }, bodyBytes: body.length });
    expect(echo.headers["x-request-tag"]).toBe("fixture");
    expect(echo.headers["x-multi"]).toBe("one, two");
    expect(Buffer.from(echo.body as string, "base64").equals(body)).toBe(true);
  });

  it("echoes other methods without a body", async () => {
    const res = await httpRequest(`${svc.url}/echo`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toMatchObject({ method: "DELETE", path: "/echo", bodyBytes: 0 });
  });

  it("answers 500 when a route throws, and goes on serving", async () => {
    expect((await httpRequest(`${svc.url}/error`)).status).toBe(500);
    expect((await httpRequest(`${svc.url}/hello`)).status).toBe(200);
    expect((await httpRequest(`${svc.url}/no/such/route`)).status).toBe(404);
  });

  // Not applicable to `listen`: the module's own server answers there, not the runtime's.
  if (runtimeServed) {
    it("answers the default liveness and readiness probes", async () => {
      expect((await httpRequest(`${svc.url}/healthz`)).status).toBe(200);
      expect((await httpRequest(`${svc.url}/readyz`)).status).toBe(200);
    });

    it("keeps idle connections longer than a load balancer's 60 s idle timeout", async () => {
      const res = await httpRequest(`${svc.url}/hello`, { headers: { connection: "keep-alive" } });
      const timeout = Number(/timeout=(\d+)/.exec(String(res.headers["keep-alive"]))?.[1]);
      expect(timeout).toBeGreaterThan(60);
    });
  }
});

describe("the Fetch bridge of the runtime", () => {
  let svc: Service;
  beforeAll(async () => {
    svc = await bundleAndServe("hono");
  });
  afterAll(() => svc?.stop());

  it("answers HEAD with the GET route's status and headers and no body", async () => {
    const res = await httpRequest(`${svc.url}/hello?name=x`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.body.length).toBe(0);
  });

  it("sends a complete body in one piece with Content-Length, a stream chunked", async () => {
    const json = await httpRequest(`${svc.url}/hello?name=x`);
    expect(json.headers["content-length"]).toBe(String(json.body.length));
    expect(json.headers["transfer-encoding"]).toBeUndefined();
    const streamed = await httpRequest(`${svc.url}/stream`);
    expect(streamed.headers["transfer-encoding"]).toBe("chunked");
    expect(streamed.body.toString()).toBe("chunk 1\nchunk 2\nchunk 3\n");
  });

  it("builds the request URL from the Host header the client sent", async () => {
    const res = await httpRequest(`${svc.url}/echo?x=1`, { headers: { host: "api.example.com:8443" } });
    expect(JSON.parse(res.body.toString())).toMatchObject({ path: "/echo", query: { x: ["1"] }, headers: { host: "api.example.com:8443" } });
  });
});

describe("the handler fixture in server mode", () => {
  let svc: Service;
  const invocations = "/2015-03-31/functions/function/invocations";
  beforeAll(async () => {
    svc = await bundleAndServe("handler");
  });
  afterAll(() => svc?.stop());

  it("is invoked at the Lambda runtime interface emulator's path", async () => {
    const event = { source: "aws.events", detail: { n: 1 } };
    const res = await httpRequest(`${svc.url}${invocations}`, { method: "POST", body: JSON.stringify(event) });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toMatchObject({ received: event, functionName: "function", hasTimeLeft: true });
  });

  it("reports a thrown error the way the emulator does", async () => {
    const res = await httpRequest(`${svc.url}${invocations}`, { method: "POST", body: JSON.stringify({ fail: "on purpose" }) });
    expect(res.status).toBe(200);
    expect(res.headers["x-amz-function-error"]).toBe("Unhandled");
    expect(JSON.parse(res.body.toString())).toMatchObject({ errorType: "HandlerFailure", errorMessage: "failed on request: on purpose" });
  });

  it("rejects an event that is not JSON with 400", async () => {
    const res = await httpRequest(`${svc.url}${invocations}`, { method: "POST", body: "{not json" });
    expect(res.status).toBe(400);
  });

  it("answers other paths with 404 naming the invocation path", async () => {
    const res = await httpRequest(`${svc.url}/hello`);
    expect(res.status).toBe(404);
    expect(res.body.toString()).toContain(invocations);
  });
});

describe("a streamifyResponse() handler in server mode", () => {
  let svc: Service;
  const invocations = "/2015-03-31/functions/function/invocations";
  beforeAll(async () => {
    const out = join(outDir, "streaming-handler.cjs");
    const result = await runCli(["bundle", join(fixturesDir, "lambda-apps", "streaming.ts"), "-o", out]);
    expect(result.code, result.stderr).toBe(0);
    svc = await startService(process.execPath, [out]);
  });
  afterAll(() => svc?.stop());

  it("loads (the awslambda global exists) and streams what the handler writes", async () => {
    const res = await httpRequest(`${svc.url}${invocations}`, { method: "POST", body: "{}" });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/plain");
    expect(res.body.toString()).toBe("chunk 1\nchunk 2\n");
  });

  it("ends an empty stream with an empty body", async () => {
    const res = await httpRequest(`${svc.url}${invocations}`, { method: "POST", body: JSON.stringify({ empty: true }) });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(0);
  });
});
