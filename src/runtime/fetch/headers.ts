// Headers as the Fetch standard defines them (https://fetch.spec.whatwg.org/#headers-class),
// without loading undici: names case-insensitive, repeated values combined with ", " ("; " for
// Cookie, as undici does), Set-Cookie kept apart for getSetCookie(), iteration sorted by name.

import { isUndiciInstance } from "./undici.js";

type Init = Iterable<Iterable<string>> | Record<string, string | readonly string[]> | null | undefined;

const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const badValue = /[\0\r\n]/;
const edges = /^[\t\n\r ]+|[\t\n\r ]+$/g;
const notLatin1 = /[^\0-\xff]/;

/** WebIDL's ByteString: any value as a string, refused if a character does not fit in a byte. */
export function byteString(value: unknown, what: string, owner = "Headers"): string {
  if (typeof value === "symbol") throw new TypeError(`${owner}: the ${what} is a symbol, which cannot be converted to a string of bytes`);
  const s = typeof value === "string" ? value : String(value);
  if (notLatin1.test(s)) throw new TypeError(`${owner}: the ${what} "${s}" has a character above U+00FF`);
  return s;
}

function checkName(name: unknown): string {
  const s = byteString(name, "name");
  if (!token.test(s)) throw new TypeError(`Headers: invalid header name "${s}"`);
  return s.toLowerCase();
}

function normalizeValue(value: unknown): string {
  const v = byteString(value, "value").replace(edges, "");
  if (badValue.test(v)) throw new TypeError(`Headers: invalid header value "${v}"`);
  return v;
}

function needArgs(given: number, needed: number, method: string): void {
  if (given < needed) throw new TypeError(`Headers.${method}: ${needed} argument${needed > 1 ? "s" : ""} required, but only ${given} present`);
}

/** A sequence init as the standard converts it, whole, before any header is added. */
function pairsOf(iterate: () => Iterator<unknown>): [string, string][] {
  const out: [string, string][] = [];
  for (const pair of { [Symbol.iterator]: iterate }) {
    if ((typeof pair !== "object" && typeof pair !== "function") || pair === null) throw new TypeError("Headers: each header must be a [name, value] pair");
    const items = Array.from(pair as Iterable<unknown>);
    if (items.length !== 2) throw new TypeError("Headers: each header must be a [name, value] pair");
    out.push([byteString(items[0], "name"), byteString(items[1], "value")]);
  }
  return out;
}

/**
 * A record init as WebIDL converts it: own keys in order, each described and then read in
 * turn, enumerable ones only; an enumerable symbol key is refused.
 */
function recordOf(init: object): [string, string][] {
  const out: [string, string][] = [];
  for (const key of Reflect.ownKeys(init)) {
    const desc = Reflect.getOwnPropertyDescriptor(init, key);
    if (desc === undefined || !desc.enumerable) continue;
    // The key is converted before its value is read: a bad name throws without the read.
    const name = byteString(key, "name");
    out.push([name, byteString((init as Record<string | symbol, unknown>)[key], "value")]);
  }
  return out;
}

type Kind = "key" | "value" | "entry";

// Iterators as WebIDL makes them for a pair-iterable interface: %IteratorPrototype% above,
// an enumerable next(), and live: each step reads the headers as they are now, by position.
const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object;

class HeadersIterator {
  #list: () => [string, string][];
  #kind: Kind;
  #index = 0;

  constructor(list: () => [string, string][], kind: Kind) {
    this.#list = list;
    this.#kind = kind;
  }

