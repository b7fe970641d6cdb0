// The npm registry and token the user's npm would use, read the way npm reads them: the
// npm_config_registry environment variable, then the project .npmrc, then the user .npmrc
// ($NPM_CONFIG_USERCONFIG or ~/.npmrc). Tokens are "//host/path/:_authToken=..." lines
// matched by URL prefix, and ${VAR} is expanded from the environment (npm docs, "npmrc").

import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface RegistryConfig {
  url: string; // registry base URL, ending in "/"
  tokens: Record<string, string>; // "//host/path/" -> bearer token
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
  const url = env.npm_config_registry ?? env.NPM_CONFIG_REGISTRY ?? merged.registry ?? defaultRegistry;
  const tokens: Record<string, string> = {};
  for (const [key, value] of Object.entries(merged)) {
    const m = /^(\/\/.+\/):_authToken$/.exec(key);
    if (m && value) tokens[m[1]!] = value;
  }
  return { url: withSlash(url), tokens };
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
