// A small client for the OCI distribution specification (v1.1, "spec.md"): exactly the
// endpoints a daemonless push needs. Each method names the section and endpoint ID (end-N) it
// follows. Authorization is per set of scopes: a 401 gets its challenge answered (auth.ts) and
// the request is sent once more; the header is then reused for those scopes.

import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { BinshipError } from "../../../errors.js";
import { NetworkError, networkFailure } from "../../../util/http.js";
import { registerSecret } from "../../../util/redact.js";
import { authorize, parseChallenge, refused } from "./auth.js";
import type { CredentialLookup } from "./credentials.js";
import { apiHost } from "./reference.js";
import type { HttpRequest, HttpResponse, Transport } from "./transport.js";
import { mediaTypes, type Descriptor } from "./types.js";

export interface RegistryClientOptions {
  transport: Transport & { baseUrl(host: string): Promise<string> };
  credentials: CredentialLookup;
}

export interface FetchedManifest {
  mediaType: string;
  digest: string; // sha256 of the bytes as served
  bytes: Buffer;
}

type Body = HttpRequest["body"];

const manifestAccept = [mediaTypes.ociIndex, mediaTypes.ociManifest, mediaTypes.dockerList, mediaTypes.dockerManifest].join(", ");

export const pullScope = (repo: string) => `repository:${repo}:pull`;
export const pushScope = (repo: string) => `repository:${repo}:pull,push`;

/** The registry's own words from an error body ({"errors":[{"code","message"}]}, spec "Error Codes"). */
async function registryMessage(res: HttpResponse): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const errors = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors ?? [];
    if (errors.length) return errors.map((e) => [e.code, e.message].filter(Boolean).join(": ")).join("; ");
  } catch {
    // not JSON
  }
  return text.trim().slice(0, 200);
}

export class RegistryClient {
  readonly registry: string;
  private readonly o: RegistryClientOptions;
  private readonly headers = new Map<string, string>(); // scope set -> Authorization

  constructor(registry: string, options: RegistryClientOptions) {
    this.registry = registry;
    this.o = options;
  }

  private async send(req: Omit<HttpRequest, "url"> & { path: string }, scopes: string[]): Promise<HttpResponse> {
    const key = [...scopes].sort().join(" ");
    const base = await this.o.transport.baseUrl(apiHost(this.registry)).catch((err: Error) => {
      throw unreachable(this.registry, err);
    });
    const url = /^https?:\/\//.test(req.path) ? req.path : `${base}${req.path}`;
    const attempt = (auth?: string) =>
      this.o.transport.send({ ...req, url, headers: { ...req.headers, ...(auth ? { authorization: auth } : {}) } }).catch((err: Error) => {
        throw unreachable(this.registry, err);
      });
    let res = await attempt(this.headers.get(key));
    if (res.status !== 401) return res;
    const challenge = parseChallenge(res.headers["www-authenticate"] as string | undefined);
    res.discard();
    if (!challenge) throw new BinshipError("REGISTRY_FAILED", `${this.registry} answered 401 without a challenge`, { hint: "Check the registry address." });
    const credential = await this.o.credentials(this.registry);
    // Never printed, whatever message they end up in (util/redact.ts).
    registerSecret(credential?.password);
    registerSecret(credential?.identityToken);
    const header = await authorize({ challenge, scopes, credential, transport: this.o.transport, registry: this.registry });
    this.headers.set(key, header);
    res = await attempt(header);
    if (res.status === 401) {
      res.discard();
      throw refused(this.registry);
    }
    return res;
  }

  private async fail(res: HttpResponse, what: string): Promise<never> {
    const detail = await registryMessage(res);
    const denied = res.status === 403;
    const tried = res.tries > 1 ? `; tried ${res.tries} times` : "";
    throw new BinshipError("REGISTRY_FAILED", `${this.registry}: ${what} failed with HTTP ${res.status}${detail ? ` (${detail})` : ""}${tried}`, {
      hint: denied ? "The account has no permission for this repository; check its access rights." : "Check the repository name and the registry's state.",
    });
  }

