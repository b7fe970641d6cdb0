// Helpers the event adapters share: query strings, base paths, bodies, headers.

import type { AdapterOptions, HeaderList, HttpResponse } from "./types.js";

type Single = Record<string, string | null | undefined> | null | undefined;
type Multi = Record<string, (string | null)[] | null | undefined> | null | undefined;

/**
 * Multi-value maps hold every value; single-value maps only the last. Both maps can arrive, and
 * not always with the same names (API Gateway REST events seen with a header in `headers` only):
 * the union, the multi-value map winning for a name in both. `caseless`: names compare
 * ignoring case (headers), else exactly (query keys).
 */
export function headerList(single: Single, multi: Multi, caseless = false): HeaderList {
  const out: HeaderList = [];
  const key = caseless ? (n: string) => n.toLowerCase() : (n: string) => n;
  const seen = new Set<string>();
  for (const [name, values] of Object.entries(multi ?? {})) {
    if (!values?.length) continue;
    seen.add(key(name));
    for (const v of values) if (v != null) out.push([name, v]);
  }
  for (const [name, value] of Object.entries(single ?? {})) if (value != null && !seen.has(key(name))) out.push([name, value]);
  return out;
}

/** `encode`: values arrive decoded (API Gateway, Lattice) and must be encoded again; ALB sends them as received. */
export function queryString(single: Single, multi: Multi, encode: boolean): string {
  const e = encode ? encodeURIComponent : (s: string) => s;
  const pairs = headerList(single, multi).map(([k, v]) => `${e(k)}=${e(v)}`);
  return pairs.length ? `?${pairs.join("&")}` : "";
}

export function stripBasePath(path: string, options: AdapterOptions): string {
  const base = options.basePath?.replace(/\/+$/, "");
  if (!base || !(path === base || path.startsWith(`${base}/`))) return path;
  return path.slice(base.length) || "/";
}

export function decodeBody(body: string | null | undefined, base64: boolean | undefined): Buffer | undefined {
  if (body == null || body === "") return undefined;
  return Buffer.from(body, base64 ? "base64" : "utf8");
}

export function header(response: HttpResponse, name: string): string | undefined {
  return response.headers.find(([n]) => n === name)?.[1];
}

/**
 * Text only when the content type is textual and nothing (gzip, br...) encoded it; everything
 * else is base64, because API Gateway, ALB and Lattice pass `body` through as a string.
 */
export function isTextual(response: HttpResponse): boolean {
  const encoding = header(response, "content-encoding");
  if (encoding && encoding !== "identity") return false;
  const type = (header(response, "content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  return (
    type.startsWith("text/") ||
    /^application\/(json|javascript|ecmascript|xml|x-www-form-urlencoded|graphql|x-ndjson|ld\+json)$/.test(type) ||
    /\+(json|xml)$/.test(type) ||
    type === "image/svg+xml"
  );
}

export function encodeBody(response: HttpResponse): { body: string; isBase64Encoded: boolean } {
  if (response.body.length === 0) return { body: "", isBase64Encoded: false };
  return isTextual(response)
    ? { body: response.body.toString("utf8"), isBase64Encoded: false }
    : { body: response.body.toString("base64"), isBase64Encoded: true };
}

export function multiValueHeaders(response: HttpResponse): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of response.headers) (out[name] ??= []).push(value);
  return out;
}

/** "a, b" for repeated headers (RFC 9110 list syntax); Set-Cookie is left to the caller. */
export function joinedHeaders(response: HttpResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of response.headers) {
    if (name === "set-cookie") continue;
    out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  }
  return out;
}

/** Spelling of `name` with letters upper-cased by the bits of n ("set-cookie", "Set-cookie", ...). */
function caseVariant(name: string, n: number): string {
  let bit = 0;
  return name.replace(/[a-z]/gi, (c) => ((n >> bit++) & 1 ? c.toUpperCase() : c.toLowerCase()));
}

/**
 * Single-value header maps (ALB without multi-value headers, Lattice) cannot repeat a key, and
 * one key per cookie would keep only the last cookie. Each cookie gets its own spelling of the
 * header name instead (header names are case-insensitive, so clients see several Set-Cookie
 * headers), and a warning says how to get proper multi-value headers.
 */
