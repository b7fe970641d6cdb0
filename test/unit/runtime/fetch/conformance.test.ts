// Fetch conformance: the same assertions, written from the Fetch standard and the behaviour the
// Web Platform Tests check in fetch/api (headers-basic, headers-record, headers-errors,
// header-setcookie, response-error, response-consume-stream, response-from-stream,
// response-stream-with-broken-then, body/cloned-any), run against binship's light classes
// and against Node's own (undici) side by side. Every case must pass under undici (so the case
// states the standard's behaviour, not ours) and under binship.

import assert from "node:assert/strict";
import { describe, expect, it } from "vitest";
import { LightHeaders, LightRequest, LightResponse } from "../../../../src/runtime/fetch/index.js";

interface Impl {
  Request: typeof Request;
  Response: typeof Response;
  Headers: typeof Headers;
}
type Case = (impl: Impl) => void | Promise<void>;

const implementations: [string, Impl][] = [
  ["undici", { Request, Response, Headers }],
  ["binship", { Request: LightRequest, Response: LightResponse, Headers: LightHeaders } as unknown as Impl],
];

const encode = (s: string) => new TextEncoder().encode(s);

/** Reads a stream to a string with the reader the case asks for ("byob" needs a byte stream). */
async function readAll(stream: ReadableStream<Uint8Array>, mode?: "byob"): Promise<string> {
  const chunks: Uint8Array[] = [];
  if (mode === "byob") {
    const reader = stream.getReader({ mode: "byob" });
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(64));
      if (done) break;
      chunks.push(value!);
    }
  } else {
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
  }
  return Buffer.concat(chunks).toString("utf8");
}

// Iterator objects as WebIDL makes them: %IteratorPrototype% above, an enumerable next().
function assertIteratorShape(iterator: object): void {
  const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
  const proto = Object.getPrototypeOf(iterator);
  assert.equal(Object.getPrototypeOf(proto), iteratorPrototype);
  const next = Object.getOwnPropertyDescriptor(proto, "next");
  assert.ok(next?.enumerable && next.writable && next.configurable, "next is an enumerable, writable, configurable method");
}

/** Makes every object a thenable once: the first promise resolved with an object gets `injected`. */
function hijackThen(injected: unknown): void {
  const proto = Object.prototype as { then?: unknown };
  proto.then = (onFulfilled: (value: unknown) => void) => {
    delete proto.then;
    onFulfilled(injected);
  };
}

/** A record init that logs every operation the constructor makes on it, in order. */
function loggingRecord(target: Record<string | symbol, unknown>, log: string[]): object {
  return new Proxy(target, {
    ownKeys(t) {
      log.push("ownKeys");
      return Reflect.ownKeys(t);
    },
    getOwnPropertyDescriptor(t, key) {
      log.push(`describe ${String(key)}`);
      return Reflect.getOwnPropertyDescriptor(t, key);
    },
    get(t, key) {
      log.push(`get ${String(key)}`);
      return Reflect.get(t, key);
    },
  });
}

