// Headers as the Fetch standard defines them (https://fetch.spec.whatwg.org/#headers-class),
// without loading undici: names case-insensitive, repeated values combined with ", " ("; " for
// Cookie, as undici does), Set-Cookie kept apart for getSetCookie(), iteration sorted by name.

import { isUndiciInstance } from "./undici.js";

type Init = Iterable<Iterable<string>> | Record<string, string | readonly string[]> | null | undefined;

const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const badValue = /[\0\r\n]/;
const edges = /^[\t\n\r ]+|[\t\n\r ]+$/g;

function checkName(name: string): string {
  if (!token.test(name)) throw new TypeError(`Headers: invalid header name "${name}"`);
  return name.toLowerCase();
}

function normalizeValue(value: string): string {
  const v = String(value).replace(edges, "");
  if (badValue.test(v)) throw new TypeError(`Headers: invalid header value "${v}"`);
  return v;
}

export class LightHeaders {
  // lower-case name -> combined value; Set-Cookie lives in `cookies` instead.
  #map = new Map<string, string>();
  #cookies: string[] = [];

  constructor(init?: Init) {
    if (init === undefined || init === null) return;
    if (typeof init === "object" && #map in init) {
      const from = init as LightHeaders;
      for (const [k, v] of from.#map) this.#map.set(k, v);
      this.#cookies = from.#cookies.slice();
      return;
    }
    if (typeof init !== "object") throw new TypeError("Headers: init must be an object, an array of pairs or a Headers");
    if (typeof (init as Iterable<unknown>)[Symbol.iterator] === "function") {
      // A Headers from undici iterates its Set-Cookie values apart, like ours.
      for (const pair of init as Iterable<Iterable<string>>) {
        const [name, value, ...rest] = Array.from(pair);
        if (value === undefined || rest.length) throw new TypeError("Headers: each header must be a [name, value] pair");
        this.append(name!, value);
      }
      return;
    }
    for (const name of Object.keys(init)) this.append(name, (init as Record<string, string>)[name]!);
  }

  /** Fills from Node's rawHeaders (names and values already checked by its parser). */
  static fromRaw(raw: readonly string[]): LightHeaders {
    const h = new LightHeaders();
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.charCodeAt(0) === 58) continue; // ":" HTTP/2 pseudo-headers
      h.#add(name.toLowerCase(), raw[i + 1]!.replace(edges, ""));
    }
    return h;
  }

  /** Fills from header pairs, skipping the ones the standard refuses (Lambda events are not checked by anyone). */
  static fromPairs(pairs: Iterable<readonly [string, string]>): LightHeaders {
    const h = new LightHeaders();
    for (const [name, value] of pairs) {
      try {
        h.append(name, value);
      } catch {
        // An app could not have read it through a standard Headers either.
      }
    }
    return h;
  }

  #add(name: string, value: string): void {
    if (name === "set-cookie") {
      this.#cookies.push(value);
      return;
    }
    const prev = this.#map.get(name);
    this.#map.set(name, prev === undefined ? value : `${prev}${name === "cookie" ? "; " : ", "}${value}`);
  }

  append(name: string, value: string): void {
    this.#add(checkName(name), normalizeValue(value));
  }

  set(name: string, value: string): void {
    const key = checkName(name);
    const v = normalizeValue(value);
    if (key === "set-cookie") this.#cookies = [v];
    else this.#map.set(key, v);
  }

  delete(name: string): void {
    const key = checkName(name);
    if (key === "set-cookie") this.#cookies = [];
    else this.#map.delete(key);
  }

  get(name: string): string | null {
    const key = checkName(name);
    if (key === "set-cookie") return this.#cookies.length ? this.#cookies.join(", ") : null;
    return this.#map.get(key) ?? null;
  }

  has(name: string): boolean {
    const key = checkName(name);
    return key === "set-cookie" ? this.#cookies.length > 0 : this.#map.has(key);
  }

  getSetCookie(): string[] {
    return this.#cookies.slice();
  }

  /** Sorted and combined, each Set-Cookie apart ("sort and combine" in the standard). */
  #list(): [string, string][] {
    const names = [...this.#map.keys()];
    if (this.#cookies.length) names.push("set-cookie");
    names.sort();
    const out: [string, string][] = [];
    for (const name of names) {
      if (name === "set-cookie") for (const c of this.#cookies) out.push([name, c]);
      else out.push([name, this.#map.get(name)!]);
    }
    return out;
  }

  forEach(callback: (value: string, name: string, headers: this) => void, thisArg?: unknown): void {
    for (const [name, value] of this.#list()) callback.call(thisArg, value, name, this);
  }

  entries(): IterableIterator<[string, string]> {
    return this.#list()[Symbol.iterator]();
  }

  keys(): IterableIterator<string> {
    return this.#list().map(([n]) => n)[Symbol.iterator]();
  }

  values(): IterableIterator<string> {
    return this.#list().map(([, v]) => v)[Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return "Headers";
  }

  /** Our headers, and undici's (a fetch() response's), are both Headers to the app. */
  static [Symbol.hasInstance](x: unknown): boolean {
    return (typeof x === "object" && x !== null && #map in x) || isUndiciInstance(x, "Headers");
  }

  /** Flat name, value... for writing a response; the Set-Cookie values as one array. */
  static flat(headers: LightHeaders): (string | string[])[] {
    const out: (string | string[])[] = [];
    for (const [k, v] of headers.#map) out.push(k, v);
    if (headers.#cookies.length) out.push("set-cookie", headers.#cookies.slice());
    return out;
  }

  /**
   * Unsorted pairs for writing a response, lower-case names, each Set-Cookie apart. Works on
   * any Headers (a polyfill without getSetCookie joins cookies into one value).
   */
  static pairs(headers: Headers | LightHeaders): [string, string][] {
    if (#map in headers) {
      const out: [string, string][] = [];
      for (const [k, v] of headers.#map) out.push([k, v]);
      for (const c of headers.#cookies) out.push(["set-cookie", c]);
      return out;
    }
    const pairs: [string, string][] = [];
    const split = typeof (headers as Headers).getSetCookie === "function";
    headers.forEach((value, name) => {
      if (name !== "set-cookie" || !split) pairs.push([name, value]);
    });
    if (split) for (const cookie of (headers as Headers).getSetCookie()) pairs.push(["set-cookie", cookie]);
    return pairs;
  }
}
