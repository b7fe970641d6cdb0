// The execution environment's lifecycle under `binship invoke`, as Lambda runs it: the init
// phase is limited (10 s, then one retry within the function timeout), and an environment that
// crashed or timed out is replaced by a fresh one for the next event.

import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { invokeArtifact } from "../../src/invoke/index.js";
import { bundleEntry } from "../fixtures/lambda-apps/bundle.js";
import { fixturesDir, runCli, tempDir } from "../helpers/cli.js";

const lambdaApps = join(fixturesDir, "lambda-apps");
const neverNext = join(lambdaApps, "never-next.cjs");
let slowInit: string;
let handler: string;

beforeAll(async () => {
  [slowInit, handler] = await Promise.all([bundleEntry(join(lambdaApps, "slow-init.ts")), bundleEntry(join(lambdaApps, "handler.ts"))]);
}, 120_000);

describe("the init limit", () => {
  it("ends a bootstrap that never asks for an event: the init limit, then the retry within the function timeout", async () => {
    let logs = "";
    const started = Date.now();
    const run = await invokeArtifact({ artifact: neverNext, events: [{}], initTimeoutMs: 600, emulator: { timeoutMs: 900 }, output: (c) => (logs += c) });
    expect(Date.now() - started).toBeLessThan(20_000); // it ends; it used to wait for the process forever
    expect(run.results).toHaveLength(1);
    expect(run.results[0]).toMatchObject({ status: "timeout", error: { errorType: "Sandbox.Timedout" } });
    expect(run.results[0]!.error!.errorMessage).toContain("Task timed out after 0.90 seconds (the init phase did not finish: not within Lambda's 0.6 s init limit, nor when retried within the function timeout)");
    expect(run.processes.map((p) => p.init.status)).toEqual(["init-timeout", "init-timeout"]);
    expect(logs).toContain("INIT_REPORT Init Duration: 600.00 ms\tPhase: init\tStatus: timeout");
    expect(logs).toContain("INIT_REPORT Init Duration: 900.00 ms\tPhase: invoke\tStatus: timeout");
  });

  it("retries a slow init with the first invocation, which then succeeds within the function timeout", async () => {
    let logs = "";
    const run = await invokeArtifact({ artifact: slowInit, events: [{}, {}], initTimeoutMs: 300, emulator: { timeoutMs: 20_000 }, output: (c) => (logs += c) });
    expect(run.results.map((r) => r.status)).toEqual(["ok", "ok"]);
    expect(run.results.map((r) => r.payload.toString())).toEqual(['"ready"', '"ready"']);
    expect(run.processes.map((p) => [p.init.status, p.invocations])).toEqual([
      ["init-timeout", 0],
      ["ready", 2],
    ]);
    expect(logs).toContain("Phase: init\tStatus: timeout");
  });

  it("binship invoke --timeout 1 says which limit ended the run, with Lambda's 10 s init limit", async () => {
    const r = await runCli(["invoke", neverNext, "--timeout", "1"], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout");
    expect(r.stderr).toContain("the function failed to start: Sandbox.Timedout: Task timed out after 1.00 seconds (the init phase did not finish: not within Lambda's 10 s init limit, nor when retried within the function timeout)");
  }, 60_000);
});

describe("a fresh environment after a crash", () => {
  it("binship invoke --count 3 goes on after each crash and reports every invocation", async () => {
    const event = join(tempDir(), "event.json");
    writeFileSync(event, JSON.stringify({ action: "uncaught" }));
    const r = await runCli(["invoke", handler, "--event", event, "--count", "3", "--json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { invocations: { status: string; error: { errorMessage: string } }[]; processes: { exit: { code: number } }[] };
    expect(out.invocations.map((i) => [i.status, i.error.errorMessage])).toEqual([
      ["error", "exploded later"],
      ["error", "exploded later"],
      ["error", "exploded later"],
    ]);
    expect(out.processes.map((p) => p.exit.code)).toEqual([129, 129, 129]);
    expect(r.stderr).toContain("3 of 3 invocations failed: Error: exploded later");
    expect((out as unknown as { error: { code: string } }).error.code).toBe("INVOKE_FAILED"); // one object: the results and the error
  });

  it("binship invoke --count 2 after a timeout starts a fresh process and shows both answers", async () => {
    const event = join(tempDir(), "event.json");
    writeFileSync(event, JSON.stringify({ action: "hang" }));
    const r = await runCli(["invoke", handler, "--event", event, "--count", "2", "--timeout", "1"]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.errorType)).toEqual(["Sandbox.Timedout", "Sandbox.Timedout"]);
    expect(r.stderr).toMatch(/2 invocations, 0 ok; .*2 processes/);
  });
});
