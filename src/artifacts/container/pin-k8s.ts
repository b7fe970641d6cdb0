// After a push (or a layout/tarball) the image's digest is known: the manifests are rendered
// again with the image by digest, so a rollout runs exactly what was built and pushed, not
// whatever the tag points to by then, and binship's kustomization.yaml gets an images: entry
// with the same digest (an overlay retargets or re-pins it there). Both carry the pin, so
// `kubectl apply -k`, an overlay and a kustomization.yaml of the user's all deploy the digest.
// Only files binship owns (its record, k8s-dir.ts) are rewritten.

import { join } from "node:path";
import { writeFileAtomic, sha256, type WriteResult } from "../../util/atomic.js";
import { k8sRecordFile, k8sRecordText, readK8sRecord } from "./k8s-dir.js";
import { renderK8s, type K8sOptions } from "./k8s.js";

export interface PinnedFile extends WriteResult {
  relative: string; // k8s/deployment.yaml
}

/** Rewrites binship's files in `dir`/k8s/ with `image` (registry/repository@sha256:...). */
export async function pinK8sImage(dir: string, options: K8sOptions, image: string): Promise<PinnedFile[]> {
  const record = (await readK8sRecord(dir)) ?? {};
  const files = (await renderK8s({ ...options, image })).filter((f) => f.path in record);
  // The record first holds both versions: an interrupt between the file writes below leaves
  // every file matching one of them, so the next pack sees no edit.
  const both = Object.fromEntries(Object.entries(record).map(([rel, hashes]) => [rel, [...hashes]]));
  for (const f of files) both[f.path]!.push(sha256(f.text));
  await writeFileAtomic(join(dir, k8sRecordFile), k8sRecordText(both), { mode: 0o644 });
  const out: PinnedFile[] = [];
  for (const f of files) out.push({ ...(await writeFileAtomic(join(dir, f.path), f.text, { mode: 0o644 })), relative: f.path });
  const pinned = { ...record, ...Object.fromEntries(files.map((f) => [f.path, [sha256(f.text)]])) };
  const last = await writeFileAtomic(join(dir, k8sRecordFile), k8sRecordText(pinned), { mode: 0o644 });
  out.push({ ...last, relative: k8sRecordFile });
  return out;
}
