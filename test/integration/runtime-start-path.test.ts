// What the runtime loads before a service's first answer, in each mode (issue 22): a Lambda
// function serving a Fetch app never loads node:http (the Runtime API client speaks over
// node:net), a single-process server never loads node:os, neither mode makes process.stdout or
// process.stderr (a net.Socket each when they are pipes, as in a container or Lambda) before the
// service logs, and the code each mode leaves unloaded still works when it is needed: ALB's
// status line (node:http's STATUS_CODES), a plain handler invoked in server mode (the invocation
// endpoint, loaded on its first request), log lines, and the `awslambda` global a handler calls
// while its module loads.

import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/invoke/emulator/index.js";
import { httpEvent } from "../fixtures/events/index.js";
import { runCli, tempDir } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { freePort } from "../helpers/process.js";

const project = tempDir("binship-start-path-");

// The module list and the stdio streams Node has made are read when the request arrives:
// everything done up to the first answer.
const entry = `
const streamed = awslambda.streamifyResponse(async (_event, stream) => stream.end("streamed"));
const stdio = () => (process as any)._getActiveHandles().filter((h: any) => h?._isStdio).map((h: any) => h.fd);
export const handler = async (event: { n?: number; log?: string }) => {
  const before = stdio();
  if (event.log) console.log(event.log);
  return { doubled: (event.n ?? 0) * 2, streamingMarked: typeof streamed === "function", stdio: before };
};
export default {
  fetch(request: Request): Response {
    const modules = (process as unknown as { moduleLoadList: string[] }).moduleLoadList.filter((m) => m.startsWith("NativeModule "));
    return Response.json({ path: new URL(request.url).pathname, modules, stdio: stdio() });
  },
};
`;

let bundle: string;
beforeAll(async () => {
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "start-path", private: true }));
  writeFileSync(join(project, "index.ts"), entry);
  bundle = join(project, "app.cjs");
  const r = await runCli(["bundle", "index.ts", "-o", bundle], { cwd: project });
  expect(r.code, r.stderr).toBe(0);
}, 60_000);

/** Starts the bundle in Lambda mode (stdout and stderr pipes, as Lambda's), sends each event in turn, returns the results and stdout. */
async function invokeAll(events: unknown[]) {
  const emulator = await startEmulator({ timeoutMs: 20_000 });
  const child = spawn(process.execPath, [bundle], { env: { ...emulator.env, PATH: process.env.PATH }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.resume();
  child.on("exit", (code, signal) => emulator.processExited(code, signal));
  try {
    const out = [];
    for (const event of events) {
      const result = await emulator.invoke(event);
      expect(result.status, JSON.stringify(result.error)).toBe("ok");
      out.push(JSON.parse(result.payload.toString("utf8")));
    }
    return Object.assign(out, { stdout: () => stdout });
  } finally {
    child.kill("SIGKILL");
    await emulator.close();
  }
}

describe("Lambda mode", () => {
  it("answers a Fetch app's first HTTP event without loading node:http, and ALB's status line still names the status", async () => {
    const [v2, alb] = await invokeAll([httpEvent("apigw-v2", { path: "/first" }), httpEvent("alb", { path: "/second" })]);
    const first = JSON.parse(v2.body);
    expect(first.path).toBe("/first");
    expect(first.modules).not.toContain("NativeModule http");
    expect(first.modules).not.toContain("NativeModule _http_server");
    expect(first.stdio).toEqual([]);
    expect(alb.statusDescription).toBe("200 OK");
    expect(JSON.parse(alb.body).path).toBe("/second");
  });

  it("calls the plain handler for a non-HTTP event, with the awslambda global there while the module loaded, and logs in Lambda's format once asked", async () => {
    const results = await invokeAll([{ n: 21 }, { n: 1, log: "first line" }]);
    expect(results[0]).toEqual({ doubled: 42, streamingMarked: true, stdio: [] });
    expect(results[1]).toMatchObject({ doubled: 2, stdio: [] });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(results.stdout()).toMatch(/^\d{4}-\d\d-\d\dT[^\t]+\t[0-9a-f-]{36}\tINFO\tfirst line\n/m);
  });
});

describe("server mode", () => {
  let svc: { url: string; port: number; output: () => string; stop: () => void };
  beforeAll(async () => {
    // Ready when it says so, not by a probe connection: Node reads process.stderr (making it)
    // whenever a socket is destroyed, so a closed probe would make the stream this test looks for.
    const port = await freePort();
    const child = spawn(process.execPath, [bundle], { env: { ...process.env, HOST: "127.0.0.1", PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening on" in 20 s:\n${output}`)), 20_000);
      child.stderr.on("data", (d) => {
        output += d;
        if (output.includes("listening on")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on("exit", () => reject(new Error(`exited before listening:\n${output}`)));
    });
    svc = { url: `http://127.0.0.1:${port}`, port, output: () => output, stop: () => child.kill("SIGKILL") };
  }, 30_000);
  afterAll(() => svc?.stop());

  it("serves the first request of a single-process server without loading node:os or making process.stderr, and says where it listens", async () => {
    const r = await httpRequest(`${svc.url}/hello`);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body.toString());
    expect(body.path).toBe("/hello");
    expect(body.modules).toContain("NativeModule http");
    expect(body.modules).not.toContain("NativeModule os");
    // stderr is a pipe here, as in a container: the start-up line went out without process.stderr.
    expect(body.stdio).toEqual([]);
    expect(svc.output()).toContain(`listening on http://127.0.0.1:${svc.port}\n`);
  });

  it("invokes the module's plain handler at the emulator's path, the endpoint loaded on its first use", async () => {
    const post = (n: number) => httpRequest(`${svc.url}/2015-03-31/functions/function/invocations`, { method: "POST", body: JSON.stringify({ n }) });
    const [a, b] = await Promise.all([post(2), post(5)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(JSON.parse(a.body.toString())).toMatchObject({ doubled: 4, streamingMarked: true });
    expect(JSON.parse(b.body.toString())).toMatchObject({ doubled: 10, streamingMarked: true });
  });
});

describe("the node layout's compile cache at start", () => {
  const run = (env: NodeJS.ProcessEnv) =>
    new Promise<string>((resolve) => {
      // HOST/PORT that cannot be bound end the process right after start's checks.
      const child = spawn(process.execPath, [bundle], { env: { ...process.env, HOST: "127.0.0.1", PORT: "70000", ...env }, stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      child.stderr.on("data", (d) => (err += d));
      child.on("close", () => resolve(err));
    });

  it("warns once, naming the directory and the fix, when Node cannot turn the cache on", async () => {
    const notADir = join(project, "package.json"); // a file: Node cannot make its directory in it
    const err = await run({ NODE_COMPILE_CACHE: notADir });
    expect(err.match(/compile cache/g)).toHaveLength(1);
    expect(err).toContain(`NODE_COMPILE_CACHE=${notADir} is off`);
    expect(err).toContain("--layout executable");
  });

  it("says nothing when the cache is on", async () => {
    const err = await run({ NODE_COMPILE_CACHE: join(project, "cc") });
    expect(err).toContain("PORT must be a port number");
    expect(err).not.toContain("compile cache");
  });
});