  /** Pulling manifests (end-3): GET /v2/<name>/manifests/<reference>, any of the four manifest types. */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const res = await this.send({ method: "GET", path: `/v2/${repository}/manifests/${reference}`, headers: { accept: manifestAccept }, buffer: 8 << 20 }, [pullScope(repository)]);
    if (res.status === 404) {
      await res.text().catch(() => "");
      throw new BinshipError("REGISTRY_FAILED", `${this.registry}/${repository}:${reference} does not exist`, { hint: "Check the --base reference (registry, repository, tag)." });
    }
    if (res.status !== 200) await this.fail(res, `reading the manifest ${repository}:${reference}`);
    const bytes = Buffer.from(await res.text(8 << 20), "utf8");
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (reference.startsWith("sha256:") && reference !== digest) {
      throw new BinshipError("REGISTRY_FAILED", `${this.registry}/${repository}@${reference} arrived with digest ${digest}`, { hint: "The registry served other bytes than were asked for; try again." });
    }
    let mediaType = String(res.headers["content-type"] ?? "").split(";")[0]!.trim();
    try {
      mediaType = (JSON.parse(bytes.toString("utf8")) as { mediaType?: string }).mediaType ?? mediaType;
    } catch {
      throw new BinshipError("REGISTRY_FAILED", `the manifest ${repository}:${reference} is not JSON`, { hint: "Check the --base reference." });
    }
    return { mediaType, digest, bytes };
  }

  /** Pulling blobs (end-2): GET /v2/<name>/blobs/<digest>, following the redirect to storage. */
  async getBlob(repository: string, digest: string): Promise<Readable> {
    const res = await this.send({ method: "GET", path: `/v2/${repository}/blobs/${digest}`, redirects: true }, [pullScope(repository)]);
    if (res.status !== 200) await this.fail(res, `downloading ${repository}@${digest}`);
    return res.body;
  }

  /** A small blob (an image config) read whole within each attempt, so a stall mid-body is retried. */
  async getBlobBytes(repository: string, digest: string, limit = 8 << 20): Promise<Buffer> {
    const res = await this.send({ method: "GET", path: `/v2/${repository}/blobs/${digest}`, redirects: true, buffer: limit }, [pullScope(repository)]);
    if (res.status !== 200) await this.fail(res, `downloading ${repository}@${digest}`);
    return Buffer.from(await res.text(), "utf8");
  }

  /** Checking if content exists in the registry (end-2): HEAD /v2/<name>/blobs/<digest>. */
  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const res = await this.send({ method: "HEAD", path: `/v2/${repository}/blobs/${digest}` }, [pushScope(repository)]);
    res.discard();
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    return this.fail(res, `checking ${repository}@${digest}`);
  }

  /**
   * Mounting a blob from another repository (end-11): POST /v2/<name>/blobs/uploads/?mount=&from=.
   * 201: mounted, nothing to send. 202: the registry declined and opened an upload session instead;
   * its Location is returned so the upload goes on there.
   */
  async mountBlob(repository: string, digest: string, from: string): Promise<{ mounted: true } | { mounted: false; location: string }> {
    const path = `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const res = await this.send({ method: "POST", path, body: Buffer.alloc(0) }, [pushScope(repository), pullScope(from)]);
    res.discard();
    if (res.status === 201) return { mounted: true };
    if (res.status === 202 && res.headers.location) return { mounted: false, location: res.headers.location };
    return this.fail(res, `mounting ${digest} from ${from}`);
  }

  /** Pushing a blob monolithically, "POST then PUT", first half (end-4a): opens an upload session. */
  async startUpload(repository: string): Promise<string> {
    const res = await this.send({ method: "POST", path: `/v2/${repository}/blobs/uploads/`, body: Buffer.alloc(0) }, [pushScope(repository)]);
    if (res.status !== 202 || !res.headers.location) return this.fail(res, `starting an upload to ${repository}`);
    res.discard();
    return res.headers.location;
  }

  /** "POST then PUT", second half (end-6): PUT <location>?digest=<digest> with the whole blob. */
  async finishUpload(repository: string, location: string, descriptor: Descriptor, body: NonNullable<Body>): Promise<void> {
    const base = await this.o.transport.baseUrl(apiHost(this.registry));
    const url = new URL(location, base);
    url.searchParams.set("digest", descriptor.digest);
    const res = await this.send({ method: "PUT", path: url.toString(), headers: { "content-type": "application/octet-stream" }, body }, [pushScope(repository)]);
    if (res.status !== 201) return this.fail(res, `uploading ${descriptor.digest} to ${repository}`);
    res.discard();
  }

  /** Pushing Manifests (end-7): PUT /v2/<name>/manifests/<reference>; returns the digest the registry computed. */
  async putManifest(repository: string, reference: string, mediaType: string, bytes: Buffer): Promise<string | undefined> {
    const res = await this.send({ method: "PUT", path: `/v2/${repository}/manifests/${reference}`, headers: { "content-type": mediaType }, body: bytes }, [pushScope(repository)]);
    if (res.status !== 201) return this.fail(res, `pushing the manifest ${repository}:${reference}`);
    res.discard();
    return res.headers["docker-content-digest"] as string | undefined;
  }
}

function unreachable(registry: string, err: Error): BinshipError {
  if (err instanceof BinshipError) return err;
  if (err instanceof NetworkError && err.phase) return networkFailure(err, "REGISTRY_FAILED", "or try again once the registry answers");
  const tried = err instanceof NetworkError && err.tries > 1 ? `; tried ${err.tries} times` : "";
  const cause = err instanceof NetworkError && err.cause instanceof Error ? err.cause : err;
  const code = (cause as NodeJS.ErrnoException).code ?? "";
  const tls = /CERT|SSL|TLS|EPROTO|self.signed|wrong version/i.test(`${code} ${cause.message}`);
  return new BinshipError("REGISTRY_FAILED", `cannot reach ${registry}: ${cause.message}${tried}`, {
    cause: err,
    hint: tls
      ? `Its TLS certificate is not trusted: add its CA with NODE_EXTRA_CA_CERTS=ca.pem, or, for a registry without TLS or a self-signed one, pass --insecure-registry.`
      : "Check the registry address and that it is running.",
  });
}
