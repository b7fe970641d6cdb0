// Node request listeners (Express, Fastify, plain http handlers) served without a port: the
// request goes through Node's own HTTP client and server over an in-memory stream pair, so
// the app sees a real IncomingMessage/ServerResponse and nothing listens on the network.
// Modules that listen themselves are reached the same way over loopback.

import type http from "node:http";
import { Duplex } from "node:stream";
import type { NodeListener } from "../../contract.js";
import { callListener } from "../../listener.js";
import type { HttpRequest } from "./types.js";

// node:http when a listener app is first served: a Fetch app in Lambda mode never needs it.
const loadHttp = (): typeof http => process.getBuiltinModule("node:http") as typeof http;

export interface AppResponse {
  statusCode: number;
  headers: [string, string][]; // lower-case names, repeats apart
  body: AsyncIterable<Uint8Array> | null;
}

/** Two connected in-memory sockets: what one writes, the other reads. */
function socketPair(remoteAddress: string): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const end = (i: number) =>
    new Duplex({
      read() {},
      write(chunk, _encoding, done) {
        ends[1 - i]!.push(chunk);
        done();
      },
      final(done) {
        ends[1 - i]!.push(null);
        done();
      },
    });
  ends.push(end(0), end(1));
  // Express's req.ip and friends read the peer address from the socket.
  Object.assign(ends[1]!, { remoteAddress, remotePort: 0, encrypted: false });
  return ends as [Duplex, Duplex];
}

// Hop-by-hop headers belong to the hop between the client and AWS; the body is re-framed here.
const dropped = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "te", "trailer", "proxy-connection"]);

function outgoingHeaders(req: HttpRequest): Record<string, string | string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of req.headers) {
    const key = name.toLowerCase();
    if (!dropped.has(key)) (out[key] ??= []).push(value);
  }
  out.host = [out.host?.[0] ?? "localhost"]; // one Host, always
  if (req.body) out["content-length"] = [String(req.body.length)];
  const flat: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(out)) flat[name] = values.length === 1 ? values[0]! : values;
  return flat;
}

function headerPairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}

function send(options: http.RequestOptions, req: HttpRequest, cleanup: () => void): Promise<AppResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = loadHttp().request({ ...options, method: req.method, path: req.url, headers: outgoingHeaders(req), setHost: false }, (res) => {
      res.once("end", cleanup);
      res.once("close", cleanup);
      resolve({ statusCode: res.statusCode ?? 500, headers: headerPairs(res.rawHeaders).filter(([n]) => !dropped.has(n) || n === "content-length"), body: res });
    });
    // Node's client would add "Connection: close" or "keep-alive", a header the event never had
    // and the app should not see; without one, HTTP/1.1 means keep-alive, and cleanup closes the pair.
    outgoing.removeHeader("connection");
    outgoing.once("error", (err) => {
      cleanup();
      reject(err);
    });
    outgoing.end(req.body);
  });
}

/** A function that serves one request through `listener` in memory. */
export function inMemory(listener: NodeListener): (req: HttpRequest) => Promise<AppResponse> {
  // Never listening: it only parses what arrives on the in-memory sockets handed to it.
  const server = loadHttp().createServer((req, res) => callListener(listener, req, res));
  return (req) => {
    const [client, serverEnd] = socketPair(req.sourceIp ?? "127.0.0.1");
    server.emit("connection", serverEnd);
    const cleanup = () => {
      client.destroy();
      serverEnd.destroy();
    };
    return send({ createConnection: () => client as unknown as import("node:net").Socket }, req, cleanup);
  };
}

/** A function that forwards one request to a server the module started on `port`. */
export function overLoopback(port: number): (req: HttpRequest) => Promise<AppResponse> {
  const agent = new (loadHttp().Agent)({ keepAlive: true });
  return (req) => send({ host: "127.0.0.1", port, agent }, req, () => {});
}
