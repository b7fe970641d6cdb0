// What a fetch app returned, checked and read the same way in server mode and Lambda mode.

import { LightHeaders } from "./fetch/headers.js";
import { LightResponse } from "./fetch/response.js";

/** By shape, not instanceof: a Response from a polyfill or another realm is just as good. */
function isResponse(value: unknown): value is Response {
  const r = value as Response | null;
  return typeof r === "object" && r !== null && typeof r.status === "number" && typeof r.headers?.forEach === "function" && "body" in r;
}

const describeValue = (v: unknown) => (v === null ? "null" : typeof v === "object" ? `an object (${Object.keys(v as object).join(", ") || "no keys"})` : typeof v);

export function checkResponse(value: unknown): Response {
  // Ours are Responses without a look at their headers (which would build them).
  if (LightResponse.isLight(value)) return value as unknown as Response;
  if (!isResponse(value)) throw new TypeError(`fetch() returned ${describeValue(value)}, not a Response`);
  return value;
}

/** Header pairs with each Set-Cookie apart (a polyfilled Headers without getSetCookie joins them). */
export function responseHeaders(response: Response): [string, string][] {
  return LightHeaders.pairs(response.headers);
}
