// `binship pack container` of an Express app that calls app.listen(3000) itself
// (test/fixtures/apps/express-listen-3000): the pack warns that 3000 is not $PORT, the
// manifests carry 3000 and probe the app's TCP port (it answers 404 on /healthz), the app warns at
// start when PORT says otherwise, and in the image's root filesystem (buildah, its entrypoint run
// by chroot as uid 65532) every probe the Deployment names is answered where it points. Packed
// with the default (node) layout: Node and app.cjs, as the image runs them.

import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Service } from "kubernetes-models/v1/Service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { appsDir, fixturesDir, runCli, tempDir, type CliResult } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { requireTools } from "../helpers/tools.js";

const run = promisify(execFile);
const entry = join(appsDir, "express-listen-3000", "index.ts");
const hostDockerArch = process.arch === "arm64" ? "arm64" : "amd64";
const hostArch = process.arch === "arm64" ? "arm64" : "x64";
const buildTimeout = 240_000;
/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = any;

let work: string;
let out: string;
let packed: CliResult;
let deployment: Obj;
let service: Obj;

const container = (): Obj => deployment.spec.template.spec.containers[0];
/** The number a probe's port stands for: a container port's name, or a number. */
const portOf = (port: string | number): number => (typeof port === "number" ? port : container().ports.find((p: Obj) => p.name === port).containerPort);
const tcpOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });

/** Spawns a process and waits until 127.0.0.1:`port` accepts connections (the app's own port, not $PORT). */
async function startOn(port: number, command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: () => string }> {
  // The fixture's port is hard-coded: another process on it would answer in its place.
  if (await tcpOpen(port)) throw new Error(`port ${port} is already taken on this machine: the fixture cannot listen there`);
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const deadline = Date.now() + 30_000;
  while (!(await tcpOpen(port))) {
    if (child.exitCode !== null) throw new Error(`exited before listening on ${port}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`nothing listened on ${port} in time (is another process holding it?):\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => output };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGKILL");
  await once(child, "exit");
}

beforeAll(async () => {
  work = tempDir("binship-pack-listen-");
  out = join(work, "container");
  packed = await runCli(["pack", "container", entry, "-o", out, "--arch", hostArch, "--name", "svc", "--image", "registry.example.com/team/svc:1.0.0"]);
  expect(packed.code, packed.stderr).toBe(0);
  deployment = parseYaml(readFileSync(join(out, "k8s", "deployment.yaml"), "utf8"));
  service = parseYaml(readFileSync(join(out, "k8s", "service.yaml"), "utf8"));
}, buildTimeout);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("pack container of an app that calls listen(3000) itself", () => {
  it("warns that the app listens on 3000, not $PORT, at the call, with the fix", () => {
    expect(packed.stderr).toMatch(/express-listen-3000\/index\.ts:\d+:\d+: the app listens on port 3000 itself, not on \$PORT \(8080 by default\)/);
    expect(packed.stderr).toMatch(/hint: Listen on Number\(process\.env\.PORT\).*"container": \{ "port": 3000 \}/);
    expect(packed.stderr).toMatch(/\/healthz and \/readyz are not served: the manifests probe the app's TCP port instead/);
  });

  it("carries 3000 everywhere: containerPort, the Service's target, the image's PORT; probes are TCP; schema-valid", () => {
    expect(() => new Deployment(deployment).validate()).not.toThrow();
    expect(() => new Service(service).validate()).not.toThrow();
    expect(container().ports).toEqual([{ name: "http", containerPort: 3000, protocol: "TCP" }]);
    expect(portOf(service.spec.ports[0].targetPort)).toBe(3000);
    for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
      expect(container()[probe].httpGet, probe).toBeUndefined();
      expect(portOf(container()[probe].tcpSocket.port), probe).toBe(3000);
    }
    const dockerfile = readFileSync(join(out, "Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/^ENV PORT=3000$/m);
    expect(dockerfile).toMatch(/^EXPOSE 3000$/m);
  });

  it("the app warns at start when PORT is not the port the app listens on, naming both", async () => {
    // The packed Node runs the packed bundle, as the image's entrypoint does.
    const svc = await startOn(3000, join(out, `node-${hostDockerArch}`), [join(out, "app.cjs")], { ...process.env, PORT: "8080", HOST: "127.0.0.1" });
    try {
      expect((await httpRequest("http://127.0.0.1:3000/hello?name=k8s")).status).toBe(200);
      const deadline = Date.now() + 5_000;
      while (!svc.output().includes("binship: warning") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(svc.output()).toMatch(/binship: warning: the app listens on port 3000 itself, but PORT is 8080: .* Listen on Number\(process\.env\.PORT\) in the app, or run it with PORT=3000/);
    } finally {
      await stop(svc.child);
    }
  });
});

// buildah with the vfs driver (no overlay here) builds the recipe on the local stand-in for
// distroless cc (test/fixtures/container-base/build.sh); chroot runs its root as uid 65532.
const canBuild = requireTools("buildah", "apt-get", "dpkg-deb", "chroot");

describe.runIf(canBuild)("the image of that app, run from its root filesystem", () => {
  const buildah = async (...args: string[]) => (await run("buildah", ["--storage-driver", "vfs", ...args], { maxBuffer: 16 << 20 })).stdout.trim();
  const tag = `localhost/binship-test/svc-listen:${process.pid}`;
  let containerId: string | undefined;
  let rootfs: string;
  let imageEnv: string[];
  let entrypoint: string[];

  beforeAll(async () => {
    const base = (await run(join(fixturesDir, "container-base", "build.sh"), [join(work, "standin"), hostDockerArch])).stdout.trim();
    await buildah("bud", "--pull=never", "--build-arg", `BASE=${base}`, "-t", tag, out);
    containerId = await buildah("from", "--pull=never", tag);
    rootfs = await buildah("mount", containerId);
    const config = JSON.parse(await buildah("inspect", "--type", "container", containerId)).OCIv1.config;
    imageEnv = config.Env;
    entrypoint = config.Entrypoint;
  }, buildTimeout);

  afterAll(async () => {
    if (containerId) {
      await buildah("umount", containerId).catch(() => undefined);
      await buildah("rm", containerId).catch(() => undefined);
    }
    await buildah("rmi", tag).catch(() => undefined);
  });

  it("answers every probe the Deployment names, on the port it names, with the image's own environment", async () => {
    expect(imageEnv).toContain("PORT=3000");
    const env = Object.fromEntries(imageEnv.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
    expect(entrypoint).toEqual(["/usr/local/bin/node", "/app/app.cjs"]);
    const svc = await startOn(3000, "chroot", ["--userspec=65532:65532", rootfs, ...entrypoint], env);
    try {
      for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
        const p = container()[probe];
        if (p.httpGet) expect((await httpRequest(`http://127.0.0.1:${portOf(p.httpGet.port)}${p.httpGet.path}`)).status, probe).toBe(200);
        else expect(await tcpOpen(portOf(p.tcpSocket.port)), probe).toBe(true);
      }
      const hello = await httpRequest(`http://127.0.0.1:${portOf(service.spec.ports[0].targetPort)}/hello?name=pod`);
      expect(hello.status).toBe(200);
      expect(JSON.parse(hello.body.toString())).toEqual({ message: "hello, pod" });
      expect(svc.output()).not.toContain("binship: warning");
    } finally {
      await stop(svc.child);
    }
  });
});
