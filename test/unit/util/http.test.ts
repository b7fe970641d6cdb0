// Deadlines and retries of registry requests, against node:http servers on 127.0.0.1.

import { createServer, type Server } from "node:http";
import { createServer as createNetServer, type Socket } from "node:net";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { backoffMs, defaultNetwork, getText, NetworkError, networkSettings, retryAfterMs, send, type NetworkSettings } from "../../../src/util/http.js";

const fast: NetworkSettings = { connectMs: 500, firstByteMs: 500, idleMs: 500, retries: 1, retryMinMs: 10, retryMaxMs: 50 };
const servers: { server: Server; sockets: Set<Socket> }[] = [];

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  const sockets = new Set<Socket>();
  server.on("connection", (s) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
  servers.push({ server, sockets });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
}

afterEach(async () => {
  for (const { server, sockets } of servers.splice(0)) {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
});

describe("settings", () => {
  it("defaults: connect 10 s, first byte 30 s, idle 30 s, 2 retries", () => {
    expect(networkSettings({})).toEqual(defaultNetwork);
    expect(defaultNetwork).toMatchObject({ connectMs: 10_000, firstByteMs: 30_000, idleMs: 30_000, retries: 2 });
  });

  it("BINSHIP_NETWORK_TIMEOUT wins over npm's fetch-timeout; npm_config_* over .npmrc; bad values are config errors", () => {
    expect(networkSettings({ BINSHIP_NETWORK_TIMEOUT: "3" }, { "fetch-timeout": "60000" })).toMatchObject({ connectMs: 3000, firstByteMs: 3000, idleMs: 3000 });
    expect(networkSettings({ npm_config_fetch_timeout: "2000" }, { "fetch-timeout": "60000" })).toMatchObject({ connectMs: 2000, firstByteMs: 2000, idleMs: 2000 });
    expect(networkSettings({}, { "fetch-retry-mintimeout": "100", "fetch-retry-maxtimeout": "400" })).toMatchObject({ retryMinMs: 100, retryMaxMs: 400 });
    expect(() => networkSettings({ npm_config_fetch_retries: "many" })).toThrow(/npm_config_fetch_retries must be a number/);
  });

  it("backoff doubles with jitter up to the cap; Retry-After is honoured up to the cap", () => {
    const s = { ...defaultNetwork, retryMinMs: 1000, retryMaxMs: 3000 };
    expect(backoffMs(s, 1, undefined, () => 1)).toBe(1000);
    expect(backoffMs(s, 2, undefined, () => 0)).toBe(1000); // 2000 with the lowest jitter
    expect(backoffMs(s, 5, undefined, () => 1)).toBe(3000);
    expect(backoffMs(s, 1, 120_000)).toBe(3000);
    expect(retryAfterMs("2")).toBe(2000);
    expect(retryAfterMs(new Date(Date.now() + 5000).toUTCString(), Date.now())).toBeGreaterThan(3000);
    expect(retryAfterMs("soon")).toBeUndefined();
  });
});

describe("send", () => {
  it("a server that never answers: a first-byte NetworkError after each attempt", async () => {
    let n = 0;
    const url = await serve(() => void n++);
    const err = await send({ method: "GET", url }, fast).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).describe()).toMatch(/did not answer within 0\.5 s \(first byte\); tried 2 times/);
    expect(n).toBe(2);
  });

  it("a body that stalls fails its reader with an idle NetworkError; a reader slower than the server does not", async () => {
    const url = await serve((req, res) => {
      res.writeHead(200, { "content-length": "200000" });
      if (req.url === "/stall") return void res.write("x".repeat(10));
      res.end("y".repeat(200000));
    });
    const stalled = await send({ method: "GET", url: `${url}stall` }, fast);
    await expect(stalled.text()).rejects.toThrow(/stopped sending for 0\.5 s/);
    // The reader waits 1.5 s before it reads: the bytes wait for it, and nothing fires.
    const slow = await send({ method: "GET", url: `${url}whole` }, fast);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await slow.text()).length).toBe(200000);
  });

  it("PUT is not retried on a 503; GET is, and the last answer is returned with its attempts", async () => {
    const seen: string[] = [];
    const url = await serve((req, res) => {
      seen.push(req.method!);
      res.writeHead(503).end();
    });
    expect((await send({ method: "PUT", url, body: Buffer.from("x") }, fast)).status).toBe(503);
    const get = await send({ method: "GET", url }, fast);
    expect([get.status, get.tries]).toEqual([503, 2]);
    expect(seen).toEqual(["PUT", "GET", "GET"]);
  });

  it("a streamed request body arrives whole, with its length", async () => {
    let got = "";
    const url = await serve((req, res) => {
      req.setEncoding("utf8");
      req.on("data", (c: string) => (got += c));
      req.on("end", () => res.writeHead(201, { "x-length": req.headers["content-length"] }).end());
    });
    const body = "z".repeat(300_000);
    const res = await send({ method: "PUT", url, body: { stream: () => Readable.from([Buffer.from(body)]), length: body.length } }, fast);
    expect([res.status, res.headers["x-length"], got.length]).toEqual([201, "300000", 300_000]);
  });

  it("getText decompresses a gzip'd body (registries compress metadata when asked)", async () => {
    const url = await serve((_req, res) => void res.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync('{"name":"x"}')));
    expect(await getText({ url, headers: { "accept-encoding": "gzip" } }, fast, 1 << 20)).toMatchObject({ status: 200, text: '{"name":"x"}', tries: 1 });
  });

  it("https to a server that accepts the connection and never speaks TLS: the first-byte deadline fires", async () => {
    const silent = createNetServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const url = `https://127.0.0.1:${(silent.address() as { port: number }).port}/v2/`;
      const err = await send({ method: "GET", url }, { ...fast, retries: 0 }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/did not answer within 0\.5 s \(first byte\)/);
      const put = await send({ method: "PUT", url, body: Buffer.from("x") }, { ...fast, retries: 0 }).catch((e: unknown) => e);
      expect((put as Error).message).toMatch(/took nothing of the request for 0\.5 s \(idle\)/);
    } finally {
      silent.close();
    }
  });
});
