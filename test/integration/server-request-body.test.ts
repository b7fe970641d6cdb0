// The request body path in server mode: a body the app reads whole is read off the socket (no
// web stream) into memory of its own, and a body read as a stream stays a stream: a 50 MiB
// upload goes through with bounded memory. The Body rules hold on the fast path: one read,
// a JSON error is the app's SyntaxError, a partly read stream is disturbed.

import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../helpers/cli.js";
import { httpRequest, waitFor } from "../helpers/http.js";
import { startService, type Service } from "../helpers/process.js";

const source = `
import { createHash } from "node:crypto";
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const errors = new Map<string, string>();
const held = new Map<string, () => void>();
const name = (err: unknown) => (err instanceof Error ? err.constructor.name : typeof err);

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/array-buffer": {
        const ab = await request.arrayBuffer();
        return Response.json({ isArrayBuffer: ab instanceof ArrayBuffer, byteLength: ab.byteLength, sha256: sha(new Uint8Array(ab)) });
      }
      case "/bytes-twice": {
        // Both reads share nothing: writing into the first must not change what a clone read.
        const copy = request.clone();
        const a = new Uint8Array(await request.arrayBuffer());
        a.fill(0);
        const b = new Uint8Array(await copy.arrayBuffer());
        return Response.json({ first: sha(a), second: sha(b) });
      }
      case "/json": {
        let parsed: unknown;
        let error: string | undefined;
        try {
          parsed = await request.json();
        } catch (err) {
          error = name(err);
        }
        let again: string | undefined;
        try {
          await request.text();
        } catch (err) {
          again = name(err);
        }
        return Response.json({ parsed, error, usedAfter: request.bodyUsed, again });
      }
      case "/partial": {
        // One chunk through a reader, then the rest through a second reader: every byte once.
        const first = request.body!.getReader();
        const head = await first.read();
        first.releaseLock();
        let whole: string | undefined;
        try {
          await request.arrayBuffer();
        } catch (err) {
          whole = name(err);
        }
        let rest = 0;
        const hash = createHash("sha256").update(head.value ?? new Uint8Array(0));
        for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
          rest += chunk.byteLength;
          hash.update(chunk);
        }
        return Response.json({ used: request.bodyUsed, arrayBufferAfterRead: whole, total: (head.value?.byteLength ?? 0) + rest, sha256: hash.digest("hex") });
      }
      case "/stream-count": {
        let bytes = 0;
        const hash = createHash("sha256");
        for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
          bytes += chunk.byteLength;
          hash.update(chunk);
        }
        return Response.json({ bytes, sha256: hash.digest("hex") });
      }
      case "/stream-held": {
        // Reads the first chunk, then holds the rest until /release: the upload must wait for it.
        const id = url.searchParams.get("id")!;
        const reader = request.body!.getReader();
        let bytes = (await reader.read()).value?.byteLength ?? 0;
        await new Promise<void>((resolve) => held.set(id, resolve));
        for (let r = await reader.read(); !r.done; r = await reader.read()) bytes += r.value.byteLength;
        return Response.json({ bytes });
      }
      case "/release": {
        const id = url.searchParams.get("id")!;
        const release = held.get(id);
        release?.();
        return Response.json({ held: Boolean(release) });
      }
      case "/wait-whole": {
        const id = url.searchParams.get("id")!;
        try {
          await request.arrayBuffer();
          errors.set(id, "none");
        } catch (err) {
          errors.set(id, (err as Error).message);
        }
        return new Response("read");
      }
      case "/error-of":
        return Response.json({ error: errors.get(url.searchParams.get("id")!) ?? null });
      case "/reply-bytes":
        // A Uint8Array response, from a body read whole: the bytes go back as sent.
        return new Response(new Uint8Array(await request.arrayBuffer()), { headers: { "content-type": "application/octet-stream" } });
    }
    return new Response("not found", { status: 404 });
  },
};
`;

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("the request body in server mode", () => {
  let svc: Service;
  const post = async (path: string, body: Uint8Array | string, headers: http.OutgoingHttpHeaders = {}) => {
    const res = await httpRequest(`${svc.url}${path}`, { method: "POST", body, headers });
    expect(res.status, res.body.toString()).toBe(200);
    return res;
  };
  const postJson = async (path: string, body: Uint8Array | string, headers?: http.OutgoingHttpHeaders) => JSON.parse((await post(path, body, headers)).body.toString());

  beforeAll(async () => {
    const dir = tempDir("binship-request-body-");
    writeFileSync(join(dir, "index.ts"), source);
    const built = await runCli(["bundle", "index.ts", "-o", "out.cjs"], { cwd: dir });
    expect(built.code, built.stderr).toBe(0);
    svc = await startService(process.execPath, [join(dir, "out.cjs")]);
  });
  afterAll(() => svc?.stop());

  it("arrayBuffer() is exactly the body, sent in one chunk or in many (never the socket's larger buffer)", async () => {
    const small = Buffer.from("x".repeat(1024));
    expect(await postJson("/array-buffer", small)).toEqual({ isArrayBuffer: true, byteLength: 1024, sha256: sha(small) });
    const big = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    expect(await postJson("/array-buffer", big)).toEqual({ isArrayBuffer: true, byteLength: big.length, sha256: sha(big) });
    expect(await postJson("/array-buffer", "")).toEqual({ isArrayBuffer: true, byteLength: 0, sha256: sha(Buffer.alloc(0)) });
  });

  it("a clone's ArrayBuffer is its own: writing into one read does not change the other", async () => {
    for (const size of [1024, 300_000]) {
      const body = Buffer.alloc(size, 7);
      expect(await postJson("/bytes-twice", body)).toEqual({ first: sha(Buffer.alloc(size, 0)), second: sha(body) });
    }
  });

  it("json() of a bad body is the app's SyntaxError, and the body is then used: a second read is a TypeError", async () => {
    expect(await postJson("/json", '{"a":[1,2]}', { "content-type": "application/json" })).toEqual({ parsed: { a: [1, 2] }, usedAfter: true, again: "TypeError" });
    expect(await postJson("/json", '{"a":', { "content-type": "application/json" })).toEqual({ error: "SyntaxError", usedAfter: true, again: "TypeError" });
    // "UTF-8 decode" drops a leading BOM before JSON.parse sees the text.
    expect((await postJson("/json", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"bom":true}')]))).parsed).toEqual({ bom: true });
  });

  it("a stream read in part is disturbed: arrayBuffer() is then a TypeError, and a second reader gets the rest", async () => {
    const body = Buffer.alloc(2 * 1024 * 1024, 5);
    expect(await postJson("/partial", body)).toEqual({ used: true, arrayBufferAfterRead: "TypeError", total: body.length, sha256: sha(body) });
  });

  it("answers a Uint8Array body read whole with the same bytes and its Content-Length", async () => {
    const body = Buffer.from(Array.from({ length: 4096 }, (_, i) => i & 0xff));
    const res = await post("/reply-bytes", body);
    expect(res.headers["content-length"]).toBe(String(body.length));
    expect(sha(res.body)).toBe(sha(body));
  });

  it("a client that goes away mid-body rejects the app's arrayBuffer(), and the server keeps serving", async () => {
    const req = http.request(`${svc.url}/wait-whole?id=gone`, { method: "POST", agent: false, headers: { "content-length": "100000" } });
    req.on("error", () => {});
    req.write("only the start");
    await new Promise((r) => setTimeout(r, 200));
    req.destroy();
    const { error } = await waitFor("the app to see the early end", async () => {
      const state = JSON.parse((await httpRequest(`${svc.url}/error-of?id=gone`, { method: "POST" })).body.toString());
      return state.error === null ? undefined : state;
    });
    expect(error).toMatch(/ended early|aborted/);
  });

  it("streams a 50 MiB upload through request.body, and an app that stops reading stops the upload (bounded memory)", async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const total = 50;
    const upload = (path: string, onProgress?: (sent: number) => void) => {
      const req = http.request(`${svc.url}${path}`, { method: "POST", agent: false, headers: { "content-length": String(total * chunk.length) } });
      const response = new Promise<http.IncomingMessage>((resolve, reject) => req.once("response", resolve).once("error", reject));
      let sent = 0;
      const more = () => {
        while (sent < total) {
          sent++;
          onProgress?.(sent * chunk.length);
          if (!req.write(chunk)) return void req.once("drain", more);
        }
        req.end();
      };
      more();
      return response.then(async (res) => {
        const out: Buffer[] = [];
        for await (const c of res) out.push(c as Buffer);
        return JSON.parse(Buffer.concat(out).toString());
      });
    };
    const hash = createHash("sha256");
    for (let i = 0; i < total; i++) hash.update(chunk);
    expect(await upload("/stream-count")).toEqual({ bytes: total * chunk.length, sha256: hash.digest("hex") });

    // Held: the client's writes stall once the socket buffers (a few MiB) are full, so the server
    // holds only those, not the body; a server that buffered the upload would take all 50 MiB.
    let accepted = 0;
    let lastChange = Date.now();
    const answer = upload("/stream-held?id=h", (n) => ((accepted = n), (lastChange = Date.now())));
    await waitFor("the upload to stall", () => (Date.now() - lastChange > 400 ? true : undefined), 15_000);
    expect(accepted).toBeLessThan(32 * chunk.length);
    expect(JSON.parse((await httpRequest(`${svc.url}/release?id=h`, { method: "POST" })).body.toString())).toEqual({ held: true });
    expect(await answer).toEqual({ bytes: total * chunk.length });
  });
});
