// Server mode's invocation endpoint (a plain `handler`, no AWS_LAMBDA_RUNTIME_API) in a real
// bundle: a result JSON cannot hold fails that invocation with a 500 naming
// Runtime.MarshalError, as Lambda mode fails it, and the same keep-alive connection serves the
// next request. Before, the headers were already out and the connection was reset.

import http from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleEntry } from "../fixtures/lambda-apps/bundle.js";
import { fixturesDir } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { startService, type Service } from "../helpers/process.js";

const path = "/2015-03-31/functions/function/invocations";
let svc: Service;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  const bundle = await bundleEntry(join(fixturesDir, "lambda-apps", "handler.ts"));
  svc = await startService(process.execPath, [bundle]);
}, 120_000);

afterAll(async () => {
  agent.destroy();
  await svc?.stop();
});

const invoke = (event: unknown) => httpRequest(`${svc.url}${path}`, { method: "POST", body: JSON.stringify(event), agent });

describe("server mode: a handler result that cannot be serialized", () => {
  it.each([
    ["a circular object", "cycle", /circular/i],
    ["a BigInt", "bigint", /BigInt/],
  ])("answers %s with a 500 Runtime.MarshalError on a connection that stays usable", async (_what, action, reason) => {
    const sockets = new Set<unknown>();
    agent.on("free", (socket) => sockets.add(socket));
    const failed = await invoke({ action });
    expect(failed.status).toBe(500);
    expect(failed.headers["x-amz-function-error"]).toBe("Unhandled");
    const body = JSON.parse(failed.body.toString("utf8"));
    expect(body.errorType).toBe("Runtime.MarshalError");
    expect(body.errorMessage).toMatch(reason);
    const after = await invoke({ action: "echo", n: 3 });
    expect(after.status).toBe(200);
    expect(JSON.parse(after.body.toString("utf8"))).toMatchObject({ event: { action: "echo", n: 3 } });
    expect(sockets.size).toBe(1); // both went over the one kept-alive connection
    expect(svc.output()).toMatch(/Runtime\.MarshalError/);
  });
});
