// Daemonless container images: build from a base in a registry, push, or write an OCI layout or
// tarball. The surface the command uses.
//
// The registry protocol is binship's own (registry.ts, auth.ts; node:http/https only). The npm
// clients looked at (2026-12) did not fit: @snyk/docker-registry-v2-client is kept up but only
// pulls (manifests, configs, layers; no uploads, mounts or manifest pushes);
// docker-registry-client (Joyent) brings restify, bunyan and pinned 2015-era jws/tough-cookie;
// oci-registry-client is one 0.2.0 release on node-fetch 2. A push needs seven endpoints and the
// token flow: a few hundred lines that follow the OCI distribution spec section by section.

import { dockerConfigCredentials, dockerConfigPath, spawnHelper } from "./credentials.js";
import { RegistryClient } from "./registry.js";
import { createTransport } from "./transport.js";
import type { Clients } from "./blobs.js";
import type { NetworkSettings } from "../../../util/http.js";

export { publishImage, nonroot, type PublishOptions, type PublishResult, type PublishedPlatform } from "./publish.js";
export { parseReference, digestReference, type ImageReference } from "./reference.js";
export type { Clients } from "./blobs.js";
export { dockerConfigPath } from "./credentials.js";

export interface ClientSettings {
  insecure: boolean; // --insecure-registry: no certificate check, plain http when the registry has no TLS
  env: NodeJS.ProcessEnv; // DOCKER_CONFIG, HOME, PATH (credential helpers)
  network: NetworkSettings; // deadlines and retries of every registry request
}

/** One client per registry host for a run, with the Docker config's credentials. */
export function registryClients(s: ClientSettings): Clients {
  const transport = createTransport(s.insecure, s.network);
  const credentials = dockerConfigCredentials(dockerConfigPath(s.env), spawnHelper(s.env));
  const clients = new Map<string, RegistryClient>();
  return (registry) => {
    let c = clients.get(registry);
    if (!c) clients.set(registry, (c = new RegistryClient(registry, { transport, credentials })));
    return c;
  };
}
export { gitLabels, createdFrom } from "./labels.js";
export { loadKnownBlobs, knownBlobsFile, type KnownBlobs } from "./known-blobs.js";
