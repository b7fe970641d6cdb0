// The absolute URL of a request from its scheme, Host header and request target, as the
// WHATWG URL parser would write it. Most requests (a plain host, a path of URL-safe
// characters) are already in that form and skip the parser, which costs more than the rest
// of building the request.

const plainHost = /^(?:[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)*|(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))(?::([1-9]\d{0,4}))?$/;
const defaultPort: Record<string, string> = { http: "80", https: "443" };

// Characters the parser keeps as they are in a path or query: letters, digits, -._~!$&()*+,;=:@/?%
const safe = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&()*+,;=:@/?%") safe[c.charCodeAt(0)] = 1;

/** A target starting with "/", of safe characters only, with no dot segment ("/." or "%2e") and no fragment. */
function isPlainTarget(target: string): boolean {
  if (target.charCodeAt(0) !== 47) return false;
  for (let i = 1; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c > 127 || safe[c] === 0) return false;
    if (c === 46 && target.charCodeAt(i - 1) === 47) return false; // "/."
    if (c === 37 && target.charCodeAt(i + 1) === 50 && (target.charCodeAt(i + 2) | 32) === 101) return false; // "%2e"
  }
  return true;
}

// Requests on a connection name the same host: its check is remembered.
let lastScheme = "";
let lastHost = "";
let lastHostPlain = false;

function isPlainHost(scheme: string, host: string): boolean {
  if (host === lastHost && scheme === lastScheme) return lastHostPlain;
  const m = plainHost.exec(host);
  lastScheme = scheme;
  lastHost = host;
  lastHostPlain = m !== null && (m[1] === undefined || (m[1] !== defaultPort[scheme] && Number(m[1]) <= 65535));
  return lastHostPlain;
}

/** `target` is the path and query the client sent; a missing or malformed host falls back to localhost. */
export function absoluteUrl(scheme: string, host: string | undefined, target: string): string {
  const h = host ?? "localhost";
  if (isPlainTarget(target) && isPlainHost(scheme, h)) return `${scheme}://${h}${target}`;
  try {
    return new URL(target, `${scheme}://${h}`).href;
  } catch {
    return new URL(target.startsWith("/") ? target : `/${target}`, `${scheme}://localhost`).href;
  }
}
