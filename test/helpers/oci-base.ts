// A read-only OCI registry on 127.0.0.1 (node:http, plain HTTP, no auth) that serves one small
// single-platform base image, for tests of `pack container --oci-layout/--tarball` that are not
// about the registry itself (test/helpers/registry.ts runs the real one where it is installed).

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export interface OciBase {
  reference: string; // 127.0.0.1:PORT/base/cc:nonroot, for --base (with --insecure-registry)
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

export async function startOciBase(architecture = process.arch === "arm64" ? "arm64" : "amd64"): Promise<OciBase> {
  const { manifest, blobs } = baseImage(architecture);
  const server: Server = createServer((req, res) => {
    const url = req.url ?? "/";
    const blob = /^\/v2\/base\/cc\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url)?.[1];
    if (url === "/v2/") return void res.writeHead(200).end("{}");
    if (/^\/v2\/base\/cc\/manifests\/(nonroot|sha256:[0-9a-f]{64})$/.test(url)) {
      res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json", "docker-content-digest": digestOf(manifest), "content-length": manifest.length });
      return void res.end(req.method === "HEAD" ? undefined : manifest);
    }
    const bytes = blob ? blobs.get(blob) : undefined;
    if (bytes) {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.length });
      return void res.end(req.method === "HEAD" ? undefined : bytes);
    }
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "NAME_UNKNOWN", message: url }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    reference: `127.0.0.1:${port}/base/cc:nonroot`,
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
