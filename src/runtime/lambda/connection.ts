// A minimal HTTP/1.1 client for the Runtime API: one TCP connection, kept open, one request at
// a time (the API is answered in order). node:http's client costs more per request than the
// whole rest of an invocation, and every cold start and invocation pays for it; the Runtime
// API needs only this much: Content-Length or chunked bodies, chunked request bodies with
// trailers for streaming. The socket is unref'd while idle, so a handler that leaves nothing
// to run still lets Node notice (beforeExit).

import net from "node:net";

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>; // lower-case names
  body: Buffer;
}

/** A request whose body is sent in chunks (Transfer-Encoding: chunked). */
export interface ChunkedRequest {
  write(chunk: Uint8Array, done: (err?: Error | null) => void): void;
  end(trailers?: Record<string, string>): void;
  answered: Promise<HttpAnswer>;
}

const crlf = Buffer.from("\r\n");

function head(method: string, path: string, host: string, headers: Record<string, string>): string {
  let text = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\nuser-agent: binship\r\n`;
  for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
  return `${text}\r\n`;
}

/**
 * Parses one response from `data`: the answer, or while incomplete the total size needed
 * when the head says it (Content-Length), else 0.
 */
function parse(data: Buffer): { answer: HttpAnswer; rest: Buffer } | number {
  const end = data.indexOf("\r\n\r\n");
  if (end < 0) return 0;
  const lines = data.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(lines[0]!.split(" ")[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let at = end + 4;
  if (headers["transfer-encoding"]?.toLowerCase().includes("chunked")) {
    const parts: Buffer[] = [];
    for (;;) {
      const eol = data.indexOf(crlf, at);
      if (eol < 0) return 0;
      const size = parseInt(data.subarray(at, eol).toString("latin1"), 16);
      if (size === 0) {
        const done = data.indexOf("\r\n\r\n", eol);
        if (done < 0) return 0;
        return { answer: { status, headers, body: Buffer.concat(parts) }, rest: data.subarray(done + 4) };
      }
      if (data.length < eol + 2 + size + 2) return 0;
      parts.push(data.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
  }
  const length = Number(headers["content-length"] ?? 0);
  if (data.length < at + length) return at + length;
  return { answer: { status, headers, body: data.subarray(at, at + length) }, rest: data.subarray(at + length) };
}

export function createConnection(host: string, port: number) {
  let socket: net.Socket | undefined;
  let chunks: Buffer[] = []; // received, not yet parsed
  let size = 0;
  let need = 0; // bytes the response in progress needs in all, when known
  let pending: { resolve: (a: HttpAnswer) => void; reject: (e: Error) => void } | undefined;
  let turn: Promise<unknown> = Promise.resolve(); // requests wait for the one before to be answered

  const fail = (err: Error) => {
    socket?.destroy();
    socket = undefined;
    chunks = [];
    size = need = 0;
    const p = pending;
    pending = undefined;
    p?.reject(err);
  };

  const connected = (): net.Socket => {
    if (socket) return socket;
    const s = net.connect({ host, port, noDelay: true });
    s.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (!pending || size < need) return; // a large event: wait for all of it before parsing again
      const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const parsed = parse(data);
      if (typeof parsed === "number") {
        chunks = [data];
        need = parsed;
        return;
      }
      chunks = parsed.rest.length ? [parsed.rest] : [];
      size = parsed.rest.length;
      need = 0;
      const p = pending!;
      pending = undefined;
      s.unref();
      if (parsed.answer.headers.connection?.toLowerCase() === "close") fail(new Error("closed"));
      p.resolve(parsed.answer);
    });
    s.on("error", fail);
    s.on("close", () => {
      if (socket === s) fail(new Error("the Runtime API closed the connection"));
    });
    socket = s;
    return s;
  };

  /** Waits for the previous request, then sends this one's head (and body) and awaits the answer. */
  const exchange = (first: Buffer, after?: (s: net.Socket) => void): Promise<HttpAnswer> => {
    const answered = turn.then(
      () =>
        new Promise<HttpAnswer>((resolve, reject) => {
          const s = connected();
          pending = { resolve, reject };
          s.ref();
          s.write(first);
          after?.(s);
        }),
    );
    turn = answered.catch(() => {});
    return answered;
  };

  return {
    request(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<HttpAnswer> {
      const text = head(method, path, `${host}:${port}`, { ...headers, "content-length": String(body?.length ?? 0) });
      return exchange(body?.length ? Buffer.concat([Buffer.from(text, "latin1"), body]) : Buffer.from(text, "latin1"));
    },

    chunked(method: string, path: string, headers: Record<string, string>): ChunkedRequest {
      let ready!: (s: net.Socket) => void;
      const open = new Promise<net.Socket>((resolve) => (ready = resolve));
      const answered = exchange(Buffer.from(head(method, path, `${host}:${port}`, { ...headers, "transfer-encoding": "chunked" }), "latin1"), ready);
      answered.catch(() => ready(undefined as unknown as net.Socket));
      return {
        answered,
        write(chunk, done) {
          if (chunk.length === 0) return done(); // a zero-size chunk would end the body
          open.then((s) => (s ? s.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, crlf]), (err) => done(err ?? null)) : done(new Error("the Runtime API connection failed"))));
        },
        end(trailers = {}) {
          const lines = Object.entries(trailers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
          void open.then((s) => s?.write(`0\r\n${lines}\r\n`));
        },
      };
    },
  };
}
