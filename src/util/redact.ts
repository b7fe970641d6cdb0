// The one place that takes secrets out of text before binship prints it: every log line and
// every error message goes through `redact` (log.ts and cli.ts call it at the sink, so no
// message can forget). Two layers, because neither is enough alone: the credentials binship
// has read (registry passwords, tokens, _auth values, Docker logins) are registered here and
// masked wherever they appear, whatever shape the text around them has (an unparseable URL,
// a cause's stack); and text-shaped secrets binship never saw (user:pass@ in any URL, a token
// in a query string, an Authorization header) are masked by pattern.

const secrets = new Set<string>();

/** Secrets shorter than this are not masked by value: "a" or "1" would garble every message. */
const minimumLength = 4;

/** Remembers a credential for the rest of the process, in its raw and percent-decoded forms. */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < minimumLength) return;
  secrets.add(value);
  try {
    const decoded = decodeURIComponent(value);
    if (decoded.length >= minimumLength) secrets.add(decoded);
  } catch {
    // a malformed escape: the raw form is registered
  }
  const encoded = encodeURIComponent(value);
  if (encoded !== value) secrets.add(encoded);
}

const queryKeys = /([?&;](?:[a-z0-9_.-]*(?:token|auth|pass(?:word)?|secret|sig(?:nature)?|credential|key|session)[a-z0-9_.-]*)=)[^&#\s"'<>]*[^&#\s"'<>:,;.)]/gi; // a trailing ":" or "." is the sentence's

/** `text` with every registered secret and every URL credential, query token or auth header masked as "***". */
export function redact(text: string): string {
  let out = text;
  // Longest first: a secret that contains another is masked whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join("***");
  return (
    out
      // scheme://user:password@ -> scheme://user:***@; scheme://token@ -> scheme://***@
      .replace(/([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@]*)@/gi, (_, scheme: string, info: string) => {
        const colon = info.indexOf(":");
        return colon < 0 ? `${scheme}***@` : `${scheme}${info.slice(0, colon)}:***@`;
      })
      .replace(queryKeys, "$1***")
      .replace(/\b(authorization["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token)\s+)?)[^\s"',;]+/gi, "$1***")
      // A credential after its scheme has a digit somewhere; "basic authentication" stays words.
      .replace(/\b(Bearer|Basic) (?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}/g, "$1 ***")
      .replace(/(:_(?:authToken|auth|password)\s*=\s*)\S+/g, "$1***")
  );
}
