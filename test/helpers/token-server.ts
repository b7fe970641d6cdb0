// The token service of a registry using token authentication, as distribution documents it
// (docs/spec/auth/token.md and jwt.md; oauth.md for the refresh-token grant). The registry itself
// is the real docker-registry with `auth: token`; it verifies these JWTs against the certificate
// in `rootcertbundle` (the token's x5c header carries that certificate), and checks the
// "access" claim against each request. This server checks the user's password, or the identity
// token, and grants the scopes asked for, except on the repositories in `denied` (as a token
// service leaves out what the account may not access: the token simply lacks those scopes).

import { execFileSync } from "node:child_process";
import { randomBytes, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";

export interface TokenService {
  realm: string; // http://127.0.0.1:PORT/token
  service: string;
  issuer: string;
  certFile: string; // for the registry's rootcertbundle
  requests: { method: string; scopes: string[]; grant: string }[]; // what clients asked for
  close(): Promise<void>;
}

export interface TokenServiceOptions {
  dir: string; // key and certificate go here
  user: string;
  password: string;
  identityToken: string; // accepted as refresh_token
  denied?: string[]; // repositories this account may not access: their scopes are left out of every token
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

function scopeToAccess(scope: string) {
  const [type, ...rest] = scope.split(":");
  const actions = rest.pop()!.split(",");
  return { type, name: rest.join(":"), actions };
}

async function body(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const c of req) text += c;
  return text;
}

export async function startTokenService(o: TokenServiceOptions): Promise<TokenService> {
  const key = join(o.dir, "token.key");
  const certFile = join(o.dir, "token.crt");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certFile, "-days", "1", "-subj", "/CN=binship test token issuer"], { stdio: "pipe" });
  const der = readFileSync(certFile, "utf8").replace(/-----[^-]+-----|\s/g, "");
  const keyPem = readFileSync(key);
  const service = "binship-test-registry";
  const issuer = "binship-test-issuer";
  const requests: TokenService["requests"] = [];

  const token = (subject: string, asked: string[]) => {
    const scopes = asked.filter((s) => !(o.denied ?? []).includes(scopeToAccess(s).name));
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ typ: "JWT", alg: "RS256", x5c: [der] }));
    const claims = b64url(JSON.stringify({ iss: issuer, sub: subject, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString("hex"), access: scopes.map(scopeToAccess) }));
    return `${header}.${claims}.${b64url(sign("sha256", Buffer.from(`${header}.${claims}`), keyPem))}`;
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url!, "http://x");
    const deny = () => res.writeHead(401, { "content-type": "application/json" }).end('{"details":"bad credentials"}');
    if (req.method === "GET") {
      const scopes = url.searchParams.getAll("scope").flatMap((s) => s.split(" "));
      requests.push({ method: "GET", scopes, grant: "basic" });
      const auth = req.headers.authorization ?? "";
      if (auth !== `Basic ${Buffer.from(`${o.user}:${o.password}`).toString("base64")}`) return deny();
      return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: token(o.user, scopes) }));
    }
    const form = new URLSearchParams(await body(req));
    const scopes = (form.get("scope") ?? "").split(" ").filter(Boolean);
    requests.push({ method: "POST", scopes, grant: form.get("grant_type") ?? "" });
    if (form.get("grant_type") !== "refresh_token" || form.get("refresh_token") !== o.identityToken) return deny();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ access_token: token(o.user, scopes), expires_in: 300 }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return { realm: `http://127.0.0.1:${port}/token`, service, issuer, certFile, requests, close: () => new Promise((r) => server.close(() => r())) };
}