const headerCases: Record<string, Case> = {
  "init: nothing, undefined and {} make empty headers; null and a number throw TypeError"({ Headers }) {
    assert.deepEqual([...new Headers()], []);
    assert.deepEqual([...new Headers(undefined)], []);
    assert.deepEqual([...new Headers({})], []);
    assert.throws(() => new Headers(null as never), TypeError);
    assert.throws(() => new Headers(1 as never), TypeError);
  },
  "init: pair values are converted to strings (null, undefined, numbers)"({ Headers }) {
    const h = new Headers([["a", null], ["b", undefined], ["c", 1]] as never);
    assert.equal(h.get("a"), "null");
    assert.equal(h.get("b"), "undefined");
    assert.equal(h.get("c"), "1");
    assert.equal(h.get("length"), null, "a sequence is not read as a record");
  },
  "init: record values are converted to strings"({ Headers }) {
    const h = new Headers({ a: null, b: undefined, c: 1 } as never);
    assert.deepEqual([...h], [["a", "null"], ["b", "undefined"], ["c", "1"]]);
  },
  "append and set convert values to strings"({ Headers }) {
    const h = new Headers();
    h.append("a", null as never);
    h.set("b", undefined as never);
    h.append("c", 2 as never);
    assert.deepEqual([...h], [["a", "null"], ["b", "undefined"], ["c", "2"]]);
  },
  "init: a Headers is read through its own iterator"({ Headers }) {
    const from = new Headers({ a: "1" });
    (from as unknown as { [Symbol.iterator]: () => Iterator<[string, string]> })[Symbol.iterator] = function* () {
      yield ["replaced", "yes"];
    };
    const h = new Headers(from);
    assert.equal(h.get("replaced"), "yes");
    assert.equal(h.get("a"), null);
  },
  "init: a pair of one or three items throws TypeError"({ Headers }) {
    assert.throws(() => new Headers([["a"]] as never), TypeError);
    assert.throws(() => new Headers([["a", "1", "2"]] as never), TypeError);
    assert.throws(() => new Headers(["ab"] as never), TypeError);
  },
  "names and values outside Latin-1 throw TypeError everywhere"({ Headers }) {
    assert.throws(() => new Headers([["name\u0100", "v"]]), TypeError);
    assert.throws(() => new Headers([["name", "value\u0100"]]), TypeError);
    assert.throws(() => new Headers({ name: "value\u0100" }), TypeError);
    const h = new Headers();
    for (const call of [
      () => h.get("a\u0100"),
      () => h.has("a\u0100"),
      () => h.delete("a\u0100"),
      () => h.set("a\u0100", "v"),
      () => h.set("a", "v\u0100"),
      () => h.append("a\u0100", "v"),
      () => h.append("a", "v\u0100"),
    ]) {
      assert.throws(call, TypeError);
    }
  },
  "a name that is an object is converted to a string, which is no token"({ Headers }) {
    const h = new Headers();
    assert.throws(() => h.get({} as never), TypeError);
    assert.throws(() => h.set({} as never, "v"), TypeError);
  },
  "forEach needs a function, and stops at the first exception its callback throws"({ Headers }) {
    const h = new Headers([["name1", "v1"], ["name2", "v2"], ["name3", "v3"]]);
    for (const bad of [undefined, 1]) assert.throws(() => h.forEach(bad as never), TypeError);
    let calls = 0;
    assert.throws(
      () =>
        h.forEach((_value, name) => {
          calls++;
          if (name === "name2") throw new Error("stop");
        }),
      /stop/,
    );
    assert.equal(calls, 2);
  },
  "values are trimmed of HTTP whitespace; NUL, CR, LF inside throw TypeError"({ Headers }) {
    const h = new Headers([["a", "\t\r\n x \t\r\n"]]);
    assert.equal(h.get("a"), "x");
    for (const bad of ["x\0y", "x\ry", "x\ny"]) assert.throws(() => new Headers([["a", bad]]), TypeError);
  },
  "keys, values and entries are WebIDL iterators, sorted by lower-case name"({ Headers }) {
    const h = new Headers({ name1: "v1", Name2: "v2", name: "v3", "content-Type": "v4", "Content-Typ": "v5", "Content-Types": "v6" });
    const order = ["content-typ", "content-type", "content-types", "name", "name1", "name2"];
    for (const iterator of [h.keys(), h.values(), h.entries()]) assertIteratorShape(iterator);
    const keys = h.keys();
    for (const name of order) assert.equal(keys.next().value, name);
    assert.equal(keys.next().done, true);
    assert.equal(keys.next().done, true, "stays done");
    assert.deepEqual([...h.values()], ["v5", "v4", "v6", "v3", "v1", "v2"]);
    const seen: string[] = [];
    h.forEach((value, name, container) => {
      assert.equal(container, h);
      seen.push(`${name}=${value}`);
    });
    assert.deepEqual(seen, ["content-typ=v5", "content-type=v4", "content-types=v6", "name=v3", "name1=v1", "name2=v2"]);
  },
  "iteration sees deletes and appends made while iterating"({ Headers }) {
    const skipped = new Headers({ foo: "2", baz: "1", BAR: "0" });
    const names: string[] = [];
    for (const [name] of skipped) {
      names.push(name);
      skipped.delete("foo");
    }
    assert.deepEqual(names, ["bar", "baz"]);

    const shifted = new Headers({ foo: "2", baz: "1", BAR: "0", quux: "3" });
    const after: string[] = [];
    for (const [name] of shifted) {
      after.push(name);
      if (name === "baz") shifted.delete("bar");
    }
    assert.deepEqual(after, ["bar", "baz", "quux"], "removing an element already passed skips the next one");

    const grown = new Headers({ foo: "2", baz: "1", BAR: "0", quux: "3" });
    const grownNames: string[] = [];
    for (const [name] of grown) {
      grownNames.push(name);
      if (name === "baz") grown.append("X-yZ", "4");
      if (name === "foo") grown.append("abc", "-1");
    }
    assert.deepEqual(grownNames, ["bar", "baz", "foo", "foo", "quux", "x-yz"]);
  },
  "set-cookie: kept apart in iteration and getSetCookie, joined by get, in input order"({ Headers }) {
    const h = new Headers([["xylophone", "1"], ["best", "2"], ["set-cookie", "3"], ["a-cool", "4"], ["Set-Cookie", "5"], ["a-cool", "6"], ["set-cookie2", "x"], ["set-cookie2", "y"]]);
    assert.deepEqual([...h], [["a-cool", "4, 6"], ["best", "2"], ["set-cookie", "3"], ["set-cookie", "5"], ["set-cookie2", "x, y"], ["xylophone", "1"]]);
    assert.equal(h.get("SET-cookie"), "3, 5");
    assert.deepEqual(h.getSetCookie(), ["3", "5"]);
    assert.deepEqual(new Headers([["set-cookie", ""]]).getSetCookie(), [""]);
  },
  "set-cookie: a live iterator sees cookies appended after it started"({ Headers }) {
    const h = new Headers([["fizz", "buzz"], ["X-Header", "test"]]);
    const it = h[Symbol.iterator]();
    assert.deepEqual(it.next().value, ["fizz", "buzz"]);
    h.append("Set-Cookie", "a=b");
    assert.deepEqual(it.next().value, ["set-cookie", "a=b"]);
    h.append("Accept", "text/html");
    assert.deepEqual(it.next().value, ["set-cookie", "a=b"]);
    assert.deepEqual(it.next().value, ["x-header", "test"]);
    h.append("set-cookie", "c=d");
    assert.deepEqual(it.next().value, ["x-header", "test"]);
    assert.equal(it.next().done, true);
  },
  "record: own keys are listed once, then each is described and read in turn"({ Headers }) {
    const log: string[] = [];
    const h = new Headers(loggingRecord({ a: "1", b: "2" }, log) as never);
    assert.deepEqual(log, ["get Symbol(Symbol.iterator)", "ownKeys", "describe a", "get a", "describe b", "get b"]);
    assert.deepEqual([...h], [["a", "1"], ["b", "2"]]);
  },
  "record: non-enumerable and inherited keys are left out"({ Headers }) {
    const proto = { inherited: "x" };
    const target = Object.create(proto, { hidden: { value: "y", enumerable: false }, shown: { value: "z", enumerable: true } });
    const log: string[] = [];
    const h = new Headers(loggingRecord(target, log) as never);
    assert.deepEqual([...h], [["shown", "z"]]);
    assert.ok(!log.includes("get hidden"), "a non-enumerable key is not read");
  },
  "record: every key is read before a bad name or value throws"({ Headers }) {
    const log: string[] = [];
    assert.throws(() => new Headers(loggingRecord({ "bad name": "1", b: "2" }, log) as never), TypeError);
    assert.deepEqual(log.slice(-2), ["describe b", "get b"]);
    const log2: string[] = [];
    assert.throws(() => new Headers(loggingRecord({ a: "x\ny", b: "2" }, log2) as never), TypeError);
    assert.deepEqual(log2.slice(-2), ["describe b", "get b"]);
  },
  "record: an enumerable symbol key throws TypeError once described, before it is read"({ Headers }) {
    assert.throws(() => new Headers({ [Symbol("shown")]: "x" } as never), TypeError);
    const log: string[] = [];
    assert.throws(() => new Headers(loggingRecord({ a: "1", [Symbol.toStringTag]: "x", c: "2" }, log) as never), TypeError);
    assert.deepEqual(log, ["get Symbol(Symbol.iterator)", "ownKeys", "describe a", "get a", "describe c", "get c", "describe Symbol(Symbol.toStringTag)"]);
  },
  "record: a non-enumerable symbol key is described and skipped"({ Headers }) {
    const target: Record<string | symbol, unknown> = { a: "1", c: "2" };
    Object.defineProperty(target, Symbol.toStringTag, { value: "x", enumerable: false });
    const log: string[] = [];
    const h = new Headers(loggingRecord(target, log) as never);
    assert.deepEqual([...h.keys()], ["a", "c"]);
    assert.equal(log.at(-1), "describe Symbol(Symbol.toStringTag)");
  },
  "record: a name that is no ByteString throws before its value is read"({ Headers }) {
    const log: string[] = [];
    assert.throws(() => new Headers(loggingRecord({ a: "1", "\uffff": "2" }, log) as never), TypeError);
    assert.deepEqual(log, ["get Symbol(Symbol.iterator)", "ownKeys", "describe a", "get a", "describe \uffff"]);
    const log2: string[] = [];
    assert.throws(() => new Headers(loggingRecord({ a: "\uffff", c: "2" }, log2) as never), TypeError);
    assert.deepEqual(log2, ["get Symbol(Symbol.iterator)", "ownKeys", "describe a", "get a"]);
  },
  "record: duplicate keys from ownKeys throw TypeError"({ Headers }) {
    const lying = new Proxy({ a: "1", c: "2" }, { ownKeys: () => ["a", "c", "a", "c"] });
    assert.throws(() => new Headers(lying as never), TypeError);
  },
  "record: a key whose descriptor is gone by the time it is described is skipped"({ Headers }) {
    const target = { a: "1", b: "2" };
    const h = new Headers(
      new Proxy(target, {
        ownKeys: () => ["a", "b", "c"],
        getOwnPropertyDescriptor: (t, key) => (key === "c" ? undefined : Reflect.getOwnPropertyDescriptor(t, key)),
      }) as never,
    );
    assert.deepEqual([...h], [["a", "1"], ["b", "2"]]);
  },
};

