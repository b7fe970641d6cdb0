// Kubernetes manifests for the service, filled from templates/container/k8s/. The probe
// paths are the ones the runtime inside the binary serves (the same config keys), so the
// manifests and the binary cannot disagree.

import { fillTemplate, readContainerTemplate, yamlEscape } from "./template.js";

export interface K8sOptions {
  name: string; // DNS-1123 name of every object and the container
  image: string; // image reference the Deployment runs
  port: number; // container port, named "http"
  replicas: number; // minimum replicas (the HPA's minReplicas)
  livenessPath: string | false; // HTTP liveness path; false probes the TCP port instead
  readinessPath: string | false; // HTTP readiness path; false probes the TCP port instead
  drainSeconds: number; // the runtime's drain period after SIGTERM
  nodeArch?: "amd64" | "arm64"; // pins pods to one node architecture (single-arch images)
}

export interface RenderedFile {
  path: string; // relative to the output directory, "/"-separated
  text: string;
}

/** Seconds the kubelet sleeps before SIGTERM, while endpoints and load balancers drop the pod. */
export const preStopSeconds = 5;
/** How long the binary may take to start listening before the pod is restarted. */
export const startupSeconds = 30;
// Slack after the drain for the process to exit before SIGKILL.
const exitMarginSeconds = 5;

/** The objects, in the order kustomization.yaml lists them as its resources. */
export const k8sObjectFiles = ["deployment.yaml", "service.yaml", "hpa.yaml", "pdb.yaml"] as const;
/** Every file binship writes in k8s/: the objects and the kustomization that lists them. */
export const k8sFiles = [...k8sObjectFiles, "kustomization.yaml"] as const;

/** "registry/repo@sha256:..." -> its name and digest, for kustomize's images: entry; a tag -> undefined. */
export function digestReference(image: string): { name: string; digest: string } | undefined {
  const at = image.indexOf("@");
  return at > 0 ? { name: image.slice(0, at), digest: image.slice(at + 1) } : undefined;
}

export function terminationGracePeriod(drainSeconds: number): number {
  return preStopSeconds + Math.ceil(drainSeconds) + exitMarginSeconds;
}

export async function renderK8s(options: K8sOptions): Promise<RenderedFile[]> {
  const values = {
    name: options.name,
    image: options.image,
    port: options.port,
    replicas: options.replicas,
    maxReplicas: Math.max(options.replicas + 1, options.replicas * 3),
    livenessPath: options.livenessPath || undefined,
    readinessPath: options.readinessPath || undefined,
    // Startup waits for the process to answer at all; liveness is the cheaper endpoint.
    startupPath: options.livenessPath || options.readinessPath || undefined,
    startupSeconds,
    preStopSeconds,
    drainSeconds: options.drainSeconds,
    terminationGracePeriodSeconds: terminationGracePeriod(options.drainSeconds),
    nodeArch: options.nodeArch,
    // Only an image by digest is pinned in the kustomization; a tag stays the manifests' business.
    imageName: digestReference(options.image)?.name,
    imageDigest: digestReference(options.image)?.digest,
  };
  return Promise.all(
    k8sFiles.map(async (file) => ({
      path: `k8s/${file}`,
      text: fillTemplate(await readContainerTemplate(`k8s/${file}`), values, { escape: yamlEscape, name: `k8s/${file}` }),
    })),
  );
}
