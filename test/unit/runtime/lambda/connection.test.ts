// The runtime's own HTTP/1.1 client against a raw TCP server that answers the way a Runtime API
// might: chunked bodies split across packets, large bodies, a closed connection, chunked uploads
// with trailers.

import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createConnection } from "../../../../src/runtime/lambda/connection.js";

let server: net.Server | undefined;
const open = new Set<net.Socket>();
afterEach(async () => {
  // The client keeps its connection open (that is the point); end it from the server side.
  for (const socket of open) socket.destroy();
  open.clear();
  if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = undefined;
});

/** A server that hands each request's raw bytes to `answer`, which writes the reply. */
async function rawServer(answer: (request: string, socket: net.Socket, n: number) => void): Promise<number> {
  let n = 0;
  server = net.createServer((socket) => {
    open.add(socket);
    let data = "";
    socket.on("data", (d) => {
      data += d.toString("latin1");
      // A request is complete at the blank line (GET) or at the chunked body's last chunk.
      const done = data.includes("transfer-encoding: chunked") ? /\r\n0\r\n(.*\r\n)*\r\n$/.test(data) : data.endsWith("\r\n\r\n") || /content-length: [1-9]/.test(data);
      if (!done) return;
      const request = data;
      data = "";
      answer(request, socket, n++);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return (server.address() as net.AddressInfo).port;
}

describe("runtime connection", () => {
  it("reads a chunked body that arrives in pieces", async () => {
    const port = await rawServer((_req, socket) => {
      const parts = ["HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nlambda-runtime-aws-request-id: r1\r\n\r\n5\r\nhel", "lo\r\n6\r\n world\r\n0\r\n\r\n"];
      socket.write(parts[0]!);
      setImmediate(() => socket.write(parts[1]!));
    });
    const answer = await createConnection("127.0.0.1", port).request("GET", "/next");
    expect(answer.status).toBe(200);
    expect(answer.headers["lambda-runtime-aws-request-id"]).toBe("r1");
    expect(answer.body.toString()).toBe("hello world");
  });

  it("reads a 5 MB Content-Length body written in many packets, and reuses the socket", async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 0x61);
    const sockets = new Set<net.Socket>();
    const port = await rawServer((_req, socket) => {
      sockets.add(socket);
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${big.length}\r\n\r\n`);
      for (let at = 0; at < big.length; at += 65536) socket.write(big.subarray(at, at + 65536));
    });
    const connection = createConnection("127.0.0.1", port);
    expect((await connection.request("GET", "/a")).body.equals(big)).toBe(true);
    expect((await connection.request("GET", "/b")).body.length).toBe(big.length);
    expect(sockets.size).toBe(1);
  });

  it("opens a new connection after the server said Connection: close", async () => {
    const sockets = new Set<net.Socket>();
    const port = await rawServer((_req, socket) => {
      sockets.add(socket);
      socket.end("HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
    });
    const connection = createConnection("127.0.0.1", port);
    expect((await connection.request("POST", "/x", {}, Buffer.from("{}"))).status).toBe(202);
    expect((await connection.request("POST", "/y", {}, Buffer.from("{}"))).status).toBe(202);
    expect(sockets.size).toBe(2);
  });

  it("sends a chunked body with trailers, each write as its own chunk", async () => {
    let seen = "";
    const port = await rawServer((req, socket) => {
      seen = req;
      socket.write("HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n");
    });
    const request = createConnection("127.0.0.1", port).chunked("POST", "/stream", { trailer: "x-error" });
    await new Promise((r) => request.write(Buffer.from("ab"), r));
    await new Promise((r) => request.write(Buffer.alloc(0), r)); // must not end the body
    await new Promise((r) => request.write(Buffer.from("cde"), r));
    request.end({ "x-error": "none" });
    expect((await request.answered).status).toBe(202);
    expect(seen.slice(seen.indexOf("\r\n\r\n") + 4)).toBe("2\r\nab\r\n3\r\ncde\r\n0\r\nx-error: none\r\n\r\n");
  });

  it("rejects a request when the connection cannot be made", async () => {
    const port = await rawServer(() => {});
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    await expect(createConnection("127.0.0.1", port).request("GET", "/next")).rejects.toThrow();
  });
});
