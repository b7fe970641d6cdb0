// The npm registry and token the user's npm would use, read the way npm reads them: the
// npm_config_registry environment variable, then the project .npmrc, then the user .npmrc
// ($NPM_CONFIG_USERCONFIG or ~/.npmrc). Tokens are "//host/path/:_authToken=..." lines
// matched by URL prefix, and ${VAR} is expanded from the environment (npm docs, "npmrc").
// Basic auth comes from credentials in the registry URL (https://user:password@host/), taken
// out of the URL and sent as a header, or from "//host/path/:_auth" (base64 of
// user:password) and "//host/path/:username" + ":_password" (base64) lines. Credentials never
// appear in a message: the URL binship keeps and prints has them removed, every credential read
// is registered with util/redact.ts, which every log line and error goes through, and a URL that
// cannot be used (unparseable, a malformed escape) is a config error naming where it was set.
// npm's fetch-timeout / fetch-retries / fetch-retry-* keys are read here too (util/http.ts).

import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { BinshipError } from "../errors.js";
import { networkSettings, type NetworkSettings } from "../util/http.js";
import { redact, registerSecret } from "../util/redact.js";

export { redact } from "../util/redact.js";

export interface RegistryConfig {
  url: string; // registry base URL, ending in "/", without credentials
  tokens: Record<string, string>; // "//host/path/" -> bearer token
  basic?: Record<string, string>; // "//host/path/" -> base64 of "user:password"
  network?: NetworkSettings; // deadlines and retries (npm's fetch-* settings); default: util/http.ts defaultNetwork
  invalid?: BinshipError; // the registry setting cannot be used: thrown before the first request, so builds that need none still work
}

export const defaultRegistry = "https://registry.npmjs.org/";

interface Npmrc {
  values: Record<string, string>;
  origin: Record<string, string>; // key -> the file that set it
}

function parseNpmrc(text: string, env: NodeJS.ProcessEnv, file: string): Npmrc {
  const out: Npmrc = { values: {}, origin: {} };
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
    const key = line.slice(0, eq).trim();
    out.values[key] = value;
    out.origin[key] = file;
  }
  return out;
}

function readNpmrc(file: string, env: NodeJS.ProcessEnv): Npmrc {
  try {
    return parseNpmrc(readFileSync(file, "utf8"), env, file);
  } catch {
    return { values: {}, origin: {} };
  }
}

const withSlash = (url: string) => (url.endsWith("/") ? url : `${url}/`);

/** Every credential of the npm config, registered so no message can show it (util/redact.ts). */
function registerCredentials(values: Record<string, string>): void {
  for (const [key, value] of Object.entries(values)) {
    if (!/:(_authToken|_auth|_password)$/.test(key)) continue;
    registerSecret(value);
    if (!key.endsWith(":_authToken")) {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      registerSecret(key.endsWith(":_auth") ? decoded.slice(decoded.indexOf(":") + 1) : decoded);
    }
  }
}

/**
 * The registry URL's credentials, registered raw: a URL that cannot be parsed must not show
 * them either. The user info ends at the last "@" of the authority; in a URL that does not
 * parse (a "/" or a space in the password), at the last "@" of all.
 */
function registerUrlCredentials(url: string): void {
  const rest = /^[a-z][a-z0-9+.-]*:\/\/(.*)$/is.exec(url)?.[1];
  if (!rest) return;
  const authority = rest.split(/[/?#]/)[0]!;
  const scope = authority.includes("@") || URL.canParse(url) ? authority : rest;
  const at = scope.lastIndexOf("@");
  if (at < 0) return;
  const info = scope.slice(0, at);
  const colon = info.indexOf(":");
  registerSecret(colon < 0 ? info : info.slice(colon + 1));
  if (colon >= 0) registerSecret(info); // user:password as one, for a user name that is itself a token
}

/** Registry URL, tokens and network settings from env and .npmrc files; the nearest definition wins. */
export function registryFromNpmConfig(env: NodeJS.ProcessEnv, cwd: string): RegistryConfig {
  const home = env.HOME ?? homedir();
  const user = readNpmrc(env.NPM_CONFIG_USERCONFIG ?? env.npm_config_userconfig ?? join(home, ".npmrc"), env);
  const project = readNpmrc(join(cwd, ".npmrc"), env);
  const merged = { ...user.values, ...project.values };
  const origin = { ...user.origin, ...project.origin };
  registerCredentials(merged);
  const fromEnv = env.npm_config_registry !== undefined ? "npm_config_registry" : env.NPM_CONFIG_REGISTRY !== undefined ? "NPM_CONFIG_REGISTRY" : undefined;
  const raw = fromEnv ? env[fromEnv]! : (merged.registry ?? defaultRegistry);
  registerUrlCredentials(raw);
  const source = fromEnv ?? (merged.registry !== undefined ? `"registry" in ${origin.registry}` : "the default");
  const given = withoutCredentials(withSlash(raw));
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
  const invalid = given.problem && invalidRegistry(given.problem, source);
  return { url: given.url, tokens, ...(Object.keys(basic).length ? { basic } : {}), network: networkSettings(env, merged), ...(invalid ? { invalid } : {}) };
}

function invalidRegistry(problem: "malformed escape" | "not a URL" | "not http", source: string): BinshipError {
  if (problem === "malformed escape") {
    return new BinshipError("CONFIG_INVALID", `the npm registry URL from ${source} has a malformed percent-escape in its user name or password`, {
      hint: "Percent-encode those characters in the URL (% as %25, @ as %40, : as %3A, / as %2F), or move the credentials to a \"//host/:_auth\" line of .npmrc.",
    });
  }
  return new BinshipError("CONFIG_INVALID", `the npm registry URL from ${source} is ${problem === "not a URL" ? "not a valid URL" : "not an http or https URL"}`, {
    hint: "Set it to the registry's address, e.g. registry=https://registry.npmjs.org/ (npm config get registry shows it).",
  });
}

/**
 * The URL without "user:password@", and those credentials as a basic auth value. `problem`
 * when the URL cannot be used: its url is then only fit to be shown (credentials removed).
 */
export function withoutCredentials(url: string): { url: string; basic?: string; problem?: "malformed escape" | "not a URL" | "not http" } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url: redact(url), problem: "not a URL" };
  }
  const problem = parsed.protocol === "http:" || parsed.protocol === "https:" ? undefined : "not http";
  if (!parsed.username && !parsed.password) return { url, ...(problem ? { problem } : {}) };
  let user: string;
  let password: string;
  try {
    user = decodeURIComponent(parsed.username);
    password = decodeURIComponent(parsed.password);
  } catch {
    parsed.username = "";
    parsed.password = "";
    return { url: parsed.href, problem: "malformed escape" };
  }
  const basic = Buffer.from(`${user}:${password}`).toString("base64");
  parsed.username = "";
  parsed.password = "";
  return { url: parsed.href, basic, ...(problem ? { problem } : {}) };
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
