// The Fetch objects a Fetch app gets and makes in server mode behave as the standard says, for
// Hono, itty-router and a hand-written app (test/fixtures/fetch-apps): headers, body read once,
// clone(), every reader, a streamed body with backpressure, client abort -> request.signal.
// And a plain Fetch app's first request is served without Node's undici being loaded.

import http from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as std from "../fixtures/fetch-apps/standard.js";
import { fixturesDir, runCli, tempDir } from "../helpers/cli.js";
import { httpRequest, nextChunk, openRequest, waitFor, type HttpRequestOptions } from "../helpers/http.js";
import { startService, type Service } from "../helpers/process.js";

const outDir = tempDir("binship-fetch-standard-");
const apps = ["plain", "hono", "itty"] as const;

async function bundle(app: string): Promise<string> {
  const out = join(outDir, `${app}.cjs`);
  const result = await runCli(["bundle", join(fixturesDir, "fetch-apps", `${app}.ts`), "-o", out]);
  expect(result.code, result.stderr).toBe(0);
  return out;
}

const multipart = (boundary: string) =>
  [`--${boundary}`, 'Content-Disposition: form-data; name="a"', "", "1", `--${boundary}`, 'Content-Disposition: form-data; name="a"', "", "2", `--${boundary}`, 'Content-Disposition: form-data; name="f"; filename="f.txt"', "Content-Type: text/plain", "", "file body", `--${boundary}--`, ""].join("\r\n");

describe.each(apps)("Fetch objects in server mode: the %s app", (app) => {
  let svc: Service;
  let bundlePath: string;
  const json = async (path: string, options: HttpRequestOptions = {}) => {
    const res = await httpRequest(`${svc.url}${path}`, options);
    expect(res.status, res.body.toString()).toBe(200);
    return { res, body: JSON.parse(res.body.toString()) };
  };

  beforeAll(async () => {
    bundlePath = await bundle(app);
    svc = await startService(process.execPath, [bundlePath]);
  });
  afterAll(() => svc?.stop());

  it("serves the first request without loading undici or the source-map parser, and loads undici when the app needs it (formData)", async () => {
    expect((await json("/modules")).body).toEqual({ undici: false, sourceMap: false });
    const boundary = "b0undary";
    const form = await json("/read/formData", { method: "POST", headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, body: multipart(boundary) });
    expect(form.body).toEqual({ fields: { a: ["1", "2"], f: ["file f.txt 9 file body"] } });
    expect((await json("/modules")).body).toEqual({ undici: true, sourceMap: false });
  });

  it("reads request headers case-insensitively with repeated values combined; sends repeated and Set-Cookie headers apart", async () => {
    const { res, body } = await json("/headers", { method: "POST", headers: { "X-Multi": ["one", "two"], cookie: "a=1", "content-type": "text/plain" }, body: "" });
    expect(body.seen).toEqual({ multi: "one, two", caseless: true, missing: null, cookie: "a=1", names: ["x-multi"], contentType: "text/plain" });
    expect(body.setCookies).toEqual(["one=1; Path=/", "two=2; Path=/"]);
    expect(res.headers["set-cookie"]).toEqual(["one=1; Path=/", "two=2; Path=/"]);
    expect(res.headers["x-repeat"]).toBe("a, b");
  });

  it("reads the body once: bodyUsed turns true and a second read is a TypeError", async () => {
    expect((await json("/body-once", { method: "POST", body: "only once" })).body).toEqual({ usedBefore: false, first: "only once", usedAfter: true, second: "TypeError" });
  });

  it("clone() gives both sides the whole body; cloning a read body is a TypeError", async () => {
    const big = "x".repeat(200_000);
    expect((await json("/clone", { method: "POST", body: big })).body).toEqual({ a: big, b: big, usedOriginal: true, usedCopy: true, cloneAfterRead: "TypeError" });
  });

  it("reads the body as text, JSON, ArrayBuffer, Blob and a web stream", async () => {
    const sent = { x: [1, 2], s: "é" };
    const post = (as: string) => json(`/read/${as}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(sent) });
    expect((await post("text")).body).toEqual({ text: JSON.stringify(sent) });
    expect((await post("json")).body).toEqual({ json: sent });
    expect((await post("arrayBuffer")).body).toEqual({ isArrayBuffer: true, bytes: [...Buffer.from(JSON.stringify(sent))] });
    expect((await post("blob")).body).toEqual({ size: Buffer.byteLength(JSON.stringify(sent)), type: "application/json", text: JSON.stringify(sent) });
    expect((await post("stream")).body).toEqual({ text: JSON.stringify(sent), used: true });
  });

  it("makes Responses and Headers that behave as Node's own (undici) do for the same code", async () => {
    const { body } = await json("/objects");
    // The same function run here, on Node's undici classes, is the reference.
    const reference = await (await std.objects(new Request(`${svc.url}/objects`))).json();
    expect(body).toEqual(reference);
    expect(body.instanceOf).toEqual({ request: true, response: true, requestHeaders: true, headers: true, notResponse: false });
  });

  it("streams a large response body with backpressure: a client that stops reading stops production", async () => {
    const id = `${app}-big`;
    const total = 256 * 1024 * 1024;
    const { req, res } = await openRequest(`${svc.url}/big?id=${id}&bytes=${total}`, { agent: false });
    expect(await nextChunk(res)).not.toBeNull();
    res.pause();
    await new Promise((r) => setTimeout(r, 500));
    const { produced } = (await json(`/big/state?id=${id}`)).body as { produced: number };
    // Socket buffers hold a few MiB; without backpressure the app would have made all 256.
    expect(produced).toBeLessThan(32 * 1024 * 1024);
    req.destroy();
  });

  it("fetch() takes the Request the app received (a proxy), and undici's Response passes through", async () => {
    const { body } = await json("/proxy", { method: "POST", body: "proxied body" });
    expect(body).toEqual({ hop: 2, method: "POST", body: "proxied body" });
  });

  it("aborts request.signal when the client goes away", async () => {
    const id = `${app}-abort`;
    const req = http.request(`${svc.url}/abort?id=${id}`, { agent: false });
    req.on("error", () => {});
    req.end();
    await new Promise((r) => setTimeout(r, 300));
    req.destroy();
    const state = await waitFor("the app to see the abort", async () => {
      const s = (await json(`/abort/state?id=${id}`)).body as { aborted: boolean };
      return s.aborted ? s : undefined;
    });
    expect(state.aborted).toBe(true);
  });

});

describe("Hono's own body helpers in server mode", () => {
  let svc: Service;
  beforeAll(async () => {
    svc = await startService(process.execPath, [await bundle("hono")]);
  });
  afterAll(() => svc?.stop());

  it("c.req.json() and c.req.parseBody() read the light Request", async () => {
    const post = async (path: string, type: string, body: string) => JSON.parse((await httpRequest(`${svc.url}${path}`, { method: "POST", headers: { "content-type": type }, body })).body.toString());
    expect(await post("/hono/json", "application/json", '{"a":[1]}')).toEqual({ json: { a: [1] } });
    expect(await post("/hono/form", "application/x-www-form-urlencoded", "a=1&b=two")).toEqual({ form: { a: "1", b: "two" } });
  });
});
