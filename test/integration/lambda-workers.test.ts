// Lambda Managed Instances with several workers (AWS_LAMBDA_NODEJS_WORKER_COUNT), in a bundle run
// by node and in the single executable a user ships, against the emulator: the slots of
// AWS_LAMBDA_MAX_CONCURRENCY are spread over that many worker processes, each loading the module
// once; a worker that crashes fails only its own invocations, in the error shape Lambda uses, and
// the environment goes on with the others until none is left; an init failure is reported.
// A provided.al2 zip (its own glibc loader line) gets workers too; under qemu-user (an arm64
// executable on an amd64 host) `binship invoke` runs one worker.

import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type InvokeResult } from "../../src/invoke/emulator/index.js";
import { bundleEntry } from "../fixtures/lambda-apps/bundle.js";
import { fixturesDir, runCli, tempDir } from "../helpers/cli.js";
import { slotsParked } from "../helpers/emulator.js";
import { requirePaths, requireTools } from "../helpers/tools.js";

const entry = join(fixturesDir, "lambda-apps", "concurrent.ts");
const programs: Record<"bundle" | "executable", { file: string; args: string[] }> = {} as never;

beforeAll(async () => {
  const bundle = await bundleEntry(entry);
  programs.bundle = { file: process.execPath, args: [bundle] };
  const exe = join(tempDir("binship-lambda-workers-"), "app");
  const built = await runCli(["build", entry, "--arch", "x64", "-o", exe]);
  if (built.code !== 0) throw new Error(`binship build failed:\n${built.stderr}`);
  programs.executable = { file: exe, args: [] };
});

const trace = (i: number) => `Root=1-6745f2a1-${String(i).padStart(24, "0")};Parent=0123456789abcdef;Sampled=1`;
const body = (r: InvokeResult) => JSON.parse(r.payload.toString("utf8"));

/** One execution environment of `program` on a fresh emulator, counting invocations in flight. */
async function environment(program: { file: string; args: string[] }, variables: Record<string, string>) {
  const emulator = await startEmulator({ timeoutMs: 20_000 });
  const child = spawn(program.file, program.args, { env: { ...emulator.env, ...variables, PATH: process.env.PATH }, stdio: ["ignore", "pipe", "pipe"] });
  let logs = "";
  child.stdout.on("data", (c: Buffer) => (logs += c));
  child.stderr.on("data", (c: Buffer) => (logs += c));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code, signal) => (emulator.processExited(code, signal), resolve(code))));
  let inFlight = 0;
  let maxInFlight = 0;
  const invoke = (event: object, traceId?: string) =>
    emulator.invoke(event, { traceId, onHandOut: () => (maxInFlight = Math.max(maxInFlight, ++inFlight)) }).finally(() => inFlight--);
  return {
    emulator,
    child,
    invoke,
    exited,
    logs: () => logs,
    maxInFlight: () => maxInFlight,
    close: async () => {
      child.kill("SIGKILL");
      await emulator.close();
    },
  };
}

describe.each(["bundle", "executable"] as const)("AWS_LAMBDA_NODEJS_WORKER_COUNT=2 in a %s", (kind) => {
  it("spreads AWS_LAMBDA_MAX_CONCURRENCY over two worker processes; a crashed worker fails only its own invocations, and the last one's end ends the environment", async () => {
    const env = await environment(programs[kind], { AWS_LAMBDA_MAX_CONCURRENCY: "4", AWS_LAMBDA_NODEJS_WORKER_COUNT: "2" });
    try {
      await slotsParked(env.emulator, 4, env.exited);
      const first = await Promise.all(Array.from({ length: 8 }, (_, n) => env.invoke({ n, ms: 300 }, trace(n))));
      expect(env.maxInFlight()).toBe(4);
      const workers = new Set(first.map((r) => body(r).pid));
      expect(workers.size).toBe(2); // two workers...
      expect(workers.has(env.child.pid)).toBe(false); // ...neither of them the process Lambda started
      for (const [n, r] of first.entries()) {
        expect(r.status).toBe("ok");
        // Its own answer to its own request id, its own trace id, the module loaded once per worker.
        expect(body(r)).toMatchObject({ n, id: r.requestId, traceBefore: trace(n), traceAfter: trace(n), loads: 1, maxConcurrency: "4" });
        expect(env.logs()).toMatch(new RegExp(`\\t${r.requestId}\\tINFO\\tend n=${n} id=${r.requestId}\\n`));
      }

      // Four in flight, two on each worker; n=1 throws from a timer: its worker's two fail with
      // that error, the other worker's two are answered.
      const crashing = await Promise.all([0, 1, 2, 3].map((n) => env.invoke(n === 1 ? { n, ms: 1_500, crash: true, crashAfterMs: 200 } : { n, ms: 1_500 })));
      const failed = crashing.filter((r) => r.status === "error");
      expect(failed).toHaveLength(2);
      for (const r of failed) expect(r.error).toMatchObject({ errorType: "Error", errorMessage: "worker blew up in n=1" });
      const survivors = crashing.filter((r) => r.status === "ok");
      expect(survivors).toHaveLength(2);
      expect(new Set(survivors.map((r) => body(r).pid)).size).toBe(1);
      const survivor = body(survivors[0]!).pid;

      // The environment lives on; the other worker takes the next events, two at a time.
      const after = await Promise.all([0, 1].map((n) => env.invoke({ n, ms: 50 })));
      expect(after.map((r) => [r.status, body(r).pid])).toEqual([["ok", survivor], ["ok", survivor]]);
      expect(env.child.exitCode).toBeNull();
      expect(env.logs()).toMatch(/Lambda worker \d of 2 exited \(exit status 129\); 1 worker\(s\) go on/);

      // The last worker is killed (as the OOM killer would) with two invocations open: it cannot
      // answer them, so they fail with Lambda's Runtime.ExitError, and the environment ends.
      const killed = await Promise.all([0, 1].map((n) => env.invoke(n === 0 ? { n, ms: 2_000, kill: true, crashAfterMs: 200 } : { n, ms: 2_000 })));
      for (const r of killed) {
        expect(r.status).toBe("error");
        expect(r.error).toMatchObject({ errorType: "Runtime.ExitError", errorMessage: `RequestId: ${r.requestId} Error: Runtime worker exited with error: signal: SIGKILL` });
      }
      expect(await env.exited).toBe(137);
      expect(env.logs()).toContain("no worker left, exiting");
    } finally {
      await env.close();
    }
  });

  it("hands SIGTERM (Lambda's shutdown) to every worker, whose own handler runs, and exits with them", async () => {
    const env = await environment(programs[kind], { AWS_LAMBDA_MAX_CONCURRENCY: "4", AWS_LAMBDA_NODEJS_WORKER_COUNT: "2", FIXTURE_ON_SIGTERM: "1" });
    try {
      await slotsParked(env.emulator, 4, env.exited);
      const pids = new Set((await Promise.all([0, 1, 2, 3].map((n) => env.invoke({ n, ms: 200 })))).map((r) => body(r).pid));
      expect(pids.size).toBe(2);
      env.child.kill("SIGTERM");
      expect(await env.exited).toBe(0); // every worker's handler exited 0
      for (const pid of pids) expect(env.logs()).toContain(`SIGTERM in pid ${pid}`);
    } finally {
      await env.close();
    }
  });

  it("reports an init failure in the workers as init/error, and exits", async () => {
    const env = await environment(programs[kind], { AWS_LAMBDA_MAX_CONCURRENCY: "4", AWS_LAMBDA_NODEJS_WORKER_COUNT: "2", FIXTURE_FAIL_INIT: "1" });
    try {
      const init = await env.emulator.initialized();
      expect(init.status).toBe("init-error");
      expect(init.status !== "ready" && init.error).toMatchObject({ errorType: "Error", errorMessage: expect.stringMatching(/^init failed in pid \d+$/) });
      expect(init.status !== "ready" && init.error.errorMessage).not.toBe(`init failed in pid ${env.child.pid}`); // a worker's init, not the primary's
      expect(await env.exited).toBe(1);
    } finally {
      await env.close();
    }
  });
});

