// A small OCI registry on 127.0.0.1 (node:http, plain HTTP, no auth) that serves one small
// single-platform base image and takes pushes ("POST then PUT" uploads, manifests by any
// reference), for tests of `pack container` that are not about the registry itself
// (test/helpers/registry.ts runs the real one where it is installed). Each blob upload is
// answered only after `uploadDelayMs`, so a test can interrupt a push while it uploads.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export interface OciBase {
  reference: string; // 127.0.0.1:PORT/base/cc:nonroot, for --base (with --insecure-registry)
  host: string; // 127.0.0.1:PORT, for --push HOST/repo:tag
  uploadsStarted: () => number; // blob uploads (PUT) received so far
  stop(): Promise<void>;
}

const digestOf = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** One layer holding /etc/base-release, a config for linux/`architecture`, and its manifest. */
function baseImage(architecture: string): { manifest: Buffer; blobs: Map<string, Buffer> } {
  const dir = mkdtempSync(join(tmpdir(), "binship-ocibase-"));
  try {
    mkdirSync(join(dir, "etc"));
    writeFileSync(join(dir, "etc", "base-release"), "test base\n");
    const tar = execFileSync("tar", ["-C", dir, "--owner=0", "--group=0", "--mtime=@0", "-cf", "-", "etc"], { maxBuffer: 1 << 20 });
    const layer = gzipSync(tar);
    const config = Buffer.from(
      JSON.stringify({ architecture, os: "linux", config: { User: "65532", Env: ["PATH=/usr/bin:/bin"] }, rootfs: { type: "layers", diff_ids: [digestOf(tar)] }, history: [{ created_by: "test" }] }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: digestOf(config), size: config.length },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: digestOf(layer), size: layer.length }],
      }),
    );
    return { manifest, blobs: new Map([[digestOf(config), config], [digestOf(layer), layer]]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startOciBase(architecture = process.arch === "arm64" ? "arm64" : "amd64", uploadDelayMs = 0): Promise<OciBase> {
  const { manifest, blobs: baseBlobs } = baseImage(architecture);
  const repos = new Map<string, Map<string, Buffer>>([["base/cc", baseBlobs]]); // blobs by repository
  const blobsOf = (repo: string) => repos.get(repo) ?? repos.set(repo, new Map()).get(repo)!;
  let uploads = 0;
  const server: Server = createServer(async (req, res) => {
    const url = req.url ?? "/";
    if (url === "/v2/") return void res.writeHead(200).end("{}");
    const upload = /^\/v2\/([a-z0-9/]+)\/blobs\/uploads\/(\?.*)?$/.exec(url);
    if (req.method === "POST" && upload) {
      // A mount is never done: the blob is uploaded, as from a registry without cross-mounting.
      return void res.writeHead(202, { location: `/upload/${upload[1]}?n=${uploads + 1}`, "content-length": 0 }).end();
    }
    if (req.method === "PUT" && url.startsWith("/upload/")) {
      uploads++;
      const data = await body(req);
      const at = new URL(url, "http://x");
      const digest = at.searchParams.get("digest")!;
      await new Promise((r) => setTimeout(r, uploadDelayMs));
      if (digestOf(data) !== digest) return void res.writeHead(400).end();
      blobsOf(at.pathname.slice("/upload/".length)).set(digest, data);
      return void res.writeHead(201, { "content-length": 0 }).end();
    }
    const pushed = /^\/v2\/([a-z0-9/]+)\/manifests\/([^/]+)$/.exec(url);
    if (req.method === "PUT" && pushed) {
      const data = await body(req);
      return void res.writeHead(201, { "docker-content-digest": digestOf(data), "content-length": 0 }).end();
    }
    if (/^\/v2\/base\/cc\/manifests\/(nonroot|sha256:[0-9a-f]{64})$/.test(url)) {
      res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json", "docker-content-digest": digestOf(manifest), "content-length": manifest.length });
      return void res.end(req.method === "HEAD" ? undefined : manifest);
    }
    const blob = /^\/v2\/([a-z0-9/]+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url);
    const bytes = blob ? repos.get(blob[1]!)?.get(blob[2]!) : undefined;
    if (bytes) {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.length });
      return void res.end(req.method === "HEAD" ? undefined : bytes);
    }
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "BLOB_UNKNOWN", message: url }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    reference: `127.0.0.1:${port}/base/cc:nonroot`,
    host: `127.0.0.1:${port}`,
    uploadsStarted: () => uploads,
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
