// The light Fetch classes (src/runtime/fetch) against Node's own (undici): the same calls give
// the same answers, and the fast paths the runtime relies on hold.

import { describe, expect, it } from "vitest";
import { Body, LightHeaders, LightRequest, LightResponse, absoluteUrl } from "../../../../src/runtime/fetch/index.js";

type AnyHeaders = Headers | LightHeaders;
const both = (init?: ConstructorParameters<typeof LightHeaders>[0]): [AnyHeaders, AnyHeaders] => [new Headers(init as ConstructorParameters<typeof Headers>[0]), new LightHeaders(init)];
const snapshot = (h: AnyHeaders) => ({ entries: [...h], cookies: h.getSetCookie(), a: h.get("A"), cookie: h.get("cookie"), setCookie: h.get("set-cookie"), has: h.has("x-Y") });

describe("LightHeaders", () => {
  it("answers like undici's Headers for appends, sets, deletes and repeated names", () => {
    const [real, light] = both([["A", "1"], ["a", " 2 "], ["Set-Cookie", "s=1"], ["set-cookie", "t=2"], ["Cookie", "c=1"], ["cookie", "d=2"], ["X-Y", "z"]]);
    for (const h of [real, light]) {
      h.append("b", "3");
      h.set("C", "4");
      h.delete("b");
    }
    expect(snapshot(light)).toEqual(snapshot(real));
  });

  it("takes a record, pairs, or another Headers (undici's too) as init", () => {
    const record = { "Content-Type": "text/plain", "X-A": "1" };
    expect([...new LightHeaders(record)]).toEqual([...new Headers(record)]);
    const fromReal = new Headers([["set-cookie", "a=1"], ["set-cookie", "b=2"]]);
    expect(new LightHeaders(fromReal).getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  it("refuses the names and values undici refuses, with a TypeError", () => {
    for (const bad of [["bad name", "x"], ["x", "a\nb"], ["", "x"]] as const) {
      expect(() => new Headers([bad as unknown as [string, string]])).toThrow(TypeError);
      expect(() => new LightHeaders([bad as unknown as [string, string]])).toThrow(TypeError);
    }
  });

  it("is instanceof Headers, and undici's Headers is instanceof the light class", () => {
    expect(new LightHeaders() instanceof LightHeaders).toBe(true);
    expect(new Headers() instanceof LightHeaders).toBe(true);
    expect({} instanceof LightHeaders).toBe(false);
  });
});

describe("LightResponse", () => {
  const bodies: [string, () => unknown][] = [
    ["a string", () => "héllo"],
    ["bytes", () => new Uint8Array([1, 2, 3])],
    ["an ArrayBuffer", () => new Uint8Array([4, 5]).buffer],
    ["URLSearchParams", () => new URLSearchParams("a=1&b=2")],
    ["a Blob", () => new Blob(["blob"], { type: "text/x-blob" })],
    ["a ReadableStream", () => new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode("streamed")), c.close()) })],
    ["null", () => null],
  ];

  it.each(bodies)("with %s as body: same status, headers, default Content-Type and bytes as undici", async (_, make) => {
    const init = { status: 201, statusText: "Made", headers: { "X-A": "1" } };
    const real = new Response(make() as string, init);
    const light = new LightResponse(make(), init);
    expect([light.status, light.statusText, light.ok, light.bodyUsed]).toEqual([real.status, real.statusText, real.ok, real.bodyUsed]);
    expect([...(light.headers as unknown as LightHeaders)]).toEqual([...real.headers]);
    expect(Buffer.from(await light.arrayBuffer())).toEqual(Buffer.from(await real.arrayBuffer()));
    expect(light.bodyUsed).toBe(real.bodyUsed);
  });

  it("reads once; clone() reads twice; body is a stream that marks the body used once read", async () => {
    const r = new LightResponse("abc");
    const c = r.clone();
    expect(await r.text()).toBe("abc");
    await expect(r.text()).rejects.toThrow(TypeError);
    expect(() => r.clone()).toThrow(TypeError);
    const stream = c.body!;
    expect(c.bodyUsed).toBe(false);
    const reader = stream.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("abc");
    expect(c.bodyUsed).toBe(true);
  });

  it("Response.json, redirect and the status checks follow the standard", async () => {
    const j = LightResponse.json({ a: 1 }, { status: 202, headers: { "x-b": "2" } });
    const rj = Response.json({ a: 1 }, { status: 202, headers: { "x-b": "2" } });
    expect([...(j.headers as unknown as LightHeaders)]).toEqual([...rj.headers]);
    expect(await j.json()).toEqual({ a: 1 });
    expect(LightResponse.redirect("https://example.com/x", 301).headers.get("location")).toBe("https://example.com/x");
    expect(() => new LightResponse("x", { status: 600 })).toThrow(RangeError);
    expect(() => new LightResponse("x", { status: 204 })).toThrow(TypeError);
  });

  it("hands a body only undici can extract (FormData) to undici, still instanceof", async () => {
    const form = new FormData();
    form.set("a", "1");
    const r = new LightResponse(form);
    expect(r instanceof LightResponse).toBe(true);
    expect(r.headers.get("content-type")).toMatch(/^multipart\/form-data; boundary=/);
    expect((await r.formData()).get("a")).toBe("1");
  });

  it("whole() gives the writer the body and headers to send in one piece, and nothing for a stream", () => {
    expect(LightResponse.whole(new LightResponse("hi", { headers: { "X-A": "1" } }))).toEqual({ status: 200, statusText: "", headers: ["x-a", "1", "content-type", "text/plain;charset=UTF-8"], sized: false, body: "hi" });
    const cookies = new LightHeaders([["set-cookie", "a=1"], ["Content-Length", "2"], ["set-cookie", "b=2"]]);
    expect(LightResponse.whole(new LightResponse("hi", { headers: cookies }))).toMatchObject({ headers: ["content-length", "2", "content-type", "text/plain;charset=UTF-8", "set-cookie", ["a=1", "b=2"]], sized: true });
    expect(LightResponse.whole(new LightResponse(new ReadableStream()))).toBeUndefined();
    expect(LightResponse.whole(new Response("undici"))).toBeUndefined();
  });
});

