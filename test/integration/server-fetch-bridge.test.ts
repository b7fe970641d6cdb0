// What a Fetch-style app gets from the runtime beyond the route table: the Node bindings
// @hono/node-server also passes, and a clear 500 when fetch() returns something else.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../helpers/cli.js";
import http from "node:http";
import { httpRequest, restOf } from "../helpers/http.js";
import { startService, type Service } from "../helpers/process.js";

const source = `
import type { IncomingMessage, ServerResponse } from "node:http";
type Bindings = { incoming: IncomingMessage; outgoing: ServerResponse };
export default {
  async fetch(request: Request, env: Bindings): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/remote") return Response.json({ remote: env.incoming.socket.remoteAddress, method: env.incoming.method });
    if (path === "/first-chunk") {
      // Answers from the first chunk of the upload, without waiting for the rest of it.
      const reader = request.body!.getReader();
      const first = await reader.read();
      reader.releaseLock();
      return new Response(new TextDecoder().decode(first.value));
    }
    if (path === "/not-a-response") return { ok: true } as unknown as Response;
    if (path === "/lookalike") {
      // Shaped like a Response but not one of the global class (a polyfill, another realm).
      const real = new Response("from a lookalike", { status: 202, headers: { "x-kind": "lookalike" } });
      return { status: real.status, statusText: "", headers: real.headers, body: real.body } as unknown as Response;
    }
    return new Response("ok");
  },
};
`;

describe("the Fetch bridge", () => {
  let svc: Service;
  beforeAll(async () => {
    const dir = tempDir("binship-bridge-");
    writeFileSync(join(dir, "index.ts"), source);
    expect((await runCli(["bundle", "index.ts", "-o", "out.cjs"], { cwd: dir })).code).toBe(0);
    svc = await startService(process.execPath, [join(dir, "out.cjs")]);
  });
  afterAll(() => svc?.stop());

  it("passes the Node request and response as the second argument, like @hono/node-server", async () => {
    const res = await httpRequest(`${svc.url}/remote`);
    expect(JSON.parse(res.body.toString())).toEqual({ remote: "127.0.0.1", method: "GET" });
  });

  it("streams the request body: the app reads the first chunk while the client still sends", async () => {
    const req = http.request(`${svc.url}/first-chunk`, { method: "POST", agent: false, headers: { "content-type": "text/plain", "transfer-encoding": "chunked" } });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => req.once("response", resolve).once("error", reject));
    req.write("first part of a long upload");
    const events: string[] = [];
    const res = await response;
    events.push(`response ${res.statusCode} before the upload ended`);
    req.end("the rest");
    events.push(`body ${(await restOf(res)).toString()}`);
    expect(events).toEqual(["response 200 before the upload ended", "body first part of a long upload"]);
  });

  it("answers 500 and says why when fetch() returns something that is not a Response", async () => {
    const res = await httpRequest(`${svc.url}/not-a-response`);
    expect(res.status).toBe(500);
    expect(svc.output()).toContain("fetch() returned an object (ok), not a Response");
  });

  it("accepts a Response-shaped object from another implementation", async () => {
    const res = await httpRequest(`${svc.url}/lookalike`);
    expect(res.status).toBe(202);
    expect(res.headers["x-kind"]).toBe("lookalike");
    expect(res.body.toString()).toBe("from a lookalike");
  });
});
