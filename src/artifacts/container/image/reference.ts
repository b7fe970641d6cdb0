// Image references as Docker and the distribution reference grammar read them:
// [host[:port]/]path[:tag][@digest]. The first component is a registry host only when it has a
// "." or ":" or is "localhost"; otherwise the image is on Docker Hub, whose one-component
// repositories live under library/ (distribution/reference, normalize.go).

import { BinshipError } from "../../../errors.js";

export interface ImageReference {
  registry: string; // host[:port] as written, "docker.io" for Docker Hub
  repository: string; // path inside the registry, e.g. team/svc or library/node
  tag?: string;
  digest?: string; // sha256:<hex>
}

export const dockerHub = "docker.io";
/** Docker Hub's API host: docker.io names the registry, this host serves /v2/. */
export const dockerHubApi = "registry-1.docker.io";

const component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const pattern = new RegExp(`^(${component}(?:/${component})*)(?::([\\w][\\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$`);

export function parseReference(text: string, flag: string): ImageReference {
  let registry = dockerHub;
  let rest = text;
  const slash = text.indexOf("/");
  const first = slash === -1 ? "" : text.slice(0, slash);
  if (first && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = first;
    rest = text.slice(slash + 1);
  }
  const m = pattern.exec(rest);
  if (!m || !/^[a-zA-Z0-9.-]+(?::\d+)?$|^\[[0-9a-fA-F:]+\](?::\d+)?$/.test(registry)) {
    throw new BinshipError("CONFIG_INVALID", `${flag} "${text}" is not an image reference`, {
      hint: "Use registry/repository[:tag], lowercase, e.g. registry.example.com/team/svc:1.4.0.",
    });
  }
  let repository = m[1]!;
  if (registry === dockerHub && !repository.includes("/")) repository = `library/${repository}`;
  return { registry, repository, tag: m[2], digest: m[3] };
}

/** registry/repository, as written in manifests and image references (Docker Hub's the short way). */
export function repositoryName(ref: ImageReference): string {
  if (ref.registry !== dockerHub) return `${ref.registry}/${ref.repository}`;
  return ref.repository.startsWith("library/") ? ref.repository.slice("library/".length) : ref.repository;
}

/** The reference by digest that pins exactly this image: registry/repository@sha256:... */
export const digestReference = (ref: ImageReference, digest: string): string => `${repositoryName(ref)}@${digest}`;

export function formatReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** The host that serves the registry API for `registry`. */
export const apiHost = (registry: string): string => (registry === dockerHub ? dockerHubApi : registry);
