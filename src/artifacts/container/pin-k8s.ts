// After a push (or a layout/tarball) the image's digest is known: the manifests are rendered
// again with the image by digest, so a rollout runs exactly what was built and pushed, not
// whatever the tag points to by then.

import { join } from "node:path";
import { writeFileAtomic, type WriteResult } from "../../util/atomic.js";
import { renderK8s, type K8sOptions } from "./k8s.js";

export interface PinnedFile extends WriteResult {
  relative: string; // k8s/deployment.yaml
}

/** Rewrites `dir`/k8s/* with `image` (registry/repository@sha256:...). */
export async function pinK8sImage(dir: string, options: K8sOptions, image: string): Promise<PinnedFile[]> {
  const out: PinnedFile[] = [];
  for (const f of await renderK8s({ ...options, image })) out.push({ ...(await writeFileAtomic(join(dir, f.path), f.text, { mode: 0o644 })), relative: f.path });
  return out;
}
