// Lambda Managed Instances in a real bundle against the emulator: with AWS_LAMBDA_MAX_CONCURRENCY
// the runtime keeps that many invocations in flight, each answered, logged and traced as its
// own; a crash fails every invocation in flight and ends the process; without the variable the
// loop stays one at a time. Several workers: lambda-workers.test.ts.

import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type InvokeResult } from "../../src/invoke/emulator/index.js";
import { slotsParked } from "../helpers/emulator.js";
import { bundleEntry } from "../fixtures/lambda-apps/bundle.js";
import { httpEvent } from "../fixtures/events/index.js";
import { fixturesDir, tempDir } from "../helpers/cli.js";

let bundle: string;

beforeAll(async () => {
  bundle = await bundleEntry(join(fixturesDir, "lambda-apps", "concurrent.ts"));
});

const trace = (i: number) => `Root=1-6745f2a1-${String(i).padStart(24, "0")};Parent=0123456789abcdef;Sampled=1`;

/** Runs the bundle with `variables`, sends `events` all at once; records how many overlapped. */
async function overlap(variables: Record<string, string>, events: object[], endsOnItsOwn = false, file = bundle, onChunk?: (i: number, chunk: Buffer) => void) {
  const emulator = await startEmulator({ timeoutMs: 20_000 });
  const child = spawn(process.execPath, [file], { env: { ...emulator.env, ...variables, PATH: process.env.PATH }, stdio: ["ignore", "pipe", "pipe"] });
  let logs = "";
  child.stdout.on("data", (c: Buffer) => (logs += c));
  child.stderr.on("data", (c: Buffer) => (logs += c));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code, signal) => (emulator.processExited(code, signal), resolve(code))));
  let inFlight = 0;
  let maxInFlight = 0;
  try {
    // Every slot parked on /next first (with several workers, one may be up before the others).
    await slotsParked(emulator, Number(variables.AWS_LAMBDA_MAX_CONCURRENCY ?? 1), exited);
    const results: InvokeResult[] = await Promise.all(
      events.map((event, i) =>
        emulator
          .invoke(event, { traceId: trace(i), onChunk: onChunk && ((c) => onChunk(i, c)), onHandOut: () => (maxInFlight = Math.max(maxInFlight, ++inFlight)) })
          .finally(() => inFlight--),
      ),
    );
    return { results, maxInFlight, logs: () => logs, exited };
  } finally {
    if (endsOnItsOwn) await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    child.kill("SIGKILL");
    await emulator.close();
  }
}

const workers2 = { AWS_LAMBDA_MAX_CONCURRENCY: "3", AWS_LAMBDA_NODEJS_WORKER_COUNT: "2" }; // slots 2 + 1

const body = (r: InvokeResult) => JSON.parse(r.payload.toString("utf8"));

