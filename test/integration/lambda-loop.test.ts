// The Runtime API loop in a real bundle against the emulator: context and trace id, handler
// errors (the loop goes on), crashes and init failures (the process ends non-zero), the 6 MB
// limit, a container error from /error, Lambda's log format, non-HTTP events.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/invoke/emulator/index.js";
import { invokeArtifact } from "../../src/invoke/index.js";
import { httpEvent, template } from "../fixtures/events/index.js";
import { bundleEntry } from "../fixtures/lambda-apps/bundle.js";
import { appsDir, fixturesDir } from "../helpers/cli.js";
import { spawn } from "node:child_process";

// Lambda's default 3 s timeout is tight on a loaded CI machine; tests that are not about
// deadlines get more room (a later `emulator` key still wins).
const roomy = { emulator: { timeoutMs: 20_000 } };

const lambdaApps = join(fixturesDir, "lambda-apps");
let handlerBundle: string;

beforeAll(async () => {
  handlerBundle = await bundleEntry(join(lambdaApps, "handler.ts"));
});

const parse = (payload: Buffer) => JSON.parse(payload.toString("utf8"));

describe("context and environment", () => {
  it("gives the handler Lambda's context and the trace id of its own invocation, clears a stale one, and keeps one connection", async () => {
    const traceId = "Root=1-6745f2a1-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1";
    const emulator = await startEmulator({ functionName: "orders", memoryMb: 256, timeoutMs: 30_000 });
    const child = spawn(process.execPath, [handlerBundle], { env: { ...emulator.env, PATH: process.env.PATH }, stdio: "ignore" });
    try {
      const first = await emulator.invoke({ n: 1 }, { traceId, clientContext: { client: { app_title: "shop" } }, cognitoIdentity: { cognitoIdentityId: "eu-west-1:abc" } });
      const second = await emulator.invoke({ n: 2 }, { traceId: null });
      const a = parse(first.payload);
      const b = parse(second.payload);
      expect(a.event).toEqual({ n: 1 });
      expect(a.traceId).toBe(traceId);
      expect(b.traceId).toBeNull();
      expect(a.context).toMatchObject({
        awsRequestId: first.requestId,
        invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:orders",
        functionName: "orders",
        functionVersion: "$LATEST",
        memoryLimitInMB: "256",
        logGroupName: "/aws/lambda/orders",
        logStreamName: emulator.env.AWS_LAMBDA_LOG_STREAM_NAME,
        identity: { cognitoIdentityId: "eu-west-1:abc" },
        clientContext: { client: { app_title: "shop" } },
      });
      expect(a.context.remainingMs).toBeGreaterThan(0);
      expect(a.context.remainingMs).toBeLessThanOrEqual(30_000);
      expect(b.context.awsRequestId).toBe(second.requestId);
      for (let i = 0; i < 20; i++) expect((await emulator.invoke({ action: i % 2 ? "throw" : "echo" })).status).toMatch(/ok|error/);
      // One keep-alive connection for every next, response and error call.
      expect(emulator.connections()).toBe(1);
    } finally {
      child.kill("SIGKILL");
      await emulator.close();
    }
  });
});

