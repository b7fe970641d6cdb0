// `binship invoke --concurrency N` on a real executable from `binship build`: N invocations in
// flight on one warm process that was told AWS_LAMBDA_MAX_CONCURRENCY=N, START/END/REPORT per
// invocation, results in the events' order; a crash in one ends the process and the events
// after it get a fresh one.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fixturesDir, runCli, tempDir } from "../helpers/cli.js";

const dir = tempDir("binship-invoke-concurrency-");
let exe: string;

beforeAll(async () => {
  exe = join(dir, "concurrent");
  const r = await runCli(["build", join(fixturesDir, "lambda-apps", "concurrent.ts"), "-o", exe]);
  expect(r.code, r.stderr).toBe(0);
}, 240_000);

const eventFile = (name: string, event: object) => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(event));
  return file;
};

describe("binship invoke --concurrency", () => {
  it("keeps N invocations in flight on one process that has AWS_LAMBDA_MAX_CONCURRENCY=N, and reports each", async () => {
    const r = await runCli(["invoke", exe, "--event", eventFile("wait.json", { n: 0, ms: 300 }), "--count", "8", "--concurrency", "4", "--env", "AWS_LAMBDA_NODEJS_WORKER_COUNT=1", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.launcher).toBe("executable");
    expect(out.invocations).toHaveLength(8);
    expect(out.processes).toHaveLength(1);
    const ids = out.invocations.map((i: { requestId: string }) => i.requestId);
    expect(new Set(ids).size).toBe(8);
    for (const inv of out.invocations) {
      expect(inv.status).toBe("ok");
      expect(inv.result.id).toBe(inv.requestId); // each answer came back under its own request id
      expect(inv.result.maxConcurrency).toBe("4");
      // Lambda's START, END and REPORT lines for each invocation.
      for (const line of [`START RequestId: ${inv.requestId} Version: $LATEST`, `END RequestId: ${inv.requestId}`, `REPORT RequestId: ${inv.requestId}\tDuration:`]) expect(r.stderr).toContain(line);
    }
    // One worker (the variable is the user's to set, as on Lambda): the module held four invocations at once, never more.
    expect(Math.max(...out.invocations.map((i: { result: { peak: number } }) => i.result.peak))).toBe(4);
  });

  it("is one at a time without it, and the function does not see the variable", async () => {
    const r = await runCli(["invoke", exe, "--event", eventFile("short.json", { n: 0, ms: 20 }), "--count", "3", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const inv of out.invocations) expect(inv.result).toMatchObject({ peak: 1, maxConcurrency: null });
  });

  it("fails the invocations in flight when one crashes, and gives the events after them a fresh process", async () => {
    const r = await runCli(["invoke", exe, "--event", eventFile("crash.json", { n: 7, ms: 400, crash: true, crashAfterMs: 100 }), "--count", "3", "--concurrency", "2", "--json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.invocations.map((i: { status: string }) => i.status)).toEqual(["error", "error", "error"]);
    expect(out.invocations[0].error).toMatchObject({ errorType: "Error", errorMessage: "worker blew up in n=7" });
    expect(out.processes.length).toBe(2);
    expect(out.processes[0].exit).toEqual({ code: 129, signal: null });
  });

  it("refuses a --concurrency that is not a whole number, before running anything", async () => {
    const r = await runCli(["invoke", exe, "--concurrency", "2.5"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--concurrency must be a whole number from 1 to 1024, got "2.5"');
  });
});
