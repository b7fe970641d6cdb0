// The Kubernetes manifests and the Dockerfile of `pack container`: valid against the
// Kubernetes API schemas, the Pod Security "restricted" profile, probes on the endpoints the
// runtime serves, and one port everywhere.

import { containerLayouts } from "../../../../src/artifacts/container/layouts/index.js";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Service } from "kubernetes-models/v1/Service";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { resolveContainerOptions } from "../../../../src/artifacts/container/options.js";
import { renderRecipe } from "../../../../src/artifacts/container/recipe.js";
import { preStopSeconds, renderK8s, type K8sOptions } from "../../../../src/artifacts/container/k8s.js";
import { runtimeOptionsFrom } from "../../../../src/bundle/options.js";
import type { Config } from "../../../../src/config.js";
import { defaultRuntimeOptions } from "../../../../src/runtime/options.js";

// Loose views of the parsed objects: tests read fields by their exact API names, so a
// misspelt field in a template fails the assertion that reads it.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = any;

interface Rendered {
  deployment: Obj;
  service: Obj;
  hpa: Obj;
  pdb: Obj;
  dockerfile: string;
  readme: string;
}

const baseK8s: K8sOptions = {
  name: "svc",
  image: "registry.example.com/team/svc:1.4.0",
  port: 8080,
  replicas: 2,
  livenessPath: "/healthz",
  readinessPath: "/readyz",
  drainSeconds: 10,
};

function parseOne(text: string, file: string): Obj {
  const docs = parseAllDocuments(text);
  expect(docs, file).toHaveLength(1);
  const doc = Array.isArray(docs) ? docs[0]! : docs;
  expect(doc.errors, file).toEqual([]);
  return doc.toJS();
}

/** Renders manifests and recipe from a config, the way pack container does. */
async function render(config: Config, k8sOverrides: Partial<K8sOptions> = {}, built: { compileCache?: boolean } = {}): Promise<Rendered> {
  const { options: resolved } = resolveContainerOptions({ image: baseK8s.image, name: "svc", ...config }, "/nonexistent");
  const options = { ...resolved, ...built }; // what the pipeline learns once the app is built
  const k8s = await renderK8s({ ...options, ...k8sOverrides });
  const recipe = await renderRecipe({ ...options, dockerfile: containerLayouts[options.layout].dockerfile, dockerArchs: ["amd64", "arm64"], version: "0.0.0-test" });
  const byPath = new Map([...k8s, ...recipe].map((f) => [f.path, f.text]));
  return {
    deployment: parseOne(byPath.get("k8s/deployment.yaml")!, "deployment.yaml"),
    service: parseOne(byPath.get("k8s/service.yaml")!, "service.yaml"),
    hpa: parseOne(byPath.get("k8s/hpa.yaml")!, "hpa.yaml"),
    pdb: parseOne(byPath.get("k8s/pdb.yaml")!, "pdb.yaml"),
    dockerfile: byPath.get("Dockerfile")!,
    readme: byPath.get("README.md")!,
  };
}

/** Dockerfile instructions as [keyword, rest] pairs, comments dropped. */
function instructions(dockerfile: string): [string, string][] {
  return dockerfile
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => {
      const [kw, ...rest] = l.split(" ");
      return [kw!.toUpperCase(), rest.join(" ")];
    });
}

const container = (r: Rendered): Obj => r.deployment.spec.template.spec.containers[0];