describe("LightRequest", () => {
  const make = (body?: string) =>
    LightRequest.create({
      method: body === undefined ? "GET" : "POST",
      url: () => "http://example.com/a?b=1",
      headers: () => LightHeaders.fromPairs([["Content-Type", "application/x-www-form-urlencoded"], ["bad name", "dropped"]]),
      body: body === undefined ? null : Body.bytes(Buffer.from(body)),
      signal: () => new AbortController().signal,
    });

  it("reads its body with every reader, once, and clones", async () => {
    expect(await make("a=1&b=2").text()).toBe("a=1&b=2");
    expect(await make('{"a":1}').json()).toEqual({ a: 1 });
    expect([...(await make("a=1&a=2").formData()).getAll("a")]).toEqual(["1", "2"]);
    expect((await make("xyz").blob()).type).toBe("application/x-www-form-urlencoded");
    const r = make("once");
    const c = r.clone();
    expect(await r.text()).toBe("once");
    await expect(r.text()).rejects.toThrow(TypeError);
    expect(await c.text()).toBe("once");
    expect(make().body).toBeNull();
  });

  it("is instanceof Request; `new Request()` in an app gives undici's, which is one too", () => {
    expect(make() instanceof LightRequest).toBe(true);
    const built = new LightRequest("http://example.com/", { method: "PUT" });
    expect(built instanceof Request).toBe(true);
    expect(built instanceof LightRequest).toBe(true);
    const fromLight = new LightRequest(make("body") as unknown as Request);
    expect([fromLight.method, fromLight.url]).toEqual(["POST", "http://example.com/a?b=1"]);
  });

  it("drops header lines a standard Headers would refuse (Lambda events are not checked by anyone)", () => {
    expect([...(make().headers as unknown as LightHeaders)]).toEqual([["content-type", "application/x-www-form-urlencoded"]]);
  });
});

describe("absoluteUrl", () => {
  it("gives what the URL parser gives, on the fast path and off it", () => {
    const cases: [string, string | undefined, string][] = [
      ["http", "localhost:8080", "/a/b?x=1&y=2"],
      ["http", "Example.COM", "/a"],
      ["http", "localhost:80", "/"],
      ["https", "example.com:443", "/x"],
      ["http", "example.com", "/a/../b/./c?q=a b"],
      ["http", "example.com", "/a/%2e%2E/b"],
      ["http", undefined, "/x"],
      ["http", "bad host!", "/x"],
      // The same host in turn under both schemes: 443 is the default port of one only.
      ["http", "example.com:443", "/x"],
      ["https", "example.com:443", "/x"],
      ["http", "example.com:443", "/x"],
      ["http", "example.com", "/a#frag"],
      ["http", "example.com", "/caf\u00e9?q=\u00e9"],
      ["http", "example.com", "/a/.well-known/x"],
      ["http", "example.com", "/a%2Eb/%2e"],
      ["http", "example.com", "/a|b\\c[d]"],
      ["http", "example.com", "/a?b=%zz&c=/./"],
    ];
    for (const [scheme, host, target] of cases) {
      let expected: string;
      try {
        expected = new URL(target, `${scheme}://${host ?? "localhost"}`).href;
      } catch {
        expected = new URL(target, `${scheme}://localhost`).href;
      }
      expect(absoluteUrl(scheme, host, target)).toBe(expected);
    }
  });
});
