// The npm registry and token the user's npm would use, read the way npm reads them: the
// npm_config_registry environment variable, then the project .npmrc, then the user .npmrc
// ($NPM_CONFIG_USERCONFIG or ~/.npmrc). Tokens are "//host/path/:_authToken=..." lines
// matched by URL prefix, and ${VAR} is expanded from the environment (npm docs, "npmrc").
// Basic auth comes from credentials in the registry URL (https://user:password@host/), which
// fetch() refuses to send from the URL itself, or from "//host/path/:_auth" (base64 of
// user:password) and "//host/path/:username" + ":_password" (base64) lines. Credentials never
// appear in a message: the URL binship keeps and prints has them removed, and `redact` masks
// any that come from elsewhere.

import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface RegistryConfig {
  url: string; // registry base URL, ending in "/", without credentials
  tokens: Record<string, string>; // "//host/path/" -> bearer token
  basic?: Record<string, string>; // "//host/path/" -> base64 of "user:password"
}

export const defaultRegistry = "https://registry.npmjs.org/";

function parseNpmrc(text: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const value = line
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1")
      .replace(/\$\{([^}]+)\}/g, (_, name: string) => env[name] ?? "");
    out[line.slice(0, eq).trim()] = value;
  }
  return out;
}

function readNpmrc(file: string, env: NodeJS.ProcessEnv): Record<string, string> {
  try {
    return parseNpmrc(readFileSync(file, "utf8"), env);
  } catch {
    return {};
  }
}

const withSlash = (url: string) => (url.endsWith("/") ? url : `${url}/`);

/** Registry URL and tokens from env and .npmrc files; the nearest definition wins. */
export function registryFromNpmConfig(env: NodeJS.ProcessEnv, cwd: string): RegistryConfig {
  const home = env.HOME ?? homedir();
  const user = readNpmrc(env.NPM_CONFIG_USERCONFIG ?? env.npm_config_userconfig ?? join(home, ".npmrc"), env);
  const project = readNpmrc(join(cwd, ".npmrc"), env);
  const merged = { ...user, ...project };
  const given = withoutCredentials(withSlash(env.npm_config_registry ?? env.NPM_CONFIG_REGISTRY ?? merged.registry ?? defaultRegistry));
  const tokens: Record<string, string> = {};
  const basic: Record<string, string> = {};
  for (const [key, value] of Object.entries(merged)) {
    const m = /^(\/\/.+\/):(_authToken|_auth|username)$/.exec(key);
    if (!m || !value) continue;
    if (m[2] === "_authToken") tokens[m[1]!] = value;
    else if (m[2] === "_auth") basic[m[1]!] = value;
    else if (merged[`${m[1]}:_password`]) basic[m[1]!] = Buffer.from(`${value}:${Buffer.from(merged[`${m[1]}:_password`]!, "base64").toString("utf8")}`).toString("base64");
  }
  if (given.basic) basic[given.url.replace(/^https?:/, "")] = given.basic;
  return { url: given.url, tokens, ...(Object.keys(basic).length ? { basic } : {}) };
}

/** The URL without "user:password@", and those credentials as a basic auth value. */
export function withoutCredentials(url: string): { url: string; basic?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  if (!parsed.username && !parsed.password) return { url };
  const basic = Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString("base64");
  parsed.username = "";
  parsed.password = "";
  return { url: parsed.href, basic };
}

/** Masks the password of every "scheme://user:password@" in a text: "scheme://user:***@". */
export function redact(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]*@/gi, "$1:***@");
}

/** The longest "//host/path/" prefix of `url` among `keys`. */
function longestPrefix(keys: string[], url: string): string | undefined {
  const bare = url.replace(/^https?:/, "");
  let best: string | undefined;
  for (const prefix of keys) if (bare.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
  return best;
}

/** The Authorization header npm would send to `url`: a token, else basic credentials, for the longest matching prefix. */
export function authorizationFor(registry: RegistryConfig, url: string): string | undefined {
  const token = tokenFor(registry, url);
  const basicKey = longestPrefix(Object.keys(registry.basic ?? {}), url);
  const tokenKey = longestPrefix(Object.keys(registry.tokens), url);
  if (token && (basicKey === undefined || (tokenKey ?? "").length >= basicKey.length)) return `Bearer ${token}`;
  return basicKey === undefined ? undefined : `Basic ${registry.basic![basicKey]}`;
}

/** The bearer token npm would send to `url`: the longest "//host/path/" prefix that matches. */
export function tokenFor(registry: RegistryConfig, url: string): string | undefined {
  const bare = url.replace(/^https?:/, "");
  let best: string | undefined;
  for (const prefix of Object.keys(registry.tokens)) {
    if (bare.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
  }
  return best === undefined ? undefined : registry.tokens[best];
}

/**
 * npm's default replace-registry-host=npmjs: tarball URLs on registry.npmjs.org are fetched
 * from the configured registry instead, so a mirror serves the bytes too.
 */
export function tarballUrl(registry: RegistryConfig, url: string): string {
  const publicHost = "https://registry.npmjs.org/";
  if (registry.url === publicHost || !url.startsWith(publicHost)) return url;
  return registry.url + url.slice(publicHost.length);
}