describe("k8s manifests", () => {
  it("validate against the Kubernetes API schemas (kubernetes-models)", async () => {
    const r = await render({});
    expect(() => new Deployment(r.deployment).validate()).not.toThrow();
    expect(() => new Service(r.service).validate()).not.toThrow();
    expect(() => new HorizontalPodAutoscaler(r.hpa).validate()).not.toThrow();
    expect(() => new PodDisruptionBudget(r.pdb).validate()).not.toThrow();
    expect([r.deployment.apiVersion, r.service.apiVersion, r.hpa.apiVersion, r.pdb.apiVersion]).toEqual(["apps/v1", "v1", "autoscaling/v2", "policy/v1"]);
  });

  it("the schema validation rejects a wrong type, so the check above can fail", async () => {
    const r = await render({});
    container(r).lifecycle.preStop.sleep.seconds = "5";
    expect(() => new Deployment(r.deployment).validate()).toThrow(/seconds must be integer/);
  });

  it("meet the Pod Security restricted profile, with a read-only root and a writable /tmp", async () => {
    const r = await render({});
    const pod = r.deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } });
    expect(container(r).securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    const tmpMount = container(r).volumeMounts.find((m: Obj) => m.mountPath === "/tmp");
    expect(pod.volumes.find((v: Obj) => v.name === tmpMount.name).emptyDir).toBeDefined();
    expect(container(r).resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container(r).resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
  });

  it("probe the runtime's default endpoints", async () => {
    const r = await render({});
    const c = container(r);
    expect(c.livenessProbe.httpGet).toEqual({ path: defaultRuntimeOptions.livenessPath, port: "http" });
    expect(c.readinessProbe.httpGet).toEqual({ path: defaultRuntimeOptions.readinessPath, port: "http" });
    expect(c.startupProbe.httpGet.path).toBe(defaultRuntimeOptions.livenessPath);
    expect(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds).toBeGreaterThanOrEqual(10);
  });

  it("probe the configured paths, the same ones the bundle bakes into the runtime", async () => {
    const config: Config = { livenessPath: "/-/live", readinessPath: "/-/ready" };
    const r = await render(config);
    const runtime = runtimeOptionsFrom(config);
    expect(container(r).livenessProbe.httpGet.path).toBe(runtime.livenessPath);
    expect(container(r).readinessProbe.httpGet.path).toBe(runtime.readinessPath);
  });

  it("fall back to a TCP probe for an endpoint that is switched off", async () => {
    const r = await render({ readinessPath: false });
    const c = container(r);
    expect(c.readinessProbe.tcpSocket).toEqual({ port: "http" });
    expect(c.readinessProbe.httpGet).toBeUndefined();
    expect(c.livenessProbe.httpGet.path).toBe("/healthz");
    expect(() => new Deployment(r.deployment).validate()).not.toThrow();
    const none = await render({ livenessPath: false, readinessPath: false });
    for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
      expect(container(none)[probe].tcpSocket, probe).toEqual({ port: "http" });
    }
    expect(none.readme).not.toContain("/healthz");
  });

  it('probe the TCP port for contract "listen", where the module owns the server and no probe path exists', async () => {
    const { options, warnings } = resolveContainerOptions({ contract: "listen", name: "svc" }, "/nonexistent");
    expect(options.livenessPath).toBe(false);
    expect(options.readinessPath).toBe(false);
    expect(warnings.map((w) => w.text).join("\n")).toMatch(/TCP port/);
  });

  it("keep a probe path with YAML-special characters exactly", async () => {
    const path = '/a: b #c "d"';
    const r = await render({ livenessPath: path });
    expect(container(r).livenessProbe.httpGet.path).toBe(path);
  });

  it("use one port across Dockerfile, Deployment and Service", async () => {
    for (const port of [8080, 3000]) {
      const r = await render({ port });
      const ins = instructions(r.dockerfile);
      expect(ins).toContainEqual(["EXPOSE", String(port)]);
      expect(ins).toContainEqual(["ENV", `PORT=${port}`]);
      const ports = container(r).ports;
      expect(ports).toEqual([{ name: "http", containerPort: port, protocol: "TCP" }]);
      expect(r.service.spec.type).toBe("ClusterIP");
      expect(r.service.spec.ports).toEqual([{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);
      for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) expect(container(r)[probe].httpGet.port).toBe("http");
    }
  });

  it("select the Deployment's pods from the Service, the PDB and the HPA", async () => {
    const r = await render({});
    const labels = r.deployment.spec.template.metadata.labels;
    expect(r.deployment.spec.selector.matchLabels).toEqual(labels);
    expect(r.service.spec.selector).toEqual(labels);
    expect(r.pdb.spec.selector.matchLabels).toEqual(labels);
    expect(r.hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: r.deployment.metadata.name });
  });

  it("drain before SIGKILL: preStop sleep plus the runtime's drain period fit in the grace period", async () => {
    for (const shutdownGraceSeconds of [10, 30, 2.5]) {
      const r = await render({ shutdownGraceSeconds });
      const pod = r.deployment.spec.template.spec;
      expect(container(r).lifecycle.preStop).toEqual({ sleep: { seconds: preStopSeconds } });
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + shutdownGraceSeconds);
    }
  });

  it("fill --image, --name and --replicas; the HPA owns the replica count and the PDB allows one down", async () => {
    const r = await render({ image: "ghcr.io/acme/orders:2.0.1", name: "orders", replicas: 3 });
    expect(r.deployment.metadata.name).toBe("orders");
    expect(container(r).image).toBe("ghcr.io/acme/orders:2.0.1");
    expect(container(r).name).toBe("orders");
    expect(r.deployment.spec.replicas).toBeUndefined();
    expect(r.hpa.spec.minReplicas).toBe(3);
    expect(r.hpa.spec.maxReplicas).toBeGreaterThan(3);
    expect(r.hpa.spec.metrics).toEqual([{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }]);
    expect(r.pdb.spec.maxUnavailable).toBe(1);
    for (const obj of [r.service, r.hpa, r.pdb]) expect(obj.metadata.name).toBe("orders");
  });

  it("pin pods to the node architecture when only one was packed", async () => {
    const one = await render({}, { nodeArch: "arm64" });
    expect(one.deployment.spec.template.spec.nodeSelector).toEqual({ "kubernetes.io/arch": "arm64" });
    expect(() => new Deployment(one.deployment).validate()).not.toThrow();
    const both = await render({});
    expect(both.deployment.spec.template.spec.nodeSelector).toBeUndefined();
  });
});