describe("handler errors", () => {
  it("reports throw, reject and non-Error throws on /error and keeps serving", async () => {
    const run = await invokeArtifact({
      ...roomy,
      artifact: handlerBundle,
      events: [{ action: "throw" }, { action: "reject" }, { action: "throw-string" }, { action: "echo" }],
    });
    const [thrown, rejected, stringThrown, after] = run.results;
    expect(thrown).toMatchObject({ status: "error", error: { errorType: "TypeError", errorMessage: "bad input: no order id" } });
    expect(thrown!.error!.stackTrace!.join("\n")).toMatch(/handler/);
    expect(rejected).toMatchObject({ status: "error", error: { errorType: "RangeError", errorMessage: "quantity out of range" } });
    expect(stringThrown).toMatchObject({ status: "error", error: { errorType: "string", errorMessage: "plain string thrown" } });
    expect(after!.status).toBe("ok");
    expect(parse(after!.payload).event).toEqual({ action: "echo" });
    expect(run.exit).toBeUndefined(); // still running when invoke stopped it
  });

  it("fails an invocation whose result JSON cannot hold (a cycle, a BigInt) with Runtime.MarshalError, and keeps serving", async () => {
    const run = await invokeArtifact({ ...roomy, artifact: handlerBundle, events: [{ action: "cycle" }, { action: "bigint" }, { action: "echo" }] });
    const [cycle, bigint, after] = run.results;
    expect(cycle).toMatchObject({ status: "error", error: { errorType: "Runtime.MarshalError" } });
    expect(cycle!.error!.errorMessage).toMatch(/cannot be serialized as JSON: .*circular/i);
    expect(bigint).toMatchObject({ status: "error", error: { errorType: "Runtime.MarshalError" } });
    expect(bigint!.error!.errorMessage).toMatch(/BigInt/);
    // The same process answers the next event: the loop survived.
    expect(after!.status).toBe("ok");
    expect(run.exit).toBeUndefined();
  });

  it("reports a thrown plain object {name, message} by its name and message", async () => {
    const run = await invokeArtifact({ ...roomy, artifact: handlerBundle, events: [{ action: "throw-object" }] });
    expect(run.results[0]).toMatchObject({ status: "error", error: { errorType: "OrderRejected", errorMessage: "order 7 is out of stock" } });
  });

  it.each([
    ["uncaught", "exploded later"],
    ["unhandled", "nobody waits for this"],
    ["never", "Runtime.NodeJsExit"],
  ])("logs a crash (%s) under the invocation's request id", async (action, text) => {
    let out = "";
    const run = await invokeArtifact({ ...roomy, artifact: handlerBundle, events: [{ action }], output: (c) => (out += c) });
    const id = run.results[0]!.requestId;
    const lines = out.split("\n").filter((l) => l.includes(text));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(new RegExp(`^\\S+Z\\t${id}\\tERROR\\t`));
    expect(out).not.toMatch(/\tundefined\t/);
  });

  it("supports callback-style handlers, success and failure", async () => {
    const bundle = await bundleEntry(join(lambdaApps, "callback.ts"));
    const run = await invokeArtifact({ ...roomy, artifact: bundle, events: [{}, { fail: true }] });
    expect(parse(run.results[0]!.payload)).toEqual({ via: "callback" });
    expect(run.results[1]).toMatchObject({ status: "error", error: { errorMessage: "callback failure" } });
  });

  it("reports an uncaught exception for the invocation and exits 129; the next event gets a fresh process", async () => {
    const run = await invokeArtifact({ ...roomy, artifact: handlerBundle, events: [{ action: "uncaught" }, { action: "echo" }] });
    expect(run.results[0]).toMatchObject({ status: "error", error: { errorType: "Error", errorMessage: "exploded later" } });
    expect(run.exit).toEqual({ code: 129, signal: null });
    expect(run.results[1]!.status).toBe("ok");
    expect(run.processes.map((p) => p.invocations)).toEqual([1, 1]);
  });

  it("reports an unhandled rejection as Runtime.UnhandledPromiseRejection and exits 128", async () => {
    const run = await invokeArtifact({ ...roomy, artifact: handlerBundle, events: [{ action: "unhandled" }, { action: "echo" }] });
    expect(run.results[0]).toMatchObject({ status: "error", error: { errorType: "Runtime.UnhandledPromiseRejection", errorMessage: "Error: nobody waits for this" } });
    expect(run.exit?.code).toBe(128);
    expect(run.results[1]!.status).toBe("ok");
  });

  it("reports a handler whose promise never settles, once nothing is left to run, instead of exiting silently", async () => {
    const run = await invokeArtifact({ ...roomy, artifact: handlerBundle, events: [{ action: "never" }, { action: "echo" }] });
    expect(run.results[0]).toMatchObject({ status: "error", error: { errorType: "Runtime.NodeJsExit" } });
    expect(run.exit?.code).toBe(1);
  });

  it("turns a response over 6 MB into a clear invocation error and goes on", async () => {
    const run = await invokeArtifact({ ...roomy, artifact: handlerBundle, events: [{ action: "big" }, { action: "big", bytes: 1024 }] });
    expect(run.results[0]!.status).toBe("error");
    expect(run.results[0]!.error!.errorType).toBe("Runtime.ResponseSizeTooLarge");
    expect(run.results[0]!.error!.errorMessage).toMatch(/at most 6291556 bytes/);
    expect(run.results[1]!.status).toBe("ok");
    expect(parse(run.results[1]!.payload)).toHaveLength(1024);
  });

  it("ends the process when /error answers 500 (a container error)", async () => {
    const emulator = await startEmulator();
    emulator.forceStatus("error", 500);
    const child = spawn(process.execPath, [handlerBundle], { env: { ...emulator.env, PATH: process.env.PATH }, stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const result = emulator.invoke({ action: "throw" });
      const code = await exited;
      emulator.processExited(code, null);
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      expect((await result).status).toBe("exited");
    } finally {
      child.kill("SIGKILL");
      await emulator.close();
    }
  });
});

describe("init failures", () => {
  it("posts a module that throws while loading to init/error and exits non-zero", async () => {
    const bundle = await bundleEntry(join(lambdaApps, "init-fail.ts"));
    let logs = "";
    const run = await invokeArtifact({ ...roomy, artifact: bundle, events: [{}], output: (c) => (logs += c) });
    expect(run.init).toMatchObject({ status: "init-error", error: { errorType: "Error", errorMessage: "FIXTURE_DATABASE_URL is not set" } });
    expect(run.exit?.code).toBe(1);
    expect(logs).toContain("FIXTURE_DATABASE_URL is not set");
  });

  it("reports a module with no service as Runtime.HandlerNotFound", async () => {
    const bundle = await bundleEntry(join(appsDir, "hono", "index.ts"), { contract: "handler" });
    const run = await invokeArtifact({ ...roomy, artifact: bundle, events: [{}] });
    expect(run.init).toMatchObject({ status: "init-error", error: { errorType: "Runtime.HandlerNotFound" } });
    expect(run.exit?.code).not.toBe(0);
  });
});

describe("event routing", () => {
  it("gives non-HTTP events to the handler, and HTTP events too when there is no app", async () => {
    const bundle = await bundleEntry(join(appsDir, "handler", "index.ts"));
    const sqs = template("sqs");
    const http = httpEvent("apigw-v2", { path: "/hello" });
    const run = await invokeArtifact({ ...roomy, artifact: bundle, events: [sqs, http] });
    expect(parse(run.results[0]!.payload).received).toEqual(sqs);
    expect(parse(run.results[1]!.payload).received).toEqual(http);
  });

  it("answers a non-HTTP event to an HTTP-only service with an error naming the event's keys", async () => {
    const bundle = await bundleEntry(join(appsDir, "express", "index.ts"));
    const run = await invokeArtifact({ ...roomy, artifact: bundle, events: [template("sqs"), httpEvent("alb", { path: "/hello" })] });
    expect(run.results[0]).toMatchObject({ status: "error", error: { errorType: "Runtime.UnsupportedEvent" } });
    expect(run.results[0]!.error!.errorMessage).toContain("its keys: Records");
    expect(run.results[1]!.status).toBe("ok");
  });
});

describe("logs", () => {
  it("writes console output as <time>\\t<request id>\\t<LEVEL>\\t<message>, one line per call", async () => {
    let out = "";
    const run = await invokeArtifact({ ...roomy, artifact: handlerBundle, events: [{ action: "log" }], output: (c, s) => s === "stdout" && (out += c) });
    const id = run.results[0]!.requestId;
    const lines = out.split("\n").filter((l) => l.includes(id));
    expect(lines[0]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${id}\\tINFO\\tfirst line\\rsecond line$`));
    expect(lines[1]).toMatch(new RegExp(`\\t${id}\\tERROR\\tError: logged error\\r`));
    expect(lines[2]).toMatch(new RegExp(`\\t${id}\\tDEBUG\\tdebug detail$`));
  });

  it("writes one JSON object per line with AWS_LAMBDA_LOG_FORMAT=JSON, filtered by AWS_LAMBDA_LOG_LEVEL", async () => {
    let out = "";
    const run = await invokeArtifact({
      ...roomy,
      artifact: handlerBundle,
      events: [{ action: "log" }],
      env: { AWS_LAMBDA_LOG_FORMAT: "JSON", AWS_LAMBDA_LOG_LEVEL: "INFO" },
      output: (c, s) => s === "stdout" && (out += c),
    });
    const records = out.split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const mine = records.filter((r) => r.requestId === run.results[0]!.requestId);
    expect(mine.map((r) => [r.level, r.message.split("\n")[0]])).toEqual([
      ["INFO", "first line"],
      ["ERROR", "Error: logged error"],
    ]);
    expect(mine[0].timestamp).toMatch(/Z$/);
    expect(mine[1]).toMatchObject({ errorType: "Error", errorMessage: "logged error" });
  });
});

describe("deadline", () => {
  it("times out a hanging invocation at the function's timeout and stops the process; the next event gets a fresh one", async () => {
    const run = await invokeArtifact({ ...roomy, artifact: handlerBundle, events: [{ action: "hang" }, { action: "echo" }], emulator: { timeoutMs: 1_500 } });
    expect(run.results.map((r) => r.status)).toEqual(["timeout", "ok"]);
    expect(run.results[0]).toMatchObject({ error: { errorType: "Sandbox.Timedout" } });
    expect(run.processes).toHaveLength(2);
    expect(run.processes[0]!.exit).toBeUndefined(); // stopped by the timeout, not ended on its own
  });
});
