// The absolute URL of a request from its scheme, Host header and request target, as the
// WHATWG URL parser would write it. Most requests (a plain host, a path of URL-safe
// characters) are already in that form and skip the parser, which costs more than the rest
// of building the request.

const plainHost = /^(?:[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)*|(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))(?::([1-9]\d{0,4}))?$/;
// No dot segments, no characters the parser would percent-encode, no fragment.
const plainTarget = /^\/(?!.*(?:\/\.|%2e))[a-z0-9\-._~!$&()*+,;=:@/?%]*$/i;
const defaultPort: Record<string, string> = { http: "80", https: "443" };

/** `target` is the path and query the client sent; a missing or malformed host falls back to localhost. */
export function absoluteUrl(scheme: string, host: string | undefined, target: string): string {
  const h = host ?? "localhost";
  const m = plainHost.exec(h);
  if (m && plainTarget.test(target) && (m[1] === undefined || (m[1] !== defaultPort[scheme] && Number(m[1]) <= 65535))) {
    return `${scheme}://${h}${target}`;
  }
  try {
    return new URL(target, `${scheme}://${h}`).href;
  } catch {
    return new URL(target.startsWith("/") ? target : `/${target}`, `${scheme}://localhost`).href;
  }
}
