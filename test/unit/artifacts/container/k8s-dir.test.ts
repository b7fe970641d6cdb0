// k8s/ as a kustomize base the user shares with binship: binship's kustomization lists exactly
// its objects, a repack keeps the user's files, an edit to a binship file is saved and named,
// a kustomization.yaml of the user's is left alone, and the README's overlay builds with a
// real kustomize (kubectl kustomize) without relaxing load restrictions.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { requireTools } from "../../../helpers/tools.js";
import { resolveContainerOptions } from "../../../../src/artifacts/container/options.js";
import { packContainer, renderContainerFiles, type ContainerOptions } from "../../../../src/artifacts/container/index.js";
import { pinK8sImage } from "../../../../src/artifacts/container/pin-k8s.js";

let work: string;
let bundle: string;

function options(outDir: string, config = {}): ContainerOptions {
  const { options: resolved } = resolveContainerOptions({ name: "svc", image: "registry.example.com/svc:1", layout: "bundle", ...config }, work);
  return { ...resolved, outDir, version: "0.0.0-test" };
}

async function pack(o: ContainerOptions) {
  return packContainer(o, { executables: [], bundle: { path: bundle, bytes: 1, sha256: "0" } }, await renderContainerFiles(o));
}

const k8sNames = (out: string) => readdirSync(join(out, "k8s")).sort();
const read = (path: string) => readFileSync(path, "utf8");

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "binship-k8s-dir-"));
  bundle = join(work, "app.cjs");
  writeFileSync(bundle, "console.log(1)\n");
});