export function singleValueHeaders(response: HttpResponse, options: AdapterOptions, how: string): Record<string, string> {
  const out = joinedHeaders(response);
  const cookies = response.headers.filter(([n]) => n === "set-cookie").map(([, v]) => v);
  cookies.forEach((cookie, i) => (out[caseVariant("set-cookie", i)] = cookie));
  if (cookies.length > 1) options.warn(`${cookies.length} Set-Cookie headers sent as case variants of the name; ${how}`);
  return out;
}

export function statusDescription(code: number): string {
  // node:http on first use: only ALB and VPC Lattice answers carry it, and a Fetch app in
  // Lambda mode never loads node:http otherwise.
  const { STATUS_CODES } = process.getBuiltinModule("node:http") as typeof import("node:http");
  return `${code} ${STATUS_CODES[code] ?? "Unknown"}`;
}

export const isObject = (x: unknown): x is Record<string, any> => typeof x === "object" && x !== null;

const percentEncode = (s: string) => Array.from(Buffer.from(s, "utf8"), (b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");

/**
 * The path as it goes on a request line. HTTP API and function URL events deliver `rawPath`
 * decoded (a space, "é", "日本"), which Node refuses in a request (ERR_UNESCAPED_CHARACTERS) and
 * which makes a wrong URL; everything outside RFC 3986's path characters is percent-encoded
 * (UTF-8). A "%" followed by two hex digits is taken as encoded already, so an encoded path
 * (ALB's) passes unchanged.
 */
export function encodePath(path: string): string {
  return path.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]+/g, percentEncode);
}

/**
 * Header values beyond ASCII reach the app as they would over a connection: their UTF-8 bytes,
 * one character per byte (latin1), which is what Node's HTTP parser gives in server mode. Fetch's
 * Headers and Node's HTTP client both accept that; neither accepts characters above U+00FF.
 * `Buffer.from(value, "latin1").toString("utf8")` gives the text back.
 */
export function latin1Value(value: string): string {
  return /[^\x00-\x7f]/.test(value) ? Buffer.from(value, "utf8").toString("latin1") : value;
}

export const usableHost = (host: string | undefined | null): host is string => !!host && /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(host);

/**
 * Hop-by-hop headers (RFC 9110 section 7.6.1) describe the connection between the client and
 * AWS, which the app is not on: an intermediary drops them, and the names Connection lists.
 * One rule for every app (Fetch, listener, self-listening).
 */
const hopByHop = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

/**
 * The request's headers as the app gets them: values latin1-safe, no hop-by-hop headers, and
 * exactly one Host: the event's as sent, else `domainName` from its requestContext, else
 * "localhost". A Host that cannot stand in a URL (function URL test events carry placeholders
 * such as `<url-id>.lambda-url...`) still reaches the app as sent; `urlHost` is then the usable
 * host (domainName, else "localhost") the URL a Fetch app sees is built from.
 */
export function requestHeaders(headers: HeaderList, domainName?: string): { headers: HeaderList; urlHost?: string } {
  const connection = new Set<string>();
  for (const [name, value] of headers) if (name.toLowerCase() === "connection") for (const n of value.split(",")) connection.add(n.trim().toLowerCase());
  const out: HeaderList = [];
  let host: string | undefined;
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower === "host") host ??= value;
    else if (!hopByHop.has(lower) && !connection.has(lower)) out.push([name, latin1Value(value)]);
  }
  const fallback = usableHost(domainName) ? domainName : "localhost";
  out.unshift(["host", host ? latin1Value(host) : fallback]);
  return usableHost(host) || !host ? { headers: out } : { headers: out, urlHost: fallback };
}

/** VPC Lattice sends header and query values as arrays, or (seen in real traffic) as plain strings. */
export function asArrays(record: Record<string, string | string[] | null | undefined> | null | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(record ?? {})) if (value != null) out[name] = Array.isArray(value) ? value : [value];
  return out;
}
