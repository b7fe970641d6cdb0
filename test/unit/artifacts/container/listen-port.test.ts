// A module that calls listen() itself, seen in its sources at pack time: the manifests probe
// its TCP port (binship's /healthz and /readyz are not served there), a fixed port becomes the
// container's port, and a port that is not $PORT is a warning naming both ports and the fix.

import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Service } from "kubernetes-models/v1/Service";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { adaptToListenCalls, findListenCalls } from "../../../../src/artifacts/container/listen-port.js";
import { resolveContainerOptions } from "../../../../src/artifacts/container/options.js";
import { renderContainerFiles } from "../../../../src/artifacts/container/index.js";
import type { Config } from "../../../../src/config.js";
import { packageRoot } from "../../../../src/paths.js";

const scan = (files: Record<string, string>) => findListenCalls(Object.keys(files), (f) => files[f]!);
const optionsFor = (config: Config) => ({ ...resolveContainerOptions({ name: "svc", image: "registry.example.com/svc:1", ...config }, "/nonexistent").options, version: "0.0.0-test" });

describe("findListenCalls", () => {
  it("finds a number literal, a { port } object, and a port it cannot know, with their places", () => {
    const calls = scan({
      "/app/src/a.ts": "const app = express();\napp.listen(3000, () => {});\n",
      "/app/src/b.ts": "await fastify.listen({ host: '0.0.0.0', port: 2022 });\n",
      "/app/src/c.ts": "server.listen(Number(process.env.PORT ?? 8080));\n",
    });
    expect(calls.map(({ file, line, column, port }) => ({ file, line, column, port }))).toEqual([
      { file: "/app/src/a.ts", line: 2, column: 3, port: 3000 },
      { file: "/app/src/b.ts", line: 1, column: 13, port: 2022 },
      { file: "/app/src/c.ts", line: 1, column: 6, port: undefined },
    ]);
    expect(calls[0]!.lineText).toBe("app.listen(3000, () => {});");
  });

  it("skips commented-out calls, dependencies, binship's own runtime and files that are not code", () => {
    const calls = scan({
      "/app/src/a.ts": "// app.listen(3000)\n/* server.listen(4000) */\nexport default app;\n",
      "/app/node_modules/express/lib/application.js": "app.listen = function () { return server.listen(3000); };\n",
      [join(packageRoot(), "lib", "runtime", "server", "index.js")]: "server.listen(port, host);\n",
      "/app/README.md": "call app.listen(3000)\n",
    });
    expect(calls).toEqual([]);
  });
});

describe("adaptToListenCalls", () => {
  const fixed = scan({ "/app/index.ts": "app.listen(3000);\n" });
  const onPort = scan({ "/app/index.ts": "app.listen(process.env.PORT);\n" });

  it("a fixed port becomes the container's port; the probes go to the TCP port; both are said", () => {
    const { options, warnings } = adaptToListenCalls(optionsFor({}), {}, fixed);
    expect(options).toMatchObject({ port: 3000, livenessPath: false, readinessPath: false });
    expect(warnings[0]).toMatchObject({ file: "/app/index.ts", line: 1 });
    expect(warnings[0]!.text).toMatch(/listens on port 3000 itself, not on \$PORT \(8080 by default\)/);
    expect(warnings[0]!.hint).toMatch(/process\.env\.PORT.*"port": 3000/);
    expect(warnings[1]!.text).toMatch(/\/healthz and \/readyz are not served: the manifests probe the app's TCP port/);
  });

  it("a stated container.port wins, and a different fixed port is a warning naming both", () => {
    const { options, warnings } = adaptToListenCalls(optionsFor({ port: 8080 }), { port: 8080 }, fixed);
    expect(options.port).toBe(8080);
    expect(warnings[0]!.text).toMatch(/listens on port 3000, but container\.port is 8080/);
    const agreed = adaptToListenCalls(optionsFor({ port: 3000 }), { port: 3000 }, fixed);
    expect(agreed.options.port).toBe(3000);
    expect(agreed.warnings.map((w) => w.text).join("\n")).not.toMatch(/container\.port/);
  });

  it("several fixed ports: the first is served, and a warning lists them all", () => {
    const two = scan({ "/app/index.ts": "app.listen(3000);\n", "/app/metrics.ts": "metrics.listen(9464);\n" });
    const { options, warnings } = adaptToListenCalls(optionsFor({}), {}, two);
    expect(options.port).toBe(3000);
    expect(warnings.find((w) => /several fixed ports/.test(w.text))).toMatchObject({ file: "/app/metrics.ts", text: expect.stringMatching(/3000 \(line 1 of \/app\/index\.ts\), 9464 \(line 1 of \/app\/metrics\.ts\); the recipe serves 3000/) });
  });

  it("an app that listens on $PORT keeps the port and gets TCP probes", () => {
    const { options, warnings } = adaptToListenCalls(optionsFor({}), {}, onPort);
    expect(options).toMatchObject({ port: 8080, livenessPath: false, readinessPath: false });
    expect(warnings).toHaveLength(1);
  });

  it("leaves the options alone without calls, or when the contract says binship serves the app", () => {
    const base = optionsFor({});
    expect(adaptToListenCalls(base, {}, []).options).toBe(base);
    expect(adaptToListenCalls(base, { contract: "listener" }, fixed)).toEqual({ options: base, warnings: [] });
  });

  it("renders schema-valid manifests on the app's port: containerPort, Service target and TCP probes agree", async () => {
    const { options } = adaptToListenCalls(optionsFor({}), {}, fixed);
    const files = new Map((await renderContainerFiles(options)).map((f) => [f.path, f.text]));
    const deployment = parseYaml(files.get("k8s/deployment.yaml")!);
    const service = parseYaml(files.get("k8s/service.yaml")!);
    expect(() => new Deployment(deployment).validate()).not.toThrow();
    expect(() => new Service(service).validate()).not.toThrow();
    const c = deployment.spec.template.spec.containers[0];
    expect(c.ports).toEqual([{ name: "http", containerPort: 3000, protocol: "TCP" }]);
    expect(service.spec.ports[0].targetPort).toBe("http");
    for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) expect(c[probe], probe).toMatchObject({ tcpSocket: { port: "http" } });
    expect(files.get("Dockerfile")).toMatch(/^ENV PORT=3000$/m);
    expect(files.get("Dockerfile")).toMatch(/^EXPOSE 3000$/m);
  });
});
