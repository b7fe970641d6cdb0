// The deploy-tool examples in examples/deploy/ work as shipped: each is copied into a project laid
// out like the hello example, the real `binship pack` runs once, and every template is read by a
// real parser (yaml with SAM's short tags, HCL by @cdktf/hcl2json, the workflow by GitHub's
// @actions/workflow-parser) and must name the files pack wrote. The SAM makefile target and the
// workflow's pack and invoke steps run for real; the CDK app synthesizes with aws-cdk-lib.

import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, type Tags } from "yaml";
import { binshipBin, repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { requireTools } from "../helpers/tools.js";

const examples = join(repoRoot, "examples", "deploy");
// Loaded by a name typescript does not follow: its typings reference lib "dom", which would
// change the types of the whole project (Buffer stops being a BlobPart).
const hcl2json = "@cdktf/hcl2json";
const parseHcl = async (name: string, text: string): Promise<any> => (await import(hcl2json)).parse(name, text);
const project = tempDir("binship-deploy-examples-");
const binship = `"${process.execPath}" "${binshipBin}"`;
let zip: { path: string; sha256Base64: string; arch: string; runtime: string };

beforeAll(async () => {
  cpSync(join(repoRoot, "examples", "hello", "src"), join(project, "src"), { recursive: true });
  for (const dir of readdirSync(examples)) if (statSync(join(examples, dir)).isDirectory()) cpSync(join(examples, dir), join(project, dir), { recursive: true });
  symlinkSync(join(repoRoot, "node_modules"), join(project, "node_modules")); // aws-cdk-lib for the CDK app
  const lambda = await runCli(["pack", "lambda", "src/index.ts", "--json"], { cwd: project });
  expect(lambda.code, lambda.stderr).toBe(0);
  zip = JSON.parse(lambda.stdout);
  const container = await runCli(["pack", "container", "src/index.ts", "--layout", "executable", "--arch", "arm64", "-q"], { cwd: project });
  expect(container.code, container.stderr).toBe(0);
}, 300_000);

// CloudFormation's short forms, as SAM and cfn-lint read them.
const cfnTags: Tags = [
  { tag: "!Ref", resolve: (s: string) => ({ Ref: s }) },
  { tag: "!GetAtt", resolve: (s: string) => ({ "Fn::GetAtt": s.split(".") }) },
  { tag: "!Sub", resolve: (s: string) => ({ "Fn::Sub": s }) },
];
const yamlFile = (path: string) => parseYaml(readFileSync(join(project, path), "utf8"), { customTags: cfnTags, strict: true, uniqueKeys: true });
const inProject = (path: string) => join(project, path);
const isPackOutput = (path: string) => {
  expect(existsSync(inProject(path)), `${path} exists after pack`).toBe(true);
  expect(inProject(path)).toBe(zip.path);
};

function functions(template: any): [string, any][] {
  return Object.entries(template.Resources as Record<string, any>).filter(([, r]) => r.Type === "AWS::Serverless::Function");
}

describe("SAM", () => {
  it("deploys the zip pack wrote, on the runtime and architecture it was built for", () => {
    const template = yamlFile("sam/template.yaml");
    expect(template.Transform).toBe("AWS::Serverless-2016-10-31");
    const fns = functions(template);
    expect(fns.length).toBe(1);
    for (const [id, fn] of fns) {
      // CodeUri is relative to the template's directory; the example goes at the project root.
      isPackOutput(fn.Properties.CodeUri);
      expect(fn.Properties.Runtime).toBe(zip.runtime);
      expect(fn.Properties.Architectures).toEqual([zip.arch === "x64" ? "x86_64" : "arm64"]);
      // SAM names the function URL it generates <LogicalId>Url.
      expect(template.Outputs.HelloUrl.Value).toEqual({ "Fn::GetAtt": [`${id}Url`, "FunctionUrl"] });
      expect(template.Outputs.HelloFunctionArn.Value).toEqual({ Ref: id });
    }
  });

  it.runIf(requireTools("make", "unzip"))("BuildMethod makefile: the build-<LogicalId> target leaves bootstrap 0755 at the root of ARTIFACTS_DIR", { timeout: 120_000 }, () => {
    const template = yamlFile("sam-makefile/template.yaml");
    const [[id, fn]] = functions(template) as [[string, any]];
    expect(fn.Metadata.BuildMethod).toBe("makefile");
    expect(fn.Properties.CodeUri).toBe(".");
    // sam build runs `make build-<LogicalId>` in CodeUri with ARTIFACTS_DIR set; the Makefile goes at the project root.
    cpSync(join(project, "sam-makefile", "Makefile"), join(project, "Makefile"));
    const artifacts = join(tempDir("binship-sam-artifacts-"), "HelloFunction");
    mkdirSync(artifacts);
    execFileSync("make", [`build-${id}`, `ARTIFACTS_DIR=${artifacts}`, `BINSHIP=${binship}`], { cwd: project, stdio: "pipe" });
    expect(statSync(join(artifacts, "bootstrap")).mode & 0o777).toBe(0o755);
    expect(readdirSync(artifacts).sort()).toEqual(["bootstrap", "lib"]);
    expect(execFileSync("unzip", ["-Z1", zip.path], { encoding: "utf8" }).split("\n").filter(Boolean).filter((e) => !e.endsWith("/")).every((e) => existsSync(join(artifacts, e)))).toBe(true);
  });
});

describe("Terraform", () => {
  it("names the zip pack wrote in filename and source_code_hash, on provided.al2023 and arm64", async () => {
    const tf = await parseHcl("main.tf", readFileSync(join(project, "terraform", "main.tf"), "utf8"));
    const [fn] = tf.resource.aws_lambda_function.hello;
    // path.module is the directory of main.tf: the example goes at the project root.
    const file = fn.filename.replace("${path.module}/", "");
    isPackOutput(file);
    expect(fn.source_code_hash).toBe(`\${filebase64sha256("\${path.module}/${file}")}`);
    expect(fn).toMatchObject({ runtime: "provided.al2023", architectures: ["arm64"], handler: "bootstrap" });
    // What Terraform's filebase64sha256 computes is what pack reports.
    const digest = execFileSync("sha256sum", [zip.path], { encoding: "utf8" }).split(" ")[0]!;
    expect(Buffer.from(digest, "hex").toString("base64")).toBe(zip.sha256Base64);
  });
});

describe("Serverless Framework", () => {
  it("deploys the zip pack wrote as package.artifact", () => {
    const sls = yamlFile("serverless/serverless.yml");
    isPackOutput(sls.package.artifact);
    expect(sls.provider).toMatchObject({ name: "aws", runtime: "provided.al2023", architecture: "arm64" });
    expect(Object.keys(sls.functions)).toEqual(["hello"]);
  });
});

describe("CDK", () => {
  it("synthesizes: the zip asset is pack's zip byte for byte, the image asset holds one architecture", { timeout: 60_000 }, () => {
    const out = join(tempDir("binship-cdk-out-"), "cdk.out");
    const r = spawnSync(process.execPath, [join(project, "cdk", "app.ts")], { cwd: project, env: { ...process.env, CDK_OUTDIR: out }, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const assets = JSON.parse(readFileSync(join(out, "Hello.assets.json"), "utf8"));
    const files = Object.values(assets.files as Record<string, any>).filter((f) => f.displayName === "HelloZip/Code");
    expect(files.length).toBe(1);
    expect(files[0].source.packaging).toBe("file");
    expect(readFileSync(join(out, files[0].source.path)).equals(readFileSync(zip.path))).toBe(true);
    const images = Object.values(assets.dockerImages as Record<string, any>);
    expect(images.length).toBe(1);
    expect(images[0].source.platform).toBe("linux/arm64");
    const context = readdirSync(join(out, images[0].source.directory)).sort();
    expect(context).toContain("Dockerfile");
    expect(context).toContain("app-arm64");
    expect(context.filter((f) => f.includes("amd64"))).toEqual([]);
    const template = JSON.parse(readFileSync(join(out, "Hello.template.json"), "utf8"));
    const fns = Object.values(template.Resources as Record<string, any>).filter((res) => res.Type === "AWS::Lambda::Function");
    expect(fns.map((f) => f.Properties.Architectures)).toEqual([["arm64"], ["arm64"]]);
    expect(fns.find((f) => f.Properties.PackageType !== "Image")!.Properties).toMatchObject({ Runtime: "provided.al2023", Handler: "bootstrap" });
  });
});

describe("GitHub Actions", () => {
  const workflowPath = join(examples, "github-actions", "binship.yml");

  it("is a valid workflow to GitHub's own parser", async () => {
    const { parseWorkflow, NoOperationTraceWriter, convertWorkflowTemplate } = await import("@actions/workflow-parser");
    const parsed = parseWorkflow({ name: "binship.yml", content: readFileSync(workflowPath, "utf8") }, new NoOperationTraceWriter());
    expect(parsed.context.errors.getErrors().map((e) => e.message)).toEqual([]);
    const template = await convertWorkflowTemplate(parsed.context, parsed.value!);
    expect(template.errors ?? []).toEqual([]);
    expect(template.jobs.length).toBe(1);
    // The parser validates against GitHub's schema: a misspelt key is an error.
    const bad = parseWorkflow({ name: "bad.yml", content: readFileSync(workflowPath, "utf8").replace("runs-on:", "runs_on:") }, new NoOperationTraceWriter());
    expect(bad.context.errors.getErrors().length).toBeGreaterThan(0);
  });

  it("installs the apt packages invoke needs, caches binship's cache on the lockfile and Node version, and packs, invokes and uploads the same zip", async () => {
    const steps: any[] = parseYaml(readFileSync(workflowPath, "utf8")).jobs.lambda.steps;
    const run = (needle: string) => steps.find((s) => typeof s.run === "string" && s.run.includes(needle));
    for (const pkg of ["qemu-user", "libc6-arm64-cross", "libstdc++6-arm64-cross"]) {
      expect(run("apt-get install").run.split(/\s+/), pkg).toContain(pkg);
      expect(readFileSync(join(repoRoot, ".ci", "run"), "utf8"), `${pkg} is what CI installs too`).toContain(pkg);
    }
    const cache = steps.find((s) => String(s.uses).startsWith("actions/cache@"));
    expect(cache.with.path).toBe("~/.cache/binship"); // binship's default: $XDG_CACHE_HOME/binship, else ~/.cache/binship
    expect(cache.with.key).toContain("hashFiles('package-lock.json')");
    expect(cache.with.key).toContain("steps.node.outputs.node-version");
    expect(steps.find((s) => s.id === "node").uses).toMatch(/^actions\/setup-node@/);
    const upload = steps.find((s) => String(s.uses).startsWith("actions/upload-artifact@"));
    // The workflow's own pack and invoke commands, run here as they are written.
    for (const command of [run("binship pack lambda").run, run("binship invoke").run]) {
      const r = spawnSync("sh", ["-c", command.replaceAll("npx binship", binship)], { cwd: project, encoding: "utf8" });
      expect(r.status, `${command}\n${r.stderr}`).toBe(0);
      if (command.includes("invoke")) expect(r.stdout).toMatch(/^HTTP\/1.1 200/);
    }
    expect(existsSync(join(project, upload.with.path))).toBe(true);
    expect(run("binship invoke").run).toContain(upload.with.path);
  });
});