const responseCases: Record<string, Case> = {
  "init that is not a dictionary throws TypeError"({ Response }) {
    assert.throws(() => new Response(undefined, "oops" as never), TypeError);
    assert.throws(() => new Response("x", 200 as never), TypeError);
    assert.equal(new Response(null, null as never).status, 200);
  },
  "status is converted like a WebIDL unsigned short"({ Response }) {
    assert.equal(new Response(null, { status: "201" as never }).status, 201);
    assert.equal(new Response(null, { status: 202.7 }).status, 202);
    assert.equal(new Response(null, { status: 65736 }).status, 200, "taken modulo 2^16");
  },
  "a status outside 200-599 throws RangeError"({ Response }) {
    for (const status of [0, 100, 199, 600, 1000]) assert.throws(() => new Response(null, { status }), RangeError);
  },
  "a statusText that is not a reason phrase throws TypeError"({ Response }) {
    assert.throws(() => new Response(null, { statusText: "\n" }), TypeError);
    assert.throws(() => new Response(null, { statusText: "\u0100" }), TypeError);
    assert.equal(new Response(null, { statusText: "OK \t\u00ff" }).statusText, "OK \t\u00ff");
  },
  "a body with a null-body status (204, 205, 304) throws TypeError"({ Response }) {
    for (const status of [204, 205, 304]) {
      assert.throws(() => new Response("", { status }), TypeError);
      assert.equal(new Response(null, { status }).status, status);
    }
  },
  "headers in init are checked at construction"({ Response }) {
    assert.throws(() => new Response("x", { headers: { "bad name": "1" } }), TypeError);
    assert.throws(() => new Response("x", { headers: { a: "v\u0100" } }), TypeError);
    assert.throws(() => new Response("x", { headers: { a: "v\r\nb" } }), TypeError);
  },
  async "body streams: empty text and empty Blob read as empty streams"({ Response }) {
    assert.equal(await readAll(new Response("").body!), "");
    assert.equal(await readAll(new Response(new Blob([], { type: "text/plain" })).body!), "");
  },
  async "body streams: text, URLSearchParams, ArrayBuffer and Blob bodies read with a default reader"({ Response }) {
    assert.equal(await readAll(new Response('"text"').body!), '"text"');
    assert.equal(await readAll(new Response(new URLSearchParams("name=value")).body!), "name=value");
    assert.equal(await readAll(new Response(encode("bytes").buffer as ArrayBuffer).body!), "bytes");
    assert.equal(await readAll(new Response(new Blob(["blob"])).body!), "blob");
  },
  async "body streams: text, URLSearchParams and ArrayBuffer bodies are byte streams (BYOB reader)"({ Response }) {
    assert.equal(await readAll(new Response('"text"').body!, "byob"), '"text"');
    assert.equal(await readAll(new Response(new URLSearchParams("name=value")).body!, "byob"), "name=value");
    assert.equal(await readAll(new Response(encode("bytes").buffer as ArrayBuffer).body!, "byob"), "bytes");
    assert.equal(await readAll(new Response(encode("typed")).body!, "byob"), "typed");
  },
  async "body streams: a FormData body streams multipart"({ Response }) {
    const form = new FormData();
    form.append("name", "value");
    const text = await readAll(new Response(form).body!, "byob");
    assert.ok(text.includes('Content-Disposition: form-data; name="name"\r\n\r\nvalue'));
  },
  "a redirect has no body"({ Response }) {
    assert.equal(Response.redirect("http://example.com/").body, null);
    assert.equal(Response.error().body, null);
  },
  async "a stream that is locked or already read cannot become a body"({ Response }) {
    const locked = new ReadableStream();
    locked.getReader();
    assert.throws(() => new Response(locked), TypeError);
    const read = new ReadableStream({ pull: (c) => c.enqueue(encode("x")) });
    const reader = read.getReader();
    // Awaited: releasing the lock with the read still pending would reject it unhandled.
    assert.equal((await reader.read()).done, false);
    reader.releaseLock();
    assert.throws(() => new Response(read), TypeError);
  },
  async "piping a bytes body's stream is not fooled by Object.prototype.then"({ Response }) {
    const response = new Response(new Uint8Array([1, 2, 3]));
    const written: number[] = [];
    const sink = new WritableStream<Uint8Array>({ write: (chunk) => void written.push(...chunk) });
    // A promise resolved with a { done, value } read result would call this and take [4, 5, 6].
    hijackThen({ done: false, value: new Uint8Array([4, 5, 6]) });
    try {
      await response.body!.pipeTo(sink);
    } finally {
      delete (Object.prototype as { then?: unknown }).then;
    }
    assert.deepEqual(written, [1, 2, 3]);
  },
  async "an ArrayBuffer or typed array body is copied: changing it later changes nothing"({ Response }) {
    const bytes = encode("abc");
    const buffer = encode("xyz").buffer as ArrayBuffer;
    const fromView = new Response(bytes);
    const fromBuffer = new Response(buffer);
    bytes[0] = 0x41;
    new Uint8Array(buffer)[0] = 0x41;
    assert.equal(await fromView.text(), "abc");
    assert.equal(await fromBuffer.text(), "xyz");
  },
  async "URLSearchParams, Blob and FormData bodies are taken as they are at construction"({ Response }) {
    const params = new URLSearchParams("a=1");
    const fromParams = new Response(params);
    const alsoFromParams = new Response(params);
    params.set("a", "2");
    assert.equal(await fromParams.text(), "a=1");
    assert.equal((await alsoFromParams.formData()).get("a"), "1");
    const form = new FormData();
    form.set("a", "1");
    const fromForm = new Response(form);
    form.set("a", "2");
    assert.equal((await fromForm.formData()).get("a"), "1");
  },
  async "clone: both copies read the same body, once each"({ Response }) {
    const original = new Response("same", { status: 201, statusText: "Made", headers: { "x-a": "1" } });
    const copy = original.clone();
    assert.equal(copy.status, 201);
    assert.equal(copy.statusText, "Made");
    assert.equal(copy.headers.get("x-a"), "1");
    assert.equal(await original.text(), "same");
    assert.equal(await copy.text(), "same");
    await assert.rejects(original.text(), TypeError);
    assert.throws(() => original.clone(), TypeError);
  },
};

for (const [label, impl] of implementations) {
  describe(`Fetch conformance under ${label}`, () => {
    for (const [name, run] of Object.entries({ ...headerCases, ...responseCases })) {
      it(name, async () => {
        await run(impl);
      });
    }
  });
}

it("has a case for each group of the standard's behaviour it covers", () => {
  expect(Object.keys(headerCases).length + Object.keys(responseCases).length).toBeGreaterThan(30);
});