describe("Dockerfile and README", () => {
  it("default to the node layout on distroless cc-debian13 nonroot: Node and the bundle in two layers, Node picked by TARGETARCH, run exec-form as 65532", async () => {
    const r = await render({});
    const ins = instructions(r.dockerfile);
    expect(ins[0]).toEqual(["ARG", "BASE=gcr.io/distroless/cc-debian13:nonroot"]);
    expect(ins).toContainEqual(["FROM", "${BASE}"]);
    expect(ins).toContainEqual(["ARG", "TARGETARCH"]);
    // Node first: its layer is the same for every service on that Node; the app's comes after it.
    const copies = ins.filter(([k]) => k === "COPY").map(([, rest]) => rest);
    expect(copies.slice(0, 2)).toEqual(["--chmod=0755 node-${TARGETARCH} /usr/local/bin/node", "--chmod=0644 app.cjs /app/app.cjs"]);
    expect(ins).toContainEqual(["USER", "65532:65532"]);
    expect(JSON.parse(ins.find(([k]) => k === "ENTRYPOINT")![1])).toEqual(["/usr/local/bin/node", "/app/app.cjs"]);
    expect(r.dockerfile.startsWith("# Generated by binship")).toBe(true);
  });

  it("the node layout with a compile cache copies it and points NODE_COMPILE_CACHE at it", async () => {
    const without = await render({});
    expect(without.dockerfile).not.toContain("NODE_COMPILE_CACHE");
    const r = await render({}, {}, { compileCache: true });
    const ins = instructions(r.dockerfile);
    expect(ins).toContainEqual(["COPY", "compile-cache/ /app/compile-cache/"]);
    expect(ins).toContainEqual(["ENV", "NODE_COMPILE_CACHE=/app/compile-cache NODE_COMPILE_CACHE_PORTABLE=1"]);
  });

  it("--layout executable: one executable per arch picked by TARGETARCH, run exec-form as 65532", async () => {
    const r = await render({ layout: "executable" });
    const ins = instructions(r.dockerfile);
    expect(ins[0]).toEqual(["ARG", "BASE=gcr.io/distroless/cc-debian13:nonroot"]);
    expect(ins).toContainEqual(["FROM", "${BASE}"]);
    expect(ins).toContainEqual(["ARG", "TARGETARCH"]);
    expect(ins).toContainEqual(["COPY", "--chmod=0755 app-${TARGETARCH} /app/svc"]);
    expect(ins).toContainEqual(["USER", "65532:65532"]);
    expect(JSON.parse(ins.find(([k]) => k === "ENTRYPOINT")![1])).toEqual(["/app/svc"]);
    expect(r.dockerfile.startsWith("# Generated by binship")).toBe(true);
  });

  it("put the bundle layout on the distroless Node image of the bundle's Node major", async () => {
    const r = await render({ layout: "bundle", node: "22" });
    const ins = instructions(r.dockerfile);
    expect(ins[0]).toEqual(["ARG", "BASE=gcr.io/distroless/nodejs22-debian13:nonroot"]);
    expect(JSON.parse(ins.find(([k]) => k === "ENTRYPOINT")![1])).toEqual(["/nodejs/bin/node", "/app/app.cjs"]);
    expect(ins.some(([k, rest]) => k === "ARG" && rest === "TARGETARCH")).toBe(false);
  });

  it("README: build, push and apply in three commands, and the Lambda container use", async () => {
    const r = await render({});
    const block = /```sh\n([\s\S]*?)```/.exec(r.readme)![1]!.trim().split("\n");
    expect(block).toHaveLength(3);
    expect(block[0]).toMatch(/^podman build --platform linux\/amd64,linux\/arm64 --manifest registry.example.com\/team\/svc:1.4.0 \.$/);
    expect(block[1]).toMatch(/^podman manifest push /);
    expect(block[2]).toBe("kubectl apply -k k8s/");
    expect(r.readme).toContain("docker buildx build --platform linux/amd64,linux/arm64 -t registry.example.com/team/svc:1.4.0 --push .");
    expect(r.readme).toContain("AWS_LAMBDA_RUNTIME_API");
    expect(r.readme).toContain("--provenance=false -t registry.example.com/team/svc:1.4.0-lambda");
  });
});

