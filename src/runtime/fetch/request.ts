// The Request a Fetch app receives (https://fetch.spec.whatwg.org/#request-class), read
// straight from what the runtime has: its URL, method and headers are made only when read,
// and its body is read off the socket (or the Lambda event) only when the app asks for it.
// A Request an app constructs itself is undici's; both pass `instanceof Request`.

import type { Body } from "./body.js";
import { LightHeaders } from "./headers.js";
import { isUndiciInstance, undici } from "./undici.js";

const fromParts = Symbol("parts");

export interface RequestParts {
  method: string;
  url: () => string; // absolute URL, made on first read
  headers: () => LightHeaders; // made on first read
  body: Body | null; // null for GET and HEAD
  signal: () => AbortSignal; // made on first read
}

export class LightRequest {
  #parts!: RequestParts;
  #url: string | undefined;
  #headers: LightHeaders | undefined;
  #signal: AbortSignal | undefined;

  /** An app building its own Request gets undici's, which can do everything a Request can. */
  constructor(input: string | URL | Request | LightRequest | typeof fromParts, init?: RequestInit | RequestParts) {
    if (input === fromParts) {
      this.#parts = init as RequestParts;
      return;
    }
    const from = typeof input === "object" && input !== null && #parts in input ? (input as LightRequest).toUndici() : input;
    return new (undici().Request)(from as string, init as RequestInit) as unknown as LightRequest;
  }

  static create(parts: RequestParts): LightRequest {
    return new LightRequest(fromParts, parts);
  }

  get method(): string {
    return this.#parts.method;
  }
  get url(): string {
    return (this.#url ??= this.#parts.url());
  }
  get headers(): Headers {
    return (this.#headers ??= this.#parts.headers()) as unknown as Headers;
  }
  get signal(): AbortSignal {
    return (this.#signal ??= this.#parts.signal());
  }
  get body(): ReadableStream<Uint8Array> | null {
    return this.#parts.body?.stream ?? null;
  }
  get bodyUsed(): boolean {
    return this.#parts.body?.used ?? false;
  }

  // What undici answers for a request that came from the network to a server.
  get cache(): string {
    return "default";
  }
  get credentials(): string {
    return "same-origin";
  }
  get destination(): string {
    return "";
  }
  get integrity(): string {
    return "";
  }
  get keepalive(): boolean {
    return false;
  }
  get mode(): string {
    return "cors";
  }
  get redirect(): string {
    return "follow";
  }
  get referrer(): string {
    return "about:client";
  }
  get referrerPolicy(): string {
    return "";
  }
  get duplex(): "half" {
    return "half";
  }

  #read(): Body | undefined {
    return this.#parts.body ?? undefined;
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    return this.#read()?.arrayBuffer() ?? new ArrayBuffer(0);
  }
  async bytes(): Promise<Uint8Array> {
    return this.#read()?.uint8Array() ?? new Uint8Array(0);
  }
  async text(): Promise<string> {
    return this.#read()?.text() ?? "";
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
  async blob(): Promise<Blob> {
    const type = this.headers.get("content-type");
    return this.#read()?.blob(type) ?? new Blob([], { type: type ?? "" });
  }
  async formData(): Promise<FormData> {
    const body = this.#read();
    if (!body) throw new TypeError("Request.formData: the request has no body");
    return body.formData(this.headers.get("content-type"));
  }

  clone(): LightRequest {
    const parts = this.#parts;
    const headers = new LightHeaders(this.headers as unknown as LightHeaders);
    return LightRequest.create({ method: parts.method, url: () => this.url, headers: () => headers, body: parts.body?.clone() ?? null, signal: () => this.signal });
  }

  /** undici's Request with the same content, for code that needs undici's own (fetch(request)). */
  toUndici(): Request {
    const body = this.body;
    return new (undici().Request)(this.url, {
      method: this.method,
      headers: [...(this.headers as unknown as LightHeaders)],
      signal: this.signal,
      body: body ?? undefined,
      duplex: body ? "half" : undefined,
    } as RequestInit);
  }

  get [Symbol.toStringTag](): string {
    return "Request";
  }

  static isLight(x: unknown): x is LightRequest {
    return typeof x === "object" && x !== null && #parts in x;
  }

  static [Symbol.hasInstance](x: unknown): boolean {
    return LightRequest.isLight(x) || isUndiciInstance(x, "Request");
  }
}