describe("k8s/ and kustomize", () => {
  it("kustomization.yaml lists exactly the objects binship wrote, and no image pin before a push", async () => {
    const out = join(work, "list");
    await pack(options(out));
    const k = parseYaml(read(join(out, "k8s", "kustomization.yaml")));
    expect(k.kind).toBe("Kustomization");
    expect([...k.resources].sort()).toEqual(k8sNames(out).filter((f) => f !== "kustomization.yaml"));
    expect(k.images).toBeUndefined();
  });

  it("pinning adds an images: entry with the digest to binship's kustomization, matching the manifests", async () => {
    const out = join(work, "pin");
    const o = options(out);
    await pack(o);
    const digest = `sha256:${"ab".repeat(32)}`;
    await pinK8sImage(out, o, `registry.example.com/svc@${digest}`);
    const k = parseYaml(read(join(out, "k8s", "kustomization.yaml")));
    expect(k.images).toEqual([{ name: "registry.example.com/svc", digest }]);
    const deployment = parseYaml(read(join(out, "k8s", "deployment.yaml")));
    expect(deployment.spec.template.spec.containers[0].image).toBe(`registry.example.com/svc@${digest}`);
    // The pinned files are binship's: a repack replaces them without calling them edited.
    const again = await pack(o);
    expect(again.warnings).toEqual([]);
    expect(parseYaml(read(join(out, "k8s", "kustomization.yaml"))).images).toBeUndefined();
  });

  it("keeps files binship did not write in k8s/ (a subdirectory too) when the output is repacked", async () => {
    const out = join(work, "keep");
    await pack(options(out));
    writeFileSync(join(out, "k8s", "configmap.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mine\n");
    mkdirSync(join(out, "k8s", "patches"));
    writeFileSync(join(out, "k8s", "patches", "replicas.yaml"), "# mine\n");
    const r = await pack(options(out, { port: 9090 })); // a real change: the tree is swapped
    expect(r.changed).toBe(true);
    expect(r.warnings).toEqual([]);
    expect(read(join(out, "k8s", "configmap.yaml"))).toContain("name: mine");
    expect(read(join(out, "k8s", "patches", "replicas.yaml"))).toBe("# mine\n");
    expect(read(join(out, "k8s", "deployment.yaml"))).toContain("containerPort: 9090");
  });

  it("replaces a binship file the user edited, saves the edit as <file>.edited and says so", async () => {
    const out = join(work, "edit");
    await pack(options(out));
    const edited = read(join(out, "k8s", "deployment.yaml")).replace("maxSurge: 1", "maxSurge: 3");
    writeFileSync(join(out, "k8s", "deployment.yaml"), edited);
    const r = await pack(options(out));
    expect(r.warnings.map((w) => w.text)).toEqual([
      "k8s/deployment.yaml was edited after binship wrote it: replaced, and your version saved as k8s/deployment.yaml.edited",
    ]);
    expect(read(join(out, "k8s", "deployment.yaml.edited"))).toBe(edited);
    expect(read(join(out, "k8s", "deployment.yaml"))).toContain("maxSurge: 1");
    // The saved copy is the user's now: the next pack keeps it and warns no more.
    const next = await pack(options(out));
    expect(next.warnings).toEqual([]);
    expect(read(join(out, "k8s", "deployment.yaml.edited"))).toBe(edited);
    // A second edit is saved beside the first, which stays as it was.
    const again = read(join(out, "k8s", "deployment.yaml")).replace("maxSurge: 1", "maxSurge: 4");
    writeFileSync(join(out, "k8s", "deployment.yaml"), again);
    const third = await pack(options(out));
    expect(third.warnings.map((w) => w.text)).toEqual([
      "k8s/deployment.yaml was edited after binship wrote it: replaced, and your version saved as k8s/deployment.yaml.edited.2",
    ]);
    expect(read(join(out, "k8s", "deployment.yaml.edited"))).toBe(edited);
    expect(read(join(out, "k8s", "deployment.yaml.edited.2"))).toBe(again);
  });

  it("a damaged record is read as no record: nothing is lost, binship's objects are replaced", async () => {
    const out = join(work, "damaged");
    await pack(options(out));
    writeFileSync(join(out, ".binship-k8s.json"), '{"files": {"k8s/deployment.yaml": "not-a-list", "../Dockerfile": []}}');
    writeFileSync(join(out, "k8s", "notes.txt"), "mine\n");
    const r = await pack(options(out, { port: 9094 }));
    expect(r.warnings).toEqual([]);
    expect(read(join(out, "k8s", "notes.txt"))).toBe("mine\n");
    expect(read(join(out, "k8s", "deployment.yaml"))).toContain("containerPort: 9094");
    expect(JSON.parse(read(join(out, ".binship-k8s.json"))).files["k8s/deployment.yaml"]).toHaveLength(1);
  });

  it("leaves a kustomization.yaml of the user's alone and names the objects it does not list", async () => {
    const out = join(work, "own");
    await pack(options(out));
    const mine = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: prod\nresources:\n  - deployment.yaml\n  - service.yaml\n";
    writeFileSync(join(out, "k8s", "kustomization.yaml"), mine);
    const r = await pack(options(out, { port: 9091 }));
    expect(r.warnings.map((w) => w.text)).toEqual([
      "k8s/kustomization.yaml is yours (binship did not write it), so binship kept it and wrote none of its own; it does not list hpa.yaml, pdb.yaml",
    ]);
    expect(read(join(out, "k8s", "kustomization.yaml"))).toBe(mine);
    expect(existsSync(join(out, "k8s", "kustomization.yaml.edited"))).toBe(false);
    // A push does not touch it either; the manifests carry the digest for it.
    await pinK8sImage(out, options(out, { port: 9091 }), `registry.example.com/svc@sha256:${"cd".repeat(32)}`);
    expect(read(join(out, "k8s", "kustomization.yaml"))).toBe(mine);
  });

  it("an output written before binship kept a record: its objects are replaced, a kustomization.yaml in it kept", async () => {
    const out = join(work, "legacy");
    await pack(options(out));
    rmSync(join(out, ".binship-k8s.json"));
    const mine = "resources: [deployment.yaml, service.yaml, hpa.yaml, pdb.yaml]\n";
    writeFileSync(join(out, "k8s", "kustomization.yaml"), mine);
    const r = await pack(options(out, { port: 9092 }));
    expect(r.warnings).toEqual([]);
    expect(read(join(out, "k8s", "kustomization.yaml"))).toBe(mine);
    expect(k8sNames(out)).toEqual(["deployment.yaml", "hpa.yaml", "kustomization.yaml", "pdb.yaml", "service.yaml"]);
  });
});

const canKustomize = requireTools("kubectl");

describe.runIf(canKustomize)("the README's kustomize overlay", () => {
  it("builds from outside the output directory without --load-restrictor, with the overlay's namespace, next to a file of the user's that binship kept", async () => {
    const project = join(work, "project");
    const out = join(project, "dist", "container");
    await pack(options(out));
    writeFileSync(join(out, "k8s", "configmap.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n");
    await pack(options(out, { port: 9093 })); // the user's file survives, listed by no one yet
    expect(existsSync(join(out, "k8s", "configmap.yaml"))).toBe(true);
    const overlay = join(project, "deploy", "overlays", "prod");
    mkdirSync(overlay, { recursive: true });
    // The overlay of README.md ("Kubernetes and kustomize"), byte for byte.
    const readme = read(join(import.meta.dirname, "../../../../README.md"));
    const block = /<!-- kustomize-overlay -->\s*```yaml\n([\s\S]*?)```/.exec(readme);
    expect(block, "README.md holds the overlay after <!-- kustomize-overlay -->").not.toBeNull();
    writeFileSync(join(overlay, "kustomization.yaml"), block![1]!);
    const built = execFileSync("kubectl", ["kustomize", overlay], { encoding: "utf8" });
    const objects = parseAllDocuments(built).map((d) => d.toJS());
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "Deployment/svc",
      "HorizontalPodAutoscaler/svc",
      "PodDisruptionBudget/svc",
      "Service/svc",
    ]);
    expect(objects.every((o) => o.metadata.namespace === "prod")).toBe(true);
    expect(objects.find((o) => o.kind === "Service").spec.ports[0].targetPort).toBeDefined();
  });
});