  next(): IteratorResult<string | [string, string]> {
    const list = this.#list();
    if (this.#index >= list.length) return { value: undefined, done: true };
    const [name, value] = list[this.#index++]!;
    return { value: this.#kind === "key" ? name : this.#kind === "value" ? value : [name, value], done: false };
  }

  get [Symbol.toStringTag](): string {
    return "Headers Iterator";
  }
}
Object.setPrototypeOf(HeadersIterator.prototype, iteratorPrototype);
Object.defineProperty(HeadersIterator.prototype, "next", { enumerable: true });

export class LightHeaders {
  // lower-case name -> combined value; Set-Cookie lives in `cookies` instead.
  #map = new Map<string, string>();
  #cookies: string[] = [];
  #sorted: [string, string][] | undefined; // the sorted list, until the next change

  constructor(init?: Init) {
    if (init === undefined) return;
    if ((typeof init !== "object" && typeof init !== "function") || init === null) {
      throw new TypeError("Headers: init must be an object, an array of pairs or a Headers");
    }
    const iterate = (init as Partial<Iterable<unknown>>)[Symbol.iterator];
    // Another of ours, iterated the standard way: copying its maps gives the same headers.
    if (#map in init && iterate === LightHeaders.prototype[Symbol.iterator]) {
      const from = init as LightHeaders;
      for (const [k, v] of from.#map) this.#map.set(k, v);
      this.#cookies = from.#cookies.slice();
      return;
    }
    if (iterate !== undefined && iterate !== null && typeof iterate !== "function") throw new TypeError("Headers: init's Symbol.iterator is not a function");
    // A Headers from undici iterates its Set-Cookie values apart, like ours.
    const pairs = typeof iterate === "function" ? pairsOf(() => iterate.call(init) as Iterator<unknown>) : recordOf(init);
    for (const [name, value] of pairs) this.append(name, value);
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
    this.#sorted = undefined;
    if (name === "set-cookie") {
      this.#cookies.push(value);
      return;
    }
    const prev = this.#map.get(name);
    this.#map.set(name, prev === undefined ? value : `${prev}${name === "cookie" ? "; " : ", "}${value}`);
  }

  append(name: string, value: string): void {
    needArgs(arguments.length, 2, "append");
    this.#add(checkName(name), normalizeValue(value));
  }

  set(name: string, value: string): void {
    needArgs(arguments.length, 2, "set");
    const key = checkName(name);
    const v = normalizeValue(value);
    this.#sorted = undefined;
    if (key === "set-cookie") this.#cookies = [v];
    else this.#map.set(key, v);
  }

  delete(name: string): void {
    needArgs(arguments.length, 1, "delete");
    const key = checkName(name);
    this.#sorted = undefined;
    if (key === "set-cookie") this.#cookies = [];
    else this.#map.delete(key);
  }

  get(name: string): string | null {
    needArgs(arguments.length, 1, "get");
    const key = checkName(name);
    if (key === "set-cookie") return this.#cookies.length ? this.#cookies.join(", ") : null;
    return this.#map.get(key) ?? null;
  }

  has(name: string): boolean {
    needArgs(arguments.length, 1, "has");
    const key = checkName(name);
    return key === "set-cookie" ? this.#cookies.length > 0 : this.#map.has(key);
  }

  getSetCookie(): string[] {
    return this.#cookies.slice();
  }

  /** Sorted and combined, each Set-Cookie apart ("sort and combine" in the standard). */
  #list(): [string, string][] {
    if (this.#sorted) return this.#sorted;
    const names = [...this.#map.keys()];
    if (this.#cookies.length) names.push("set-cookie");
    names.sort();
    const out: [string, string][] = [];
    for (const name of names) {
      if (name === "set-cookie") for (const c of this.#cookies) out.push([name, c]);
      else out.push([name, this.#map.get(name)!]);
    }
    return (this.#sorted = out);
  }

  forEach(callback: (value: string, name: string, headers: this) => void, thisArg?: unknown): void {
    if (typeof callback !== "function") throw new TypeError("Headers.forEach: the callback is not a function");
    // By position in the list as it is at each step, like the iterators.
    for (let i = 0; ; i++) {
      const list = this.#list();
      if (i >= list.length) return;
      const [name, value] = list[i]!;
      callback.call(thisArg, value, name, this);
    }
  }

  entries(): IterableIterator<[string, string]> {
    return new HeadersIterator(() => this.#list(), "entry") as unknown as IterableIterator<[string, string]>;
  }

  keys(): IterableIterator<string> {
    return new HeadersIterator(() => this.#list(), "key") as unknown as IterableIterator<string>;
  }

  values(): IterableIterator<string> {
    return new HeadersIterator(() => this.#list(), "value") as unknown as IterableIterator<string>;
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
