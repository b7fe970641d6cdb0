// The Fetch objects a Fetch app gets and makes in Lambda mode behave as the standard says, for
// every HTTP event source and for Hono, itty-router and a hand-written app
// (test/fixtures/fetch-apps), against the emulator. The first invocation of each is served
// without Node's undici being loaded.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { invokeArtifact } from "../../src/invoke/index.js";
import { eventKinds, header, httpEvent, readResult, type EventKind, type HttpCall, type SeenResponse } from "../fixtures/events/index.js";
import * as std from "../fixtures/fetch-apps/standard.js";
import { bundleEntry } from "../fixtures/lambda-apps/bundle.js";
import { fixturesDir } from "../helpers/cli.js";

const apps = ["plain", "hono", "itty"] as const;
const sent = { x: [1, 2], s: "é" };
const boundary = "b0undary";
const multipart = [`--${boundary}`, 'Content-Disposition: form-data; name="a"', "", "1", `--${boundary}`, 'Content-Disposition: form-data; name="f"; filename="f.txt"', "Content-Type: text/plain", "", "file body", `--${boundary}--`, ""].join("\r\n");
const jsonBody = (path: string): HttpCall => ({ method: "POST", path, headers: [["content-type", "application/json"]], body: Buffer.from(JSON.stringify(sent)) });

const calls = {
  modules: { path: "/modules" },
  headers: { method: "POST", path: "/headers", headers: [["X-Multi", "one"], ["x-multi", "two"], ["content-type", "text/plain"]], cookies: ["a=1", "b=2"], body: Buffer.from("") },
  bodyOnce: { method: "POST", path: "/body-once", headers: [["content-type", "text/plain"]], body: Buffer.from("only once") },
  clone: { method: "POST", path: "/clone", headers: [["content-type", "text/plain"]], body: Buffer.from("y".repeat(50_000)) },
  text: jsonBody("/read/text"),
  json: jsonBody("/read/json"),
  arrayBuffer: jsonBody("/read/arrayBuffer"),
  blob: jsonBody("/read/blob"),
  stream: jsonBody("/read/stream"),
  objects: { path: "/objects" },
  // Under ALB's 1 MB response limit once base64-encoded.
  big: { path: "/big", query: [["id", "big"], ["bytes", String(256 * 1024)]] },
  formData: { method: "POST", path: "/read/formData", headers: [["content-type", `multipart/form-data; boundary=${boundary}`]], body: Buffer.from(multipart), base64: true },
  modulesAfter: { path: "/modules" },
} satisfies Record<string, HttpCall>;
type CallName = keyof typeof calls;

// Each kind gets its own process so that each one's first invocation is a cold one.
const order = Object.keys(calls) as CallName[];

/** What each source delivers for two headers of the same name (see the adapters' AWS docs). */
const repeated: Record<EventKind, string> = {
  "apigw-v1": "one, two",
  "apigw-v2": "one,two", // HTTP APIs and function URLs join repeated headers with commas
  "function-url": "one,two",
  alb: "two", // ALB without multi-value headers keeps the last
  "alb-multi-value": "one, two",
  "lattice-v2": "one, two",
};

describe.each(apps)("Fetch objects in Lambda mode: the %s app", (app) => {
  const seen = new Map<string, SeenResponse>();
  beforeAll(async () => {
    const bundle = await bundleEntry(join(fixturesDir, "fetch-apps", `${app}.ts`));
    for (const kind of eventKinds) {
      let logs = "";
      const run = await invokeArtifact({ artifact: bundle, events: order.map((name) => httpEvent(kind, calls[name])), emulator: { timeoutMs: 20_000 }, output: (c) => (logs += c) });
      expect(run.init.status, logs).toBe("ready");
      run.results.forEach((r, i) => {
        expect(r.status, `${kind} ${order[i]}: ${JSON.stringify(r.error)}\n${logs}`).toBe("ok");
        seen.set(`${kind} ${order[i]}`, readResult(kind, r.payload));
      });
    }
  });

  const body = (kind: EventKind, name: CallName) => {
    const r = seen.get(`${kind} ${name}`)!;
    expect(r.status, r.body.toString()).toBe(200);
    return JSON.parse(r.body.toString());
  };

  describe.each(eventKinds)("%s", (kind) => {
    it("serves the first invocation without loading undici or the source-map parser, and loads undici when the app needs it (formData)", () => {
      expect(body(kind, "modules")).toEqual({ undici: false, sourceMap: false });
      expect(body(kind, "formData")).toEqual({ fields: { a: ["1"], f: ["file f.txt 9 file body"] } });
      expect(body(kind, "modulesAfter")).toEqual({ undici: true, sourceMap: false });
    });

    it("reads request headers case-insensitively with repeated values combined; Set-Cookie goes back apart", () => {
      const b = body(kind, "headers");
      expect(b.seen).toEqual({ multi: repeated[kind], caseless: true, missing: null, cookie: "a=1; b=2", names: ["x-multi"], contentType: "text/plain" });
      const r = seen.get(`${kind} headers`)!;
      expect(r.cookies).toEqual(["one=1; Path=/", "two=2; Path=/"]);
      expect(header(r, "x-repeat")).toBe("a, b");
    });

    it("reads the body once, clones it, and reads it as text, JSON, ArrayBuffer, Blob and a web stream", () => {
      expect(body(kind, "bodyOnce")).toEqual({ usedBefore: false, first: "only once", usedAfter: true, second: "TypeError" });
      const big = "y".repeat(50_000);
      expect(body(kind, "clone")).toEqual({ a: big, b: big, usedOriginal: true, usedCopy: true, cloneAfterRead: "TypeError" });
      expect(body(kind, "text")).toEqual({ text: JSON.stringify(sent) });
      expect(body(kind, "json")).toEqual({ json: sent });
      expect(body(kind, "arrayBuffer")).toEqual({ isArrayBuffer: true, bytes: [...Buffer.from(JSON.stringify(sent))] });
      expect(body(kind, "blob")).toEqual({ size: Buffer.byteLength(JSON.stringify(sent)), type: "application/json", text: JSON.stringify(sent) });
      expect(body(kind, "stream")).toEqual({ text: JSON.stringify(sent), used: true });
    });

    it("makes Responses and Headers that behave as Node's own (undici) do for the same code", async () => {
      const b = body(kind, "objects");
      const reference = await (await std.objects(new Request(b.url))).json();
      expect(b).toEqual(reference);
    });

    it("returns a streamed (ReadableStream) body whole", () => {
      const r = seen.get(`${kind} big`)!;
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(256 * 1024);
      expect(r.body.every((byte) => byte === 120)).toBe(true);
    });
  });
});
