// Reading a blob wherever it is (memory, a local file, another registry), checked against its
// descriptor as it streams: a base layer that arrives with other bytes than its digest names
// must not end up in a layout, a tarball or another registry, and neither must a layer file
// (kept in binship's cache) whose bytes changed after it was checked.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Readable, Transform } from "node:stream";
import { BinshipError } from "../../../errors.js";
import type { RegistryClient } from "./registry.js";
import type { Blob } from "./types.js";

/** The client for a registry host, shared by every step of one run (tokens are cached there). */
export type Clients = (registry: string) => RegistryClient;

function verifying(blob: Blob): Transform {
  const hash = createHash("sha256");
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      const digest = `sha256:${hash.digest("hex")}`;
      if (digest === blob.descriptor.digest && size === blob.descriptor.size) return done();
      if (blob.source.kind === "file") {
        const path = blob.source.path;
        return done(new BinshipError("IO_FAILED", `the layer ${path} changed while it was being read: ${size} bytes with digest ${digest}, not ${blob.descriptor.digest}`, { hint: "Something else is writing to binship's cache; run the command again." }));
      }
      done(new BinshipError("REGISTRY_FAILED", `blob ${blob.descriptor.digest} arrived as ${size} bytes with digest ${digest}`, { hint: "The base's registry served other bytes than its manifest names; try again." }));
    },
  });
}

export async function openBlob(blob: Blob, clients: Clients): Promise<Readable> {
  const s = blob.source;
  if (s.kind === "bytes") return Readable.from([s.data]);
  if (s.kind === "file") {
    const check = verifying(blob);
    const body = createReadStream(s.path);
    body.on("error", (err) => check.destroy(err));
    return body.pipe(check);
  }
  const body = await clients(s.registry).getBlob(s.repository, blob.descriptor.digest);
  const check = verifying(blob);
  body.on("error", (err) => check.destroy(err));
  return body.pipe(check);
}

/** Every distinct blob of the image, in a fixed order: per platform layers, config, manifest; then the index. */
export function allBlobs(image: { index: Blob; images: { layers: Blob[]; config: Blob; manifest: Blob }[] }): Blob[] {
  const seen = new Map<string, Blob>();
  for (const img of image.images) for (const b of [...img.layers, img.config, img.manifest]) if (!seen.has(b.descriptor.digest)) seen.set(b.descriptor.digest, b);
  seen.set(image.index.descriptor.digest, image.index);
  return [...seen.values()];
}
