// The body of a light Request or Response (the Fetch standard's Body mixin): read once,
// bodyUsed, clone(), and the readers apps use. Bodies the runtime already holds whole (a
// string, bytes, a Lambda event's body) are read without any stream; a Node request body is
// read straight off the socket; a web stream is only made when the app asks for `body`.

import type { Readable } from "node:stream";
import * as nodeStream from "node:stream";
import { undici } from "./undici.js";

type Source =
  | { kind: "none" }
  | { kind: "bytes"; data: string | Uint8Array } // complete, in memory
  | { kind: "node"; stream: Readable } // a Node request body not read yet
  | { kind: "shared"; whole: Promise<Buffer> } // a Node body being read for several clones
  | { kind: "stream"; stream: ReadableStream<Uint8Array> }
  | { kind: "blob"; blob: Blob };

/** What a body was made from, after the standard's "extract a body" for the types we handle. */
export interface Extracted {
  source: Source;
  contentType?: string; // the type the standard gives this kind of body, if any
}

const unusable = () => new TypeError("Body is unusable: Body has already been read");

/** undefined for a body type only undici handles (FormData, async iterables...). */
export function extract(body: unknown): Extracted | undefined {
  if (body === null || body === undefined) return { source: { kind: "none" } };
  if (typeof body === "string") return { source: { kind: "bytes", data: body }, contentType: "text/plain;charset=UTF-8" };
  // Bytes are copied, as the standard does: the app changing its buffer later changes nothing.
  if (body instanceof Uint8Array) return { source: { kind: "bytes", data: new Uint8Array(body) } };
  if (body instanceof ArrayBuffer) return { source: { kind: "bytes", data: new Uint8Array(body.slice(0)) } };
  if (ArrayBuffer.isView(body)) return { source: { kind: "bytes", data: new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)) } };
  if (body instanceof URLSearchParams) return { source: { kind: "bytes", data: body.toString() }, contentType: "application/x-www-form-urlencoded;charset=UTF-8" };
  const tag = (body as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
  if (tag === "ReadableStream" && typeof (body as ReadableStream).getReader === "function") {
    const stream = body as ReadableStream<Uint8Array>;
    if (stream.locked || isDisturbed(stream)) throw new TypeError("Response body object should not be disturbed or locked");
    return { source: { kind: "stream", stream } };
  }
  if (tag === "Blob" || tag === "File") {
    const type = (body as Blob).type;
    return { source: { kind: "blob", blob: body as Blob }, contentType: type || undefined };
  }
  return undefined;
}

function toBuffer(data: string | Uint8Array): Buffer {
  return typeof data === "string" ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Reads a Node stream whole; a client that goes away mid-body rejects. A single chunk is handed
 * back as it came: Node's HTTP parser copies each body chunk into an ArrayBuffer of its own, so
 * arrayBuffer() can give that away without another copy. Several are copied once into one.
 */
function readNode(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let ended = false;
    stream.on("data", (c: Buffer) => {
      chunks.push(c);
      length += c.length;
    });
    stream.once("end", () => {
      ended = true;
      resolve(chunks.length === 1 ? chunks[0]! : joined(chunks, length));
    });
    stream.once("error", reject);
    stream.once("close", () => {
      if (!ended) reject(new Error("the request body ended early: the client closed the connection"));
    });
  });
}

/** The chunks in one Buffer that owns its whole ArrayBuffer (not a slice of Node's shared pool). */
function joined(chunks: Buffer[], length: number): Buffer {
  const out = Buffer.allocUnsafeSlow(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * `buf`'s bytes as an ArrayBuffer of their own: the buffer itself when `buf` spans all of it and
 * nothing else holds it (a fresh read), else a copy. A view into a larger buffer (Node's pool, a
 * socket's read buffer) is always copied, so the app never sees bytes beyond its body.
 */
function ownArrayBuffer(buf: Buffer, owned: boolean): ArrayBuffer {
  if (owned && buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) return buf.buffer as ArrayBuffer;
  // One allocation and copy (cheaper than ArrayBuffer.prototype.slice, which zero-fills first).
  return new Uint8Array(buf).buffer;
}

async function readWeb(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return joined(chunks, length);
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    length += value.byteLength;
  }
}

const isDisturbed = (stream: unknown): boolean => (nodeStream as unknown as { isDisturbed(s: unknown): boolean }).isDisturbed(stream);

/**
 * A one-chunk byte stream (a BYOB reader works, as on a standard body) that counts as disturbed
 * only once read (highWaterMark 0: no pull until then). Bytes held whole are enqueued at once,
 * not through `await` of a value: that would call an Object.prototype.then an app defined.
 */
function streamOf(whole: () => Promise<Buffer> | Buffer): ReadableStream<Uint8Array> {
  const push = (controller: ReadableByteStreamController, buf: Buffer) => {
    // A copy: enqueue transfers (detaches) its buffer, and `buf` may be the body's own or pooled.
    if (buf.length) controller.enqueue(new Uint8Array(buf));
    controller.close();
  };
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const buf = whole();
      if (buf instanceof Promise) return buf.then((b) => push(controller, b));
      push(controller, buf);
    },
  }) as ReadableStream<Uint8Array>;
}