describe("AWS_LAMBDA_MAX_CONCURRENCY", () => {
  it("keeps that many invocations in flight, each with its own response, log request id and trace id", async () => {
    const events = Array.from({ length: 10 }, (_, n) => ({ n, ms: 300 }));
    const { results, maxInFlight, logs } = await overlap({ AWS_LAMBDA_MAX_CONCURRENCY: "4", AWS_LAMBDA_NODEJS_WORKER_COUNT: "1" }, events);
    expect(maxInFlight).toBe(4);
    for (const [i, r] of results.entries()) {
      expect(r.status).toBe("ok");
      const got = body(r);
      expect(got.n).toBe(i); // its own event's answer, posted to its own request id
      expect(got.id).toBe(r.requestId);
      // Its own trace id, also after other invocations started during its wait.
      expect(got.traceBefore).toBe(trace(i));
      expect(got.traceAfter).toBe(trace(i));
      // Every log line of it carries its request id (text format: time, request id, level, message).
      for (const what of ["start", "end"]) expect(logs()).toMatch(new RegExp(`\\t${r.requestId}\\tINFO\\t${what} n=${i} id=${r.requestId}\\n`));
    }
    expect(logs()).not.toMatch(/\tundefined\tINFO\t(start|end)/);
    expect(new Set(results.map((r) => body(r).pid)).size).toBe(1); // one execution environment
  });

  it("is one invocation at a time without the variable", async () => {
    const { results, maxInFlight } = await overlap({}, Array.from({ length: 3 }, (_, n) => ({ n, ms: 50 })));
    expect(maxInFlight).toBe(1);
    expect(results.map((r) => body(r).n)).toEqual([0, 1, 2]);
  });

  it("fails every invocation in flight when one crashes, and ends the process with the managed runtime's code", async () => {
    const events = [{ n: 0, ms: 2_000 }, { n: 1, ms: 2_000, crash: true, crashAfterMs: 300 }, { n: 2, ms: 2_000 }];
    const { results, maxInFlight, exited, logs } = await overlap({ AWS_LAMBDA_MAX_CONCURRENCY: "3", AWS_LAMBDA_NODEJS_WORKER_COUNT: "1" }, events, true);
    expect(maxInFlight).toBe(3);
    for (const r of results) {
      expect(r.status).toBe("error");
      expect(r.error).toMatchObject({ errorType: "Error", errorMessage: "worker blew up in n=1" });
    }
    expect(await exited).toBe(129);
    expect(logs()).toContain("worker blew up in n=1");
  });

  it.each([
    [{ AWS_LAMBDA_MAX_CONCURRENCY: "lots" }, 'AWS_LAMBDA_MAX_CONCURRENCY must be a whole number of at least 1, got "lots"'],
    [{ AWS_LAMBDA_MAX_CONCURRENCY: "4", AWS_LAMBDA_NODEJS_WORKER_COUNT: "0" }, 'AWS_LAMBDA_NODEJS_WORKER_COUNT must be a whole number from 1 to 1024, got "0"'],
  ])("refuses %o as an init error naming the variable", async (variables, message) => {
    const emulator = await startEmulator({ timeoutMs: 20_000 });
    const child = spawn(process.execPath, [bundle], { env: { ...emulator.env, ...variables, PATH: process.env.PATH }, stdio: "ignore" });
    try {
      const init = await emulator.initialized();
      expect(init.status).toBe("init-error");
      expect(init.status !== "ready" && init.error).toMatchObject({ errorType: "Runtime.InvalidConfiguration", errorMessage: message });
    } finally {
      child.kill("SIGKILL");
      await emulator.close();
    }
  });

  it("adapts HTTP events and streams responses for overlapping invocations on two workers, each on its own", async () => {
    const echo = await bundleEntry(join(fixturesDir, "lambda-apps", "echo-fetch.ts"));
    const paths = Array.from({ length: 8 }, (_, i) => `/orders/${i}`);
    const kinds = ["apigw-v2", "alb", "function-url", "apigw-v1"] as const; // API Gateway (both), ALB, function URL
    const buffered = await overlap(workers2, paths.map((path, i) => httpEvent(kinds[i % kinds.length]!, { path })), false, echo);
    expect(buffered.maxInFlight).toBe(3);
    for (const [i, r] of buffered.results.entries()) expect(JSON.parse(body(r).body).url).toMatch(new RegExp(`${paths[i]}$`));

    // Three streams at once: no gate opens before every stream has sent its first chunk, then
    // they are opened last to first, so each stream must finish while the others are still open.
    const streams = await bundleEntry(join(fixturesDir, "lambda-apps", "stream-app.ts"), { invokeMode: "RESPONSE_STREAM" });
    const dir = tempDir("binship-concurrent-gates-");
    const gates = [0, 1, 2].map((i) => join(dir, `gate-${i}`));
    const started = new Set<number>();
    const opened = await overlap(
      workers2,
      gates.map((gate) => httpEvent("function-url", { path: "/gated", query: [["file", gate]] })),
      false,
      streams,
      (i, chunk) => {
        if (!chunk.includes("chunk 1")) return;
        started.add(i);
        if (started.size === 3) for (const gate of [...gates].reverse()) if (!existsSync(gate)) writeFileSync(gate, "");
      },
    );
    expect(opened.maxInFlight).toBe(3);
    for (const r of opened.results) {
      expect(r.status).toBe("ok");
      expect(r.streamed).toBe(true);
      expect(r.payload.toString("utf8")).toBe("chunk 1\nchunk 2\n");
    }
  });
});
