// A Response as the Fetch standard defines it (https://fetch.spec.whatwg.org/#response-class)
// for the bodies apps return (strings, bytes, JSON, web streams, Blobs), without undici. A body
// only undici can extract (FormData, async iterables) gets undici's own Response instead.

import { Body, extract } from "./body.js";
import { byteString, LightHeaders } from "./headers.js";
import { isUndiciInstance, undici } from "./undici.js";

const jsonMark = Symbol("json");
const nullBodyStatus = new Set([101, 103, 204, 205, 304]);
const redirectStatus = new Set([301, 302, 303, 307, 308]);

export interface LightResponseInit {
  status?: number;
  statusText?: string;
  headers?: ConstructorParameters<typeof LightHeaders>[0];
}

export class LightResponse {
  readonly status!: number;
  readonly statusText!: string;
  #headers: LightHeaders | undefined;
  #headersInit: LightResponseInit["headers"];
  #contentType: string | undefined; // the body's default Content-Type, applied with the headers
  #body!: Body;

  /** `jsonType` is for Response.json() only: its body's type is JSON, not text. */
  constructor(body?: unknown, init?: LightResponseInit, jsonType?: typeof jsonMark) {
    if (init !== undefined && init !== null && typeof init !== "object" && typeof init !== "function") {
      throw new TypeError("Response constructor: init must be an object (a ResponseInit), null or undefined");
    }
    const status = init?.status === undefined ? 200 : unsignedShort(init.status);
    if (status < 200 || status > 599) throw new RangeError(`init["status"] must be in the range of 200 to 599, inclusive.`);
    const statusText = init?.statusText === undefined ? "" : reasonPhrase(init.statusText);
    const extracted = extract(body);
    // undici's Response for what we cannot read ourselves; it is still `instanceof Response`.
    if (!extracted) return new (undici().Response)(body as string, init as ResponseInit) as unknown as LightResponse;
    if (extracted.source.kind !== "none" && nullBodyStatus.has(status)) {
      throw new TypeError(`Response constructor: Invalid response status code ${status}`);
    }
    this.status = status;
    this.statusText = statusText;
    this.#headersInit = init?.headers;
    this.#contentType = jsonType === jsonMark ? "application/json" : extracted.contentType;
    this.#body = new Body(extracted.source);
    // Checked now, like the standard: a bad header name fails at construction, not at write.
    if (this.#headersInit !== undefined && !isPlainStringRecord(this.#headersInit)) this.#materializeHeaders();
  }

  #materializeHeaders(): LightHeaders {
    if (!this.#headers) {
      const h = new LightHeaders(this.#headersInit);
      if (this.#contentType && !h.has("content-type")) h.set("content-type", this.#contentType);
      this.#headers = h;
      this.#headersInit = undefined;
    }
    return this.#headers;
  }

  get headers(): Headers {
    return this.#materializeHeaders() as unknown as Headers;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }
  get type(): string {
    return "default";
  }
  get url(): string {
    return "";
  }
  get redirected(): boolean {
    return false;
  }
  get body(): ReadableStream<Uint8Array> | null {
    return this.#body.stream;
  }
  get bodyUsed(): boolean {
    return this.#body.used;
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#body.arrayBuffer();
  }
  bytes(): Promise<Uint8Array> {
    return this.#body.uint8Array();
  }
  text(): Promise<string> {
    return this.#body.text();
  }
  json(): Promise<unknown> {
    return this.#body.json();
  }
  blob(): Promise<Blob> {
    return this.#body.blob(this.headers.get("content-type"));
  }
  formData(): Promise<FormData> {
    return this.#body.formData(this.headers.get("content-type"));
  }

  clone(): LightResponse {
    const copy = new LightResponse(null, { status: this.status, statusText: this.statusText });
    copy.#headers = new LightHeaders(this.headers as unknown as LightHeaders);
    copy.#body = this.#body.clone();
    return copy;
  }

  get [Symbol.toStringTag](): string {
    return "Response";
  }

  static json(data: unknown, init?: LightResponseInit): LightResponse {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError("Response.json: the data is not serializable to JSON");
    return new LightResponse(text, init, jsonMark);
  }

  static redirect(url: string | URL, status = 302): LightResponse {
    if (!redirectStatus.has(status)) throw new RangeError(`Invalid status code ${status}`);
    return new LightResponse(null, { status, headers: { location: new URL(String(url)).href } });
  }

  static error(): Response {
    return undici().Response.error();
  }

  static isLight(x: unknown): x is LightResponse {
    return typeof x === "object" && x !== null && #body in x;
  }

  static [Symbol.hasInstance](x: unknown): boolean {
    return LightResponse.isLight(x) || isUndiciInstance(x, "Response");
  }

  /**
   * What the writer needs to send this response in one piece, or undefined when the body is
   * not held whole (a stream, a Blob, or already read) or `x` is not one of ours.
   */
  static whole(x: unknown): WholeResponse | undefined {
    if (typeof x !== "object" || x === null || !(#body in x)) return undefined;
    const r = x as LightResponse;
    const body = r.#body.whole();
    if (body === undefined) return undefined;
    if (r.#headers) {
      const headers = LightHeaders.flat(r.#headers);
      return { status: r.status, statusText: r.statusText, headers, sized: r.#headers.has("content-length"), body };
    }
    // Straight from a { name: value } init (Hono's c.json), without building a Headers.
    const headers: (string | string[])[] = [];
    const init = r.#headersInit as Record<string, string> | undefined;
    let typed = false;
    let sized = false;
    if (init) {
      for (const name of Object.keys(init)) {
        const key = name.toLowerCase();
        if (key === "content-type") typed = true;
        else if (key === "content-length") sized = true;
        headers.push(key, init[name]!);
      }
    }
    if (!typed && r.#contentType) headers.push("content-type", r.#contentType);
    return { status: r.status, statusText: r.statusText, headers, sized, body };
  }
}

/** A response held whole, as the writers send it. */
export interface WholeResponse {
  status: number;
  statusText: string;
  // Flat: name, value, name, value... with lower-case names; Set-Cookie once, with all its
  // values in an array (the form Node's writeHead and setHeader both keep apart).
  headers: (string | string[])[];
  sized: boolean; // a Content-Length is among the headers
  body: string | Uint8Array | null;
}

/** WebIDL's unsigned short conversion: "201" is 201, 202.7 is 202, modulo 2^16. */
function unsignedShort(value: unknown): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return 0;
  const int = Math.trunc(n) % 65536;
  return int < 0 ? int + 65536 : int;
}

// HTTP's reason-phrase: tab, space, visible ASCII and obs-text (RFC 9112, section 4).
const notReasonPhrase = /[^\t\x20-\x7e\x80-\xff]/;

function reasonPhrase(value: unknown): string {
  const s = byteString(value, 'init["statusText"]', "Response constructor");
  if (notReasonPhrase.test(s)) throw new TypeError(`Response constructor: init["statusText"] "${s}" is not a valid reason phrase (no control characters such as CR or LF)`);
  return s;
}

// Header names already found valid: apps send the same few on every response.
const validNames = new Set<string>();
const tokenName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const untrimmedOrBad = /^[\t ]|[\t ]$|[\0\r\n]|[^\0-\xff]/;

/** { name: value } with string values and names that need no checking beyond what Node does on write. */
function isPlainStringRecord(init: unknown): boolean {
  if (typeof init !== "object" || init === null || Object.getPrototypeOf(init) !== Object.prototype) return false;
  for (const name of Object.keys(init)) {
    const v = (init as Record<string, unknown>)[name];
    if (typeof v !== "string" || untrimmedOrBad.test(v)) return false;
    if (!validNames.has(name)) {
      if (!tokenName.test(name)) return false;
      if (validNames.size < 256) validNames.add(name);
    }
  }
  return true;
}
