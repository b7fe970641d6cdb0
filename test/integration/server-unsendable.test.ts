// Server mode (no AWS_LAMBDA_RUNTIME_API) in real bundles, given something it cannot send: a
// plain `handler`'s result JSON cannot hold fails that invocation with a 500 naming
// Runtime.MarshalError, as Lambda mode fails it, and the same keep-alive connection serves the
// next request; a Fetch app's body stream yielding something that is not bytes is a 500 too.
// Before, both reset the connection (the headers were already set), the second without a word.

import { writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleEntry } from "../fixtures/lambda-apps/bundle.js";
import { fixturesDir, runCli, tempDir } from "../helpers/cli.js";
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

describe("server mode: a Fetch app whose body stream yields something that is not bytes", () => {
  it("answers 500 and logs why, instead of resetting the connection", async () => {
    const dir = tempDir("binship-unsendable-");
    writeFileSync(
      join(dir, "index.ts"),
      [
        "export default {",
        "  fetch(req: Request) {",
        '    const kind = new URL(req.url).pathname.slice(1);',
        '    const chunk: any = kind === "number" ? 42 : kind === "object" ? { total: 3 } : new TextEncoder().encode("fine");',
        "    return new Response(new ReadableStream({ start(c) { c.enqueue(chunk); c.close(); } }));",
        "  },",
        "};",
        "",
      ].join("\n"),
    );
    const bundled = await runCli(["bundle", "index.ts", "-o", "app.cjs"], { cwd: dir });
    expect(bundled.code, bundled.stderr).toBe(0);
    const app = await startService(process.execPath, [join(dir, "app.cjs")]);
    try {
      for (const kind of ["number", "object"]) {
        const r = await httpRequest(`${app.url}/${kind}`);
        expect(r.status).toBe(500);
      }
      expect((await httpRequest(`${app.url}/bytes`)).body.toString()).toBe("fine");
      expect(app.output()).toMatch(/body stream gave a chunk of type number; a Response body stream must yield Uint8Array chunks/);
    } finally {
      await app.stop();
    }
  }, 120_000);
});
