// A small OCI distribution registry in memory, for network tests that need no docker-registry:
// one single-platform base (base:nonroot, linux/amd64, one empty layer), monolithic uploads
// (POST then PUT), manifests by tag or digest. `flaky` answers 503 to the first GET or HEAD of
// every path, so only a client that retries gets anywhere. Every request is recorded.

import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { Socket } from "node:net";
import { gzipSync } from "node:zlib";

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

export interface OciRegistry {
  host: string; // 127.0.0.1:port
  requests: string[]; // "GET /v2/...", and "503 GET /v2/..." for the refused ones
  close(): Promise<void>;
}

export async function startOciRegistry(options: { flaky?: boolean } = {}): Promise<OciRegistry> {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { bytes: Buffer; type: string }>();
  const tar = Buffer.alloc(1024); // an empty tar: two zero blocks
  const layer = gzipSync(tar);
  const config = json({ architecture: "amd64", os: "linux", config: { User: "65532" }, rootfs: { type: "layers", diff_ids: [sha(tar)] }, history: [{}] });
  const manifest = json({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha(layer), size: layer.length }],
  });
  for (const b of [layer, config]) blobs.set(sha(b), b);
  manifests.set("base/manifests/nonroot", { bytes: manifest, type: "application/vnd.oci.image.manifest.v1+json" });
  manifests.set(`base/manifests/${sha(manifest)}`, { bytes: manifest, type: "application/vnd.oci.image.manifest.v1+json" });

  const requests: string[] = [];
  const seen = new Set<string>();
  let uploads = 0;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url!, "http://x");
      const key = `${req.method} ${url.pathname}`;
      if (options.flaky && (req.method === "GET" || req.method === "HEAD") && !seen.has(key)) {
        seen.add(key);
        requests.push(`503 ${key}`);
        return void res.writeHead(503).end();
      }
      requests.push(key);
      if (url.pathname === "/v2/") return void res.writeHead(200).end("{}");
      let m = /^\/v2\/(.+)\/blobs\/uploads\/(\d*)$/.exec(url.pathname);
      if (m && req.method === "POST") return void res.writeHead(202, { location: `/v2/${m[1]}/blobs/uploads/${++uploads}` }).end();
      if (m && req.method === "PUT") {
        const digest = url.searchParams.get("digest")!;
        if (sha(body) !== digest) return void res.writeHead(400).end();
        blobs.set(digest, body);
        return void res.writeHead(201).end();
      }
      m = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]+)$/.exec(url.pathname);
      if (m) {
        const blob = blobs.get(m[2]!);
        if (!blob) return void res.writeHead(404).end();
        return void res.writeHead(200, { "content-length": blob.length }).end(req.method === "HEAD" ? undefined : blob);
      }
      m = /^\/v2\/(.+)\/(manifests\/.+)$/.exec(url.pathname);
      if (m && req.method === "PUT") {
        manifests.set(`${m[1]}/${m[2]}`, { bytes: body, type: String(req.headers["content-type"]) });
        return void res.writeHead(201, { "docker-content-digest": sha(body) }).end();
      }
      const entry = m && manifests.get(`${m[1]}/${m[2]}`);
      if (!entry) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": entry.type }).end(entry.bytes);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: `127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
