// Registry authorization after a 401, as Docker clients do it. The challenge names the scheme
// (RFC 7235 WWW-Authenticate): "Basic" sends the credential on every request (RFC 7617);
// "Bearer realm=...,service=..." asks the realm for a token covering the scopes the push needs
// (distribution's Token Authentication Specification, docs/spec/auth/token.md), with the user and
// password as Basic auth or, for an identity token, as an OAuth2 refresh_token grant
// (docs/spec/auth/oauth.md). Anonymous tokens (public bases) need no credential at all.

import { BinshipError } from "../../../errors.js";
import { registerSecret } from "../../../util/redact.js";
import type { Credential } from "./credentials.js";
import type { Transport } from "./transport.js";

export interface Challenge {
  scheme: string; // lowercase: "bearer", "basic"
  params: Record<string, string>;
}

/** The first challenge of a WWW-Authenticate header: `Bearer realm="...",service="...",scope="..."`. */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  const m = header ? /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header) : null;
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3]!;
  }
  return { scheme: m[1]!.toLowerCase(), params };
}

const basic = (c: Credential) => `Basic ${Buffer.from(`${c.username ?? ""}:${c.password ?? ""}`).toString("base64")}`;

export interface AuthorizeOptions {
  challenge: Challenge;
  scopes: string[]; // e.g. repository:team/svc:pull,push
  credential: Credential | undefined;
  transport: Transport;
  registry: string; // named in errors
}

/** The Authorization header value that answers `challenge`. */
export async function authorize(o: AuthorizeOptions): Promise<string> {
  const { challenge, credential } = o;
  if (challenge.scheme === "basic") {
    if (!credential?.username) throw noCredential(o.registry);
    return basic(credential);
  }
  if (challenge.scheme !== "bearer" || !challenge.params.realm) {
    throw new BinshipError("REGISTRY_FAILED", `${o.registry} asks for "${challenge.scheme}" authentication, which binship does not speak`, { hint: "Use a registry with token or basic authentication." });
  }
  const { realm, service } = challenge.params;
  const scopes = [...new Set([...o.scopes, ...(challenge.params.scope ? challenge.params.scope.split(" ") : [])])].sort();
  let res;
  if (credential?.identityToken) {
    const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: credential.identityToken, client_id: "binship", ...(service ? { service } : {}) });
    if (scopes.length) form.set("scope", scopes.join(" "));
    res = await o.transport.send({ method: "POST", url: realm, headers: { "content-type": "application/x-www-form-urlencoded" }, body: Buffer.from(form.toString()) });
  } else {
    const url = new URL(realm);
    if (service) url.searchParams.set("service", service);
    for (const s of scopes) url.searchParams.append("scope", s);
    res = await o.transport.send({ method: "GET", url: url.toString(), headers: credential?.username ? { authorization: basic(credential) } : {} });
  }
  const text = await res.text();
  if (res.status === 401 || res.status === 403) throw credential ? refused(o.registry) : noCredential(o.registry);
  if (res.status !== 200) throw new BinshipError("REGISTRY_FAILED", `the token service of ${o.registry} answered ${res.status}`, { hint: "Check that the registry is up and the repository name is right." });
  let token: string | undefined;
  try {
    const body = JSON.parse(text) as { token?: string; access_token?: string };
    token = body.token ?? body.access_token;
  } catch {
    // handled below
  }
  if (!token) throw new BinshipError("REGISTRY_FAILED", `the token service of ${o.registry} sent no token`, { hint: "Check the registry's token service configuration." });
  registerSecret(token);
  return `Bearer ${token}`;
}

export function noCredential(registry: string): BinshipError {
  return new BinshipError("REGISTRY_FAILED", `${registry} requires a login, and no credentials for it were found`, {
    hint: `Log in (docker login ${registry}, or a credential helper in ~/.docker/config.json; DOCKER_CONFIG names another directory).`,
  });
}

export function refused(registry: string): BinshipError {
  return new BinshipError("REGISTRY_FAILED", `${registry} refused the credentials found for it`, {
    hint: `Log in again (docker login ${registry}), or check that the account may push to this repository.`,
  });
}
