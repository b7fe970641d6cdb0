// Response streaming (runtimes-custom.html, "Implementing response streaming in a custom
// runtime"): handlers written for the managed runtime's awslambda.streamifyResponse, and HTTP
// apps behind a function URL in RESPONSE_STREAM mode. A gate file proves chunks leave before
// the handler finishes: the test opens it only after it has received the first chunk, and the
// function would otherwise wait 10 s and say so in its second chunk.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { invokeArtifact, type InvokeArtifactResult } from "../../src/invoke/index.js";
import { httpEvent } from "../fixtures/events/index.js";
import { bundleEntry } from "../fixtures/lambda-apps/bundle.js";
import { appsDir, fixturesDir, tempDir } from "../helpers/cli.js";

// Lambda's default 3 s timeout is tight on a loaded CI machine; tests that are not about
// deadlines get more room (a later `emulator` key still wins).
const roomy = { emulator: { timeoutMs: 20_000 } };

const lambdaApps = join(fixturesDir, "lambda-apps");
const prelude = (p: unknown) => Buffer.concat([Buffer.from(JSON.stringify(p)), Buffer.alloc(8)]);

/** Invokes `event` and opens the gate once the first body chunk arrived; returns what happened in order. */
async function gated(bundle: string, event: (gate: string) => unknown) {
  const gate = join(tempDir(), "open");
  const order: string[] = [];
  let received = Buffer.alloc(0);
  const run = await invokeArtifact({
    ...roomy,
    artifact: bundle,
    events: [event(gate)],
    invoke: {
      onChunk: (chunk) => {
        received = Buffer.concat([received, chunk]);
        order.push(`chunk ${JSON.stringify(chunk.toString("latin1"))}`);
        if (received.includes("chunk 1\n") && !order.includes("gate opened")) {
          writeFileSync(gate, "");
          order.push("gate opened");
        }
      },
    },
  });
  return { run, result: run.results[0]!, order, raw: received };
}

describe("streamifyResponse handlers", () => {
  let bundle: string;
  beforeAll(async () => {
    bundle = await bundleEntry(join(lambdaApps, "streaming.ts"));
  });

  it("sends the HTTP prelude byte-exact, then each chunk before the handler has finished", async () => {
    const { result, order, raw } = await gated(bundle, (gate) => ({ http: true, gate }));
    const head = { statusCode: 201, headers: { "content-type": "text/plain", "x-kind": "stream" }, cookies: ["a=1", "b=2"] };
    expect(result.status).toBe("ok");
    expect(result.streamed).toBe(true);
    expect(result.contentType).toBe("application/vnd.awslambda.http-integration-response");
    expect(raw.equals(Buffer.concat([prelude(head), Buffer.from("chunk 1\nchunk 2\n")]))).toBe(true);
    expect(result.prelude).toEqual(head);
    expect(result.payload.toString()).toBe("chunk 1\nchunk 2\n");
    // The gate opened after chunk 1 arrived and before chunk 2 was written.
    expect(order.indexOf("gate opened")).toBeLessThan(order.findIndex((o) => o.includes("chunk 2")));
  });

  it("streams a plain body with the content type the handler set", async () => {
    const { result } = await gated(bundle, (gate) => ({ gate }));
    expect(result.contentType).toBe("text/plain");
    expect(result.prelude).toBeUndefined();
    expect(result.payload.toString()).toBe("chunk 1\nchunk 2\n");
  });

  it("reports an error after the first byte as Lambda-Runtime-Function-Error-* trailers", async () => {
    const run = await invokeArtifact({ ...roomy, artifact: bundle, events: [{ http: true, fail: true }, { empty: true }] });
    expect(run.results[0]).toMatchObject({ status: "error", streamed: true, error: { errorType: "Error", errorMessage: "failed after the first chunk" } });
    expect(run.results[0]!.payload.toString()).toBe("chunk 1\n");
    expect(run.results[1]!.status).toBe("ok"); // the loop goes on
  });

  it("ends an empty body correctly: prelude only, then the end of the stream", async () => {
    const run = await invokeArtifact({ ...roomy, artifact: bundle, events: [{ http: true, empty: true }] });
    const r = run.results[0]!;
    expect(r.status).toBe("ok");
    expect(r.prelude).toMatchObject({ statusCode: 201 });
    expect(r.payload.length).toBe(0);
    expect(Buffer.concat(r.chunks).equals(prelude(r.prelude))).toBe(true);
  });
});

describe('HTTP apps with invokeMode "RESPONSE_STREAM"', () => {
  let bundle: string;
  beforeAll(async () => {
    bundle = await bundleEntry(join(lambdaApps, "stream-app.ts"), { invokeMode: "RESPONSE_STREAM" });
  });

  it("streams a function URL response: status, headers and cookies in the prelude, chunks as they come", async () => {
    const { result, order } = await gated(bundle, (gate) => httpEvent("function-url", { path: "/gated", query: [["file", gate]] }));
    expect(result.status).toBe("ok");
    expect(result.prelude).toEqual({ statusCode: 200, headers: { "content-type": "text/plain" }, cookies: ["s=1; Path=/", "t=2; Path=/"] });
    expect(result.payload.toString()).toBe("chunk 1\nchunk 2\n");
    expect(order.indexOf("gate opened")).toBeLessThan(order.findIndex((o) => o.includes("chunk 2")));
  });

  it("ends a body that breaks midway with error trailers, and an empty body cleanly", async () => {
    const run = await invokeArtifact({
      ...roomy,
      artifact: bundle,
      events: [httpEvent("function-url", { path: "/broken" }), httpEvent("function-url", { path: "/empty" })],
    });
    expect(run.results[0]).toMatchObject({ status: "error", error: { errorMessage: "the body broke" } });
    expect(run.results[0]!.payload.toString()).toBe("chunk 1\n");
    expect(run.results[1]).toMatchObject({ status: "ok", prelude: { statusCode: 204, headers: { "x-empty": "yes" }, cookies: [] } });
    expect(run.results[1]!.payload.length).toBe(0);
  });

  it("still answers other event sources buffered", async () => {
    const run = await invokeArtifact({ ...roomy, artifact: bundle, events: [httpEvent("alb-multi-value", { path: "/empty" })] });
    expect(run.results[0]!.streamed).toBe(false);
    expect(JSON.parse(run.results[0]!.payload.toString())).toMatchObject({ statusCode: 204 });
  });

  describe.each(["hono", "express", "fastify"])("the shared %s fixture", (app) => {
    let run: InvokeArtifactResult;
    beforeAll(async () => {
      const b = await bundleEntry(join(appsDir, app, "index.ts"), { invokeMode: "RESPONSE_STREAM" });
      run = await invokeArtifact({ ...roomy, artifact: b, events: [httpEvent("function-url", { path: "/stream" }), httpEvent("function-url", { path: "/cookies" }), httpEvent("function-url", { path: "/binary" })] });
    });

    it("streams /stream as separate chunks with the status in the prelude", () => {
      const r = run.results[0]!;
      expect(r).toMatchObject({ status: "ok", streamed: true, prelude: { statusCode: 200 } });
      expect(r.payload.toString()).toBe("chunk 1\nchunk 2\nchunk 3\n");
      expect(r.chunks.length).toBeGreaterThanOrEqual(3);
    });

    it("puts every cookie in the prelude and binary bytes in the body unchanged", () => {
      expect((run.results[1]!.prelude as { cookies: string[] }).cookies).toHaveLength(3);
      expect(run.results[2]!.payload.equals(Buffer.from(Array.from({ length: 256 }, (_, i) => i)))).toBe(true);
    });
  });
});
