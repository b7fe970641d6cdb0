// `binship invoke` as a user runs it: a bundle against the local Runtime API, results on
// stdout (an HTTP response for --http), the function's logs on stderr, exit 1 when the
// function fails, 2 for usage errors.

import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bundleEntry } from "../fixtures/lambda-apps/bundle.js";
import { appsDir, binshipBin, fixturesDir, runCli, tempDir } from "../helpers/cli.js";

const lambdaApps = join(fixturesDir, "lambda-apps");
let hono: string;
let handler: string;

beforeAll(async () => {
  [hono, handler] = await Promise.all([bundleEntry(join(appsDir, "hono", "index.ts")), bundleEntry(join(lambdaApps, "handler.ts"))]);
});

describe("binship invoke --http", () => {
  it("prints the HTTP response a function URL client would get", async () => {
    const r = await runCli(["invoke", hono, "--http", "GET /hello?name=cli"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{"message":"hello, cli"}\n');
  });

  it("sends headers, cookies and a body, and shows every Set-Cookie", async () => {
    const echo = await runCli(["invoke", hono, "--http", "POST /echo?a=1&a=2", "--header", "x-one: 1", "--header", "cookie: a=1; b=2", "--body", "payload"]);
    expect(echo.code, echo.stderr).toBe(0);
    const body = JSON.parse(echo.stdout.split("\r\n\r\n")[1]!);
    expect(body).toMatchObject({ method: "POST", path: "/echo", query: { a: ["1", "2"] }, headers: { "x-one": "1", cookie: "a=1; b=2" } });
    expect(Buffer.from(body.body, "base64").toString()).toBe("payload");
    const cookies = await runCli(["invoke", hono, "--http", "GET /cookies"]);
    expect(cookies.stdout.match(/^set-cookie: .*$/gm)).toEqual([
      "set-cookie: session=abc123; Path=/; HttpOnly",
      "set-cookie: theme=dark; Path=/",
      "set-cookie: lang=en; Path=/; Max-Age=3600",
    ]);
  });

  it("prints nothing with --quiet, and still exits 1 on a failure", async () => {
    const ok = await runCli(["invoke", hono, "--http", "GET /hello", "--quiet"]);
    expect([ok.code, ok.stdout, ok.stderr]).toEqual([0, "", ""]);
    const failed = await runCli(["invoke", hono, "--quiet"]); // {} is no HTTP event, and hono has no handler
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe("");
    expect(failed.stderr).toContain("Runtime.UnsupportedEvent");
  });

  it("gives --json: the HTTP response as an object, binary bodies in base64", async () => {
    const r = await runCli(["invoke", hono, "--http", "GET /binary", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ launcher: "bundle", init: { status: "ready" }, invocations: [{ status: "ok", http: { statusCode: 200, isBase64Encoded: true } }] });
    expect(Buffer.from(out.invocations[0].http.body, "base64")).toEqual(Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
  });
});

describe("binship invoke --http, other answers", () => {
  it("shows a handler result without statusCode as a 200 JSON body, as function URLs do", async () => {
    const r = await runCli(["invoke", handler, "--http", "GET /anything"]);
    expect(r.code, r.stderr).toBe(0);
    const [head, body] = r.stdout.split("\r\n\r\n");
    expect(head).toBe("HTTP/1.1 200 OK\r\ncontent-type: application/json");
    expect(JSON.parse(body!).event.rawPath).toBe("/anything");
  });

  it("shows a streamed response (RESPONSE_STREAM) with the status and headers of its prelude", async () => {
    const streaming = await bundleEntry(join(lambdaApps, "stream-app.ts"), { invokeMode: "RESPONSE_STREAM" });
    const r = await runCli(["invoke", streaming, "--http", "GET /empty"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("HTTP/1.1 204 No Content\r\nx-empty: yes\r\n\r\n");
  });
});

describe("binship invoke, a streamed response", () => {
  // Both functions write "chunk 1", then wait (up to 10 s) for a gate file before "chunk 2". The
  // test opens the gate only once "chunk 1" is on invoke's stdout, so it must come out live.
  async function invokeThroughGate(args: (gate: string) => string[]): Promise<{ code: number | null; stdout: string }> {
    const gate = join(tempDir(), "gate");
    const child = spawn(process.execPath, [binshipBin, "invoke", ...args(gate)], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes("chunk 1\n")) writeFileSync(gate, "");
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    return { code, stdout };
  }

  it("shows each chunk of a streamifyResponse() handler as it arrives", async () => {
    const streaming = await bundleEntry(join(lambdaApps, "streaming.ts"));
    const event = join(tempDir(), "event.json");
    const r = await invokeThroughGate((gate) => {
      writeFileSync(event, JSON.stringify({ gate }));
      return [streaming, "--event", event];
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("chunk 1\nchunk 2\n");
  });

  it("with --http, shows the status and headers first, then each chunk as it arrives", async () => {
    const app = await bundleEntry(join(lambdaApps, "stream-app.ts"), { invokeMode: "RESPONSE_STREAM" });
    const r = await invokeThroughGate((gate) => [app, "--http", `GET /gated?file=${gate}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nset-cookie: s=1; Path=/\r\nset-cookie: t=2; Path=/\r\n\r\nchunk 1\nchunk 2\n");
  });
});

describe("binship invoke --event", () => {
  it("prints the handler's result, with the function's logs on stderr", async () => {
    const event = join(tempDir(), "event.json");
    writeFileSync(event, JSON.stringify({ action: "echo", order: 42 }));
    const r = await runCli(["invoke", handler, "--event", event]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ event: { action: "echo", order: 42 }, context: { functionName: "function" } });
  });

  it("--count N invokes N times on one warm process", async () => {
    const event = join(tempDir(), "event.json");
    writeFileSync(event, JSON.stringify({ action: "echo" }));
    const r = await runCli(["invoke", handler, "--event", event, "--count", "4", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const { invocations } = JSON.parse(r.stdout) as { invocations: { status: string; requestId: string; result: { pid: number } }[] };
    expect(invocations).toHaveLength(4);
    expect(new Set(invocations.map((i) => i.result.pid)).size).toBe(1);
    expect(new Set(invocations.map((i) => i.requestId)).size).toBe(4);
  });

  it("exits 1 and names the error when the function fails", async () => {
    const event = join(tempDir(), "event.json");
    writeFileSync(event, JSON.stringify({ action: "throw" }));
    const r = await runCli(["invoke", handler, "--event", event]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ errorType: "TypeError", errorMessage: "bad input: no order id" });
    expect(r.stderr).toContain("binship: error: 1 of 1 invocation failed: TypeError: bad input: no order id");
    expect(r.stderr).toMatch(/\tERROR\tInvoke Error/); // the function's own log line
  });

  it("exits 1 when the function cannot start", async () => {
    const failing = await bundleEntry(join(lambdaApps, "init-fail.ts"));
    const r = await runCli(["invoke", failing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the function failed to start: Error: FIXTURE_DATABASE_URL is not set");
  });
});

describe("binship invoke usage errors", () => {
  it.each([
    [["--event", "e.json", "--http", "GET /"], "--event and --http cannot be used together"],
    [["--http", "hello"], '--http takes "METHOD /path?query"'],
    [["--header", "x: 1"], "--header and --body only go with --http"],
    [["--http", "GET /", "--header", "nocolon"], '--header takes "Name: value"'],
    [["--count", "0"], "--count must be a number from 1"],
  ])("rejects %j with exit 2", async (flags, message) => {
    const r = await runCli(["invoke", hono, ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it("names an event file that is not JSON", async () => {
    const event = join(tempDir(), "event.json");
    writeFileSync(event, "{ not json");
    const r = await runCli(["invoke", hono, "--event", event]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is not valid JSON");
  });

  it("says what it can run when given something else", async () => {
    const file = join(tempDir(), "notes.txt");
    writeFileSync(file, "hello");
    const r = await runCli(["invoke", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`binship invoke cannot run ${file}`);
    expect(r.stderr).toMatch(/hint: It runs .*a bundle/);
  });
});