describe("resolveContainerOptions", () => {
  it("rejects an image reference that is not one, naming the flag and the form", () => {
    expect(() => resolveContainerOptions({ image: "Registry Example/svc" }, "/x")).toThrow(/--image "Registry Example\/svc" is not an image reference/);
  });

  it("rejects --layout bundle on a Node major without a distroless Node image", () => {
    expect(() => resolveContainerOptions({ layout: "bundle", node: "20", name: "x" }, "/x")).toThrow(/no distroless Node 20 image/);
  });

  it("names the service after package.json (as a DNS-1123 label), else the entry's directory", () => {
    const withPkg = mkdtempSync(join(tmpdir(), "binship-name-"));
    mkdirSync(join(withPkg, "src"));
    writeFileSync(join(withPkg, "src", "index.ts"), "");
    writeFileSync(join(withPkg, "package.json"), JSON.stringify({ name: "@team/Order_Service" }));
    expect(resolveContainerOptions({ entry: "src/index.ts" }, withPkg).options.name).toBe("order-service");
    const bare = join(mkdtempSync(join(tmpdir(), "binship-name-")), "Billing API");
    mkdirSync(join(bare, "src"), { recursive: true });
    expect(resolveContainerOptions({ entry: "src/index.ts" }, bare).options.name).toBe("billing-api");
  });

  it("defaults to both architectures, port 8080, two replicas, dist/container and the node layout", () => {
    const { options } = resolveContainerOptions({ name: "x" }, "/proj");
    expect(options).toMatchObject({ archs: ["arm64", "x64"], port: 8080, replicas: 2, outDir: "/proj/dist/container", k8s: true, layout: "node" });
    expect(resolveContainerOptions({ name: "x", layout: "executable" }, "/proj").options.layout).toBe("executable");
  });
});