describe("a provided.al2 zip", () => {
  it("starts its workers through the zip's own glibc loader, as its bootstrap started the first process, and reports their memory", async () => {
    const zip = join(tempDir("binship-lambda-workers-al2-"), "fn.zip");
    const packed = await runCli(["pack", "lambda", entry, "--runtime", "provided.al2", "--arch", "x64", "-o", zip]);
    expect(packed.code, packed.stderr).toBe(0);
    const event = join(tempDir("binship-lambda-workers-event-"), "event.json");
    writeFileSync(event, JSON.stringify({ n: 0, ms: 300 }));
    const r = await runCli(["invoke", zip, "--event", event, "--count", "4", "--concurrency", "4", "--env", "AWS_LAMBDA_NODEJS_WORKER_COUNT=2", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.invocations.map((i: { status: string }) => i.status)).toEqual(["ok", "ok", "ok", "ok"]);
    expect(new Set(out.invocations.map((i: { result: { pid: number } }) => i.result.pid)).size).toBe(2);

    // REPORT's Max Memory Used counts the workers too, not the first process alone.
    const one = await runCli(["invoke", zip, "--event", event, "--count", "4", "--concurrency", "4", "--env", "AWS_LAMBDA_NODEJS_WORKER_COUNT=1", "--json"]);
    expect(one.code, one.stderr).toBe(0);
    const maxUsed = (o: { invocations: { maxMemoryUsedMb: number }[] }) => Math.max(...o.invocations.map((i) => i.maxMemoryUsedMb));
    expect(maxUsed(out)).toBeGreaterThan(1.5 * maxUsed(JSON.parse(one.stdout)));
  });
});

const armRoot = "/usr/aarch64-linux-gnu";
const onAmd64WithQemu = process.arch === "x64" && requireTools("qemu-aarch64") && requirePaths(`${armRoot}/lib/ld-linux-aarch64.so.1`, `${armRoot}/lib/libstdc++.so.6`);

describe.runIf(onAmd64WithQemu)("an arm64 executable under qemu-user", () => {
  it("runs one worker in binship invoke --concurrency (the host cannot start the workers' processes), and says so", async () => {
    const exe = join(tempDir("binship-lambda-workers-arm64-"), "app");
    const built = await runCli(["build", entry, "--arch", "arm64", "-o", exe]);
    expect(built.code, built.stderr).toBe(0);
    const event = join(tempDir("binship-lambda-workers-event-"), "event.json");
    writeFileSync(event, JSON.stringify({ n: 0, ms: 300 }));
    const r = await runCli(["invoke", exe, "--event", event, "--count", "4", "--concurrency", "4", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("under qemu the function runs one Lambda worker (AWS_LAMBDA_NODEJS_WORKER_COUNT=1)");
    const out = JSON.parse(r.stdout);
    expect(out.invocations.map((i: { status: string }) => i.status)).toEqual(["ok", "ok", "ok", "ok"]);
    expect(Math.max(...out.invocations.map((i: { result: { peak: number } }) => i.result.peak))).toBe(4); // all four overlapped on the one worker
  });
});