function utf8(buf: Buffer): string {
  const s = buf.toString("utf8");
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s; // "UTF-8 decode" drops a BOM
}

export class Body {
  #source: Source;
  #used = false;

  constructor(source: Source) {
    this.#source = source;
  }

  static node(stream: Readable): Body {
    return new Body({ kind: "node", stream });
  }

  static bytes(data: string | Uint8Array): Body {
    return new Body({ kind: "bytes", data });
  }

  /** The body as one string or bytes, if it is held whole and unread; else undefined. */
  whole(): string | Uint8Array | null | undefined {
    if (this.#used) return undefined;
    const s = this.#source;
    return s.kind === "none" ? null : s.kind === "bytes" ? s.data : undefined;
  }

  get isNull(): boolean {
    return this.#source.kind === "none";
  }

  /** The `body` attribute: a web stream, made on first access. */
  get stream(): ReadableStream<Uint8Array> | null {
    const s = this.#source;
    switch (s.kind) {
      case "none":
        return null;
      case "stream":
        return s.stream;
      case "node":
        return this.#becomeStream(nodeStream.Readable.toWeb(s.stream) as ReadableStream<Uint8Array>);
      case "blob":
        return this.#becomeStream(s.blob.stream() as ReadableStream<Uint8Array>);
      case "bytes": {
        const data = s.data;
        return this.#becomeStream(this.#used ? lockedEmpty() : streamOf(() => toBuffer(data)));
      }
      case "shared": {
        const whole = s.whole;
        return this.#becomeStream(streamOf(() => whole));
      }
    }
  }

  #becomeStream(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    this.#source = { kind: "stream", stream };
    return stream;
  }

  get used(): boolean {
    if (this.#used) return true;
    return this.#source.kind === "stream" && isDisturbed(this.#source.stream);
  }

  /** The whole body, once. */
  async bytes(): Promise<Buffer> {
    return (await this.#take()).buf;
  }

  /** The whole body, once, and whether its memory is the body's alone (a fresh read off a Node stream). */
  async #take(): Promise<{ buf: Buffer; owned: boolean }> {
    if (this.used) throw unusable();
    const s = this.#source;
    if (s.kind === "stream" && s.stream.locked) throw new TypeError("Body is unusable: the body stream is locked");
    // A null body is never "used" (there is no stream to disturb), as in undici.
    if (s.kind !== "none") this.#used = true;
    switch (s.kind) {
      case "none":
        return { buf: Buffer.alloc(0), owned: true };
      case "bytes":
        return { buf: toBuffer(s.data), owned: false }; // the app's own string or bytes
      case "node":
        return { buf: await readNode(s.stream), owned: true };
      case "shared":
        return { buf: await s.whole, owned: false }; // every clone reads the same Buffer
      case "stream":
        return { buf: await readWeb(s.stream), owned: true };
      case "blob":
        return { buf: Buffer.from(await s.blob.arrayBuffer()), owned: true };
    }
  }

  async text(): Promise<string> {
    return utf8(await this.bytes());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const { buf, owned } = await this.#take();
    return ownArrayBuffer(buf, owned);
  }

  async uint8Array(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }

  async blob(type: string | null): Promise<Blob> {
    return new Blob([await this.bytes()], { type: type ?? "" });
  }

  /** Parsing multipart and urlencoded bodies is undici's job: this is the one reader that loads it. */
  async formData(type: string | null): Promise<FormData> {
    const buf = await this.bytes();
    const { Response: Real } = undici();
    return new Real(buf, { headers: type ? { "content-type": type } : {} }).formData();
  }

  /** A second body with the same content; this one stays readable too. */
  clone(): Body {
    if (this.used) throw new TypeError("Body has already been consumed: it cannot be cloned");
    const s = this.#source;
    switch (s.kind) {
      case "none":
      case "bytes":
      case "blob":
      case "shared":
        return new Body(s);
      case "node": {
        const shared: Source = { kind: "shared", whole: readNode(s.stream) };
        // Read it even if only one side ever asks, so a failure is not unhandled.
        shared.whole.catch(() => {});
        this.#source = shared;
        return new Body(shared);
      }
      case "stream": {
        const [a, b] = s.stream.tee();
        this.#source = { kind: "stream", stream: a };
        return new Body({ kind: "stream", stream: b });
      }
    }
  }
}

function lockedEmpty(): ReadableStream<Uint8Array> {
  const s = new ReadableStream<Uint8Array>();
  s.getReader();
  return s;
}
