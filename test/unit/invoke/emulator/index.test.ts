// The emulator against raw HTTP requests, as a runtime would send them (runtimes-api.html).

import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { maxBufferedResponseBytes, startEmulator, type Emulator } from "../../../../src/invoke/emulator/index.js";

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(emulator: Emulator, method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const [host, port] = emulator.address.split(":");
    const req = http.request({ host, port, method, path: `/2018-06-01/runtime${path}`, agent, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d) => (text += d)).on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

let emulator: Emulator;
afterEach(async () => emulator?.close());

describe("emulator", () => {
  it("hands out a queued event with every documented header and takes the response", async () => {
    emulator = await startEmulator({ functionName: "orders", memoryMb: 512, region: "eu-west-1", timeoutMs: 10_000 });
    expect(emulator.env).toMatchObject({
      AWS_LAMBDA_RUNTIME_API: emulator.address,
      AWS_LAMBDA_FUNCTION_NAME: "orders",
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
      AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/orders",
      AWS_REGION: "eu-west-1",
      LAMBDA_TASK_ROOT: "/var/task",
      _HANDLER: "bootstrap",
    });
    expect(emulator.env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    const result = emulator.invoke({ hello: "world" }, { clientContext: { client: { app_title: "x" } } });
    const next = await call(emulator, "GET", "/invocation/next");
    expect(JSON.parse(next.body)).toEqual({ hello: "world" });
    const id = next.headers["lambda-runtime-aws-request-id"] as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const deadline = Number(next.headers["lambda-runtime-deadline-ms"]);
    expect(deadline).toBeGreaterThan(Date.now());
    expect(deadline).toBeLessThanOrEqual(Date.now() + 10_000);
    expect(next.headers["lambda-runtime-invoked-function-arn"]).toBe("arn:aws:lambda:eu-west-1:000000000000:function:orders");
    expect(next.headers["lambda-runtime-trace-id"]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
    expect(JSON.parse(next.headers["lambda-runtime-client-context"] as string)).toEqual({ client: { app_title: "x" } });
    expect(next.headers["lambda-runtime-cognito-identity"]).toBeUndefined();
    const posted = await call(emulator, "POST", `/invocation/${id}/response`, '{"ok":true}');
    expect(posted.status).toBe(202);
    const r = await result;
    expect(r.status).toBe("ok");
    expect(r.requestId).toBe(id);
    expect(JSON.parse(r.payload.toString())).toEqual({ ok: true });
    // A second answer for the same invocation is refused.
    expect((await call(emulator, "POST", `/invocation/${id}/response`, "{}")).status).toBe(400);
  });

  it("records an invocation error with its type and stack", async () => {
    emulator = await startEmulator();
    const result = emulator.invoke({});
    const id = (await call(emulator, "GET", "/invocation/next")).headers["lambda-runtime-aws-request-id"] as string;
    const body = JSON.stringify({ errorType: "TypeError", errorMessage: "boom", stackTrace: ["at a", "at b"] });
    expect((await call(emulator, "POST", `/invocation/${id}/error`, body, { "Lambda-Runtime-Function-Error-Type": "TypeError" })).status).toBe(202);
    expect(await result).toMatchObject({ status: "error", error: { errorType: "TypeError", errorMessage: "boom", stackTrace: ["at a", "at b"] } });
  });

  it("rejects a buffered response over 6 MB with 413 and reports Function.ResponseSizeTooLarge", async () => {
    emulator = await startEmulator();
    const result = emulator.invoke({});
    const id = (await call(emulator, "GET", "/invocation/next")).headers["lambda-runtime-aws-request-id"] as string;
    const posted = await call(emulator, "POST", `/invocation/${id}/response`, Buffer.alloc(maxBufferedResponseBytes + 1, 0x61));
    expect(posted.status).toBe(413);
    expect(await result).toMatchObject({ status: "too-large", error: { errorType: "Function.ResponseSizeTooLarge" } });
  });

  it("refuses an event over 6 MB without handing it out", async () => {
    emulator = await startEmulator();
    const r = await emulator.invoke(Buffer.alloc(maxBufferedResponseBytes + 1, 0x20));
    expect(r).toMatchObject({ status: "too-large", error: { errorType: "RequestTooLargeException" } });
  });

  it("accepts exactly 6 MB", async () => {
    emulator = await startEmulator();
    const result = emulator.invoke({});
    const id = (await call(emulator, "GET", "/invocation/next")).headers["lambda-runtime-aws-request-id"] as string;
    expect((await call(emulator, "POST", `/invocation/${id}/response`, Buffer.alloc(maxBufferedResponseBytes, 0x61))).status).toBe(202);
    expect((await result).payload.length).toBe(maxBufferedResponseBytes);
  });

  it("times an invocation out at its deadline and refuses the late answer", async () => {
    let timedOut = "";
    emulator = await startEmulator({ timeoutMs: 200, onTimeout: (id) => (timedOut = id) });
    const result = emulator.invoke({});
    const id = (await call(emulator, "GET", "/invocation/next")).headers["lambda-runtime-aws-request-id"] as string;
    const r = await result;
    expect(r).toMatchObject({ status: "timeout", error: { errorType: "Sandbox.Timedout" } });
    expect(r.error!.errorMessage).toContain("Task timed out after 0.20 seconds");
    expect(timedOut).toBe(id);
    expect((await call(emulator, "POST", `/invocation/${id}/response`, "{}")).status).toBe(400);
  });

  it("fails waiting and later invocations with the init error", async () => {
    emulator = await startEmulator();
    const first = emulator.invoke({});
    const body = JSON.stringify({ errorType: "Runtime.ImportModuleError", errorMessage: "cannot find module" });
    expect((await call(emulator, "POST", "/init/error", body, { "Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError" })).status).toBe(202);
    expect(await emulator.initialized()).toMatchObject({ status: "init-error", error: { errorType: "Runtime.ImportModuleError" } });
    expect(await first).toMatchObject({ status: "init-error", error: { errorMessage: "cannot find module" } });
    expect(await emulator.invoke({})).toMatchObject({ status: "init-error" });
  });

  it("reads a streamed HTTP response: prelude, body, error trailers", async () => {
    emulator = await startEmulator();
    const arrived: string[] = [];
    const result = emulator.invoke({}, { onChunk: (c) => arrived.push(c.toString("latin1")) });
    const id = (await call(emulator, "GET", "/invocation/next")).headers["lambda-runtime-aws-request-id"] as string;
    const [host, port] = emulator.address.split(":");
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host, port, method: "POST", path: `/2018-06-01/runtime/invocation/${id}/response`, agent,
          headers: {
            "Lambda-Runtime-Function-Response-Mode": "streaming",
            "Transfer-Encoding": "chunked",
            Trailer: "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
            "Content-Type": "application/vnd.awslambda.http-integration-response",
          },
        },
        (res) => res.resume().on("end", resolve),
      );
      req.on("error", reject);
      req.write('{"statusCode":201,"headers":{"x-a":"1"}}');
      req.write(Buffer.alloc(8));
      req.write("part one;");
      req.addTrailers({
        "Lambda-Runtime-Function-Error-Type": "Error",
        "Lambda-Runtime-Function-Error-Body": Buffer.from(JSON.stringify({ errorType: "Error", errorMessage: "midway" })).toString("base64"),
      });
      req.end();
    });
    const r = await result;
    expect(r.streamed).toBe(true);
    expect(r.prelude).toEqual({ statusCode: 201, headers: { "x-a": "1" } });
    expect(r.payload.toString()).toBe("part one;");
    expect(r.status).toBe("error");
    expect(r.error).toMatchObject({ errorType: "Error", errorMessage: "midway" });
    expect(arrived.join("")).toBe(`{"statusCode":201,"headers":{"x-a":"1"}}${"\0".repeat(8)}part one;`);
  });

  it("answers a forced status once, then behaves normally", async () => {
    emulator = await startEmulator();
    emulator.forceStatus("error", 500);
    const result = emulator.invoke({});
    const id = (await call(emulator, "GET", "/invocation/next")).headers["lambda-runtime-aws-request-id"] as string;
    expect((await call(emulator, "POST", `/invocation/${id}/error`, "{}")).status).toBe(500);
    emulator.processExited(1, null);
    expect(await result).toMatchObject({ status: "exited", error: { errorType: "Runtime.ExitError" } });
  });

  it("tells when the runtime waits for an event, and when its process is gone instead", async () => {
    emulator = await startEmulator();
    let waiting: boolean | undefined;
    void emulator.waitingForEvent().then((w) => (waiting = w));
    await new Promise((r) => setTimeout(r, 50));
    expect(waiting).toBeUndefined(); // nobody asked yet
    const parked = new http.Agent(); // a connection of its own: this /next stays open
    const [host, port] = emulator.address.split(":");
    http.get({ host, port, path: "/2018-06-01/runtime/invocation/next", agent: parked }).on("error", () => {});
    await expect.poll(() => waiting).toBe(true);
    expect(await emulator.waitingForEvent()).toBe(true);
    emulator.processExited(129, null);
    expect(await emulator.waitingForEvent()).toBe(false);
    parked.destroy();
  });
});
