// `binship invoke` gives the function Lambda's environment and nothing of the developer's shell:
// Lambda's variables, the region, the host's AWS credentials, and the user's own variables
// (--env, --env-file in SAM's JSON or dotenv, the config's "environment"); and it prints
// Lambda's START / END / REPORT lines, with the same figures in --json.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { invoke } from "../../src/index.js";
import { bundleEntry } from "../fixtures/lambda-apps/bundle.js";
import { fixturesDir, runCli, tempDir, type CliOptions } from "../helpers/cli.js";

let probe: string;
let handler: string;
const work = tempDir("binship-invoke-env-");
const file = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(async () => {
  [probe, handler] = await Promise.all([bundleEntry(join(fixturesDir, "lambda-apps", "env-probe.ts")), bundleEntry(join(fixturesDir, "lambda-apps", "handler.ts"))]);
});

// The shell binship runs in: no region or credentials unless a test sets them.
const shell = (env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  AWS_REGION: undefined,
  AWS_DEFAULT_REGION: undefined,
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  BAR_HOST_ONLY: "from the developer's shell",
  ...env,
});

async function functionEnv(args: string[], options: CliOptions = {}): Promise<Record<string, string>> {
  const r = await runCli(["invoke", probe, "--json", ...args], { ...options, env: shell(options.env) });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).invocations[0].result.env;
}

// Lambda's variables for a provided.* function ("Defined runtime environment variables"), and
// what the runtime itself adds (the trace id of the current invocation).
const lambdaKeys = [
  "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_RUNTIME_API", "AWS_REGION", "AWS_DEFAULT_REGION",
  "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "_HANDLER", "TZ", "PATH", "LANG", "LD_LIBRARY_PATH", "_X_AMZN_TRACE_ID",
];

describe("the function's environment", () => {
  it("holds only Lambda's variables, the region, the host's credentials and the user's variables", async () => {
    const env = await functionEnv(["--env", "TABLE=orders"], {
      env: { AWS_REGION: "eu-west-1", AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret-example", AWS_SESSION_TOKEN: "token-example", HOME: "/home/dev" },
    });
    expect(Object.keys(env).sort()).toEqual([...lambdaKeys, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "TABLE"].sort());
    expect(env).toMatchObject({ TABLE: "orders", AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "eu-west-1", AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret-example", AWS_SESSION_TOKEN: "token-example" });
    expect(env).toMatchObject({ PATH: "/usr/local/bin:/usr/bin/:/bin:/opt/bin", LANG: "en_US.UTF-8", AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "128", AWS_LAMBDA_FUNCTION_NAME: "function" });
    expect(env.BAR_HOST_ONLY).toBeUndefined();
    expect(env.HOME).toBeUndefined();
  });

  it("takes the region from AWS_DEFAULT_REGION, us-east-1 when the host has none, and --region over both", async () => {
    expect((await functionEnv([])).AWS_REGION).toBe("us-east-1");
    const fromDefault = await functionEnv([], { env: { AWS_DEFAULT_REGION: "ap-south-1" } });
    expect([fromDefault.AWS_REGION, fromDefault.AWS_DEFAULT_REGION]).toEqual(["ap-south-1", "ap-south-1"]);
    const flag = await functionEnv(["--region", "sa-east-1"], { env: { AWS_REGION: "eu-west-1" } });
    expect([flag.AWS_REGION, flag.AWS_DEFAULT_REGION]).toEqual(["sa-east-1", "sa-east-1"]);
  });

  it("reads SAM's --env-vars JSON: Parameters for every function, the named function's section over them", async () => {
    const json = file("env.json", JSON.stringify({ Parameters: { STAGE: "dev", TABLE: "shared" }, Orders: { TABLE: "orders", RETRIES: 3 }, Payments: { SECRET: "not ours" } }));
    const env = await functionEnv(["--env-file", json, "--function-name", "Orders"]);
    expect(env).toMatchObject({ STAGE: "dev", TABLE: "orders", RETRIES: "3", AWS_LAMBDA_FUNCTION_NAME: "Orders", AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/Orders" });
    expect(env.SECRET).toBeUndefined();
    // No function of that name: Parameters only, and a warning naming the sections there are.
    const r = await runCli(["invoke", probe, "--json", "--env-file", json], { env: shell() });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).invocations[0].result.env).toMatchObject({ STAGE: "dev", TABLE: "shared" });
    expect(r.stderr).toContain('has variables for Orders, Payments but none for "function"');
  });

  it("reads a dotenv file: comments, export, quotes; --env wins over it, and it over the config's environment", async () => {
    const dotenv = file(".env", ['# the service', "export STAGE=dev", 'GREETING="hello\\nworld"', "LITERAL='a $b # c'", "TABLE=from-file # trailing", "", "PORT = 8080"].join("\n"));
    const project = join(work, "project");
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, "binship.config.json"), JSON.stringify({ lambda: { environment: { TABLE: "from-config", ONLY_CONFIG: "yes", PORT: "1" }, memory: 256, functionName: "Svc" } }));
    const env = await functionEnv(["--env-file", dotenv, "--env", "PORT=9090"], { cwd: project });
    expect(env).toMatchObject({ STAGE: "dev", GREETING: "hello\nworld", LITERAL: "a $b # c", TABLE: "from-file", PORT: "9090", ONLY_CONFIG: "yes" });
    expect(env).toMatchObject({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256", AWS_LAMBDA_FUNCTION_NAME: "Svc" });
  });

  it("refuses Lambda's reserved variables and bad values with exit 2", async () => {
    const region = await runCli(["invoke", probe, "--env", "AWS_REGION=eu-west-1"], { env: shell() });
    expect(region.code).toBe(2);
    expect(region.stderr).toContain("AWS_REGION is one of Lambda's reserved variables");
    expect(region.stderr).toContain("--region");
    const memory = await runCli(["invoke", probe, "--memory", "64"], { env: shell() });
    expect(memory.code).toBe(2);
    expect(memory.stderr).toContain("--memory must be a whole number of MB from 128 to 10240");
    const line = await runCli(["invoke", probe, "--env-file", file("bad.env", "OK=1\nnot a variable\n")], { env: shell() });
    expect(line.code).toBe(2);
    expect(line.stderr).toContain("bad.env:2: expected KEY=VALUE");
  });
});

// "Lambda function logging": the platform lines of each invocation, tab-separated.
const uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const startRe = new RegExp(`^START RequestId: (${uuid}) Version: \\$LATEST$`, "gm");
const endRe = new RegExp(`^END RequestId: (${uuid})$`, "gm");
const reportRe = new RegExp(`^REPORT RequestId: (${uuid})\\tDuration: (\\d+\\.\\d{2}) ms\\tBilled Duration: (\\d+) ms\\tMemory Size: (\\d+) MB\\tMax Memory Used: (\\d+) MB(?:\\tInit Duration: (\\d+\\.\\d{2}) ms)?(\\t.*)?$`, "gm");

describe("START, END and REPORT", () => {
  it("prints Lambda's lines on stderr for each invocation, Init Duration on the first only, --memory as Memory Size", async () => {
    const event = file("alloc.json", JSON.stringify({ allocateMb: 48 }));
    const r = await runCli(["invoke", probe, "--event", event, "--count", "3", "--memory", "1024", "--json"], { env: shell() });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const ids = out.invocations.map((i: { requestId: string }) => i.requestId);
    expect([...r.stderr.matchAll(startRe)].map((m) => m[1])).toEqual(ids);
    expect([...r.stderr.matchAll(endRe)].map((m) => m[1])).toEqual(ids);
    const reports = [...r.stderr.matchAll(reportRe)];
    expect(reports.map((m) => m[1])).toEqual(ids);
    expect(reports.map((m) => m[4])).toEqual(["1024", "1024", "1024"]);
    expect(reports.map((m) => m[6] !== undefined)).toEqual([true, false, false]);
    expect(out.invocations[0].result.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE).toBe("1024");
    // --json carries the same figures as the lines.
    out.invocations.forEach((inv: Record<string, number>, i: number) => {
      const m = reports[i]!;
      expect([inv.durationMs, inv.billedDurationMs, inv.memorySizeMb, inv.maxMemoryUsedMb, inv.initDurationMs]).toEqual([Number(m[2]), Number(m[3]), 1024, Number(m[5]), m[6] === undefined ? undefined : Number(m[6])]);
    });
    // Billed: the duration rounded up to the millisecond, plus the init on the first (provided.* runtimes bill it).
    expect(out.invocations[1].billedDurationMs).toBe(Math.ceil(out.invocations[1].durationMs));
    expect(out.invocations[0].billedDurationMs).toBe(Math.ceil(out.invocations[0].durationMs + out.invocations[0].initDurationMs));
    // Max Memory Used is the process's peak: 48 MiB more held by each invocation.
    const used = out.invocations.map((i: { maxMemoryUsedMb: number }) => i.maxMemoryUsedMb);
    expect(used[1] - used[0]).toBeGreaterThanOrEqual(40);
    expect(used[2] - used[1]).toBeGreaterThanOrEqual(40);
  });

  it("gives each fresh process its Init Duration, and a crashed invocation's REPORT its status", async () => {
    const event = file("exit.json", JSON.stringify({ exit: true }));
    const r = await runCli(["invoke", probe, "--event", event, "--count", "2"], { env: shell() });
    expect(r.code).toBe(1);
    const reports = [...r.stderr.matchAll(reportRe)];
    expect(reports).toHaveLength(2);
    for (const m of reports) {
      expect(m[6]).toBeDefined();
      expect(m[7]).toBe("\tStatus: error\tError Type: Runtime.ExitError");
    }
  });

  it("ends a timed-out invocation's REPORT with Status: timeout, its duration the timeout", async () => {
    const r = await runCli(["invoke", handler, "--event", file("hang.json", JSON.stringify({ action: "hang" })), "--timeout", "1"], { env: shell() });
    expect(r.code).toBe(1);
    const [m] = [...r.stderr.matchAll(reportRe)];
    expect(m?.[7]).toBe("\tStatus: timeout");
    expect(Number(m![2])).toBeGreaterThanOrEqual(1000);
  });
});

describe("the API's invoke()", () => {
  it("takes the same settings: environment, envFile, memory, functionName, region; env is only what binship reads", async () => {
    const dotenv = file("api.env", "FROM_FILE=1\nSHARED=file\n");
    let output = "";
    const run = await invoke(probe, {
      config: false,
      env: { PATH: process.env.PATH, AWS_REGION: "eu-central-1", BAR_HOST_ONLY: "host" },
      environment: { SHARED: "option", OWN: "yes" },
      envFile: dotenv,
      memory: 2048,
      functionName: "Api",
      onOutput: (c) => (output += c),
    });
    expect(run.ok).toBe(true);
    const inv = run.invocations[0]!;
    expect((inv.result as { env: Record<string, string> }).env).toMatchObject({ FROM_FILE: "1", SHARED: "option", OWN: "yes", AWS_REGION: "eu-central-1", AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "2048", AWS_LAMBDA_FUNCTION_NAME: "Api" });
    expect((inv.result as { env: Record<string, string> }).env.BAR_HOST_ONLY).toBeUndefined();
    expect(inv).toMatchObject({ memorySizeMb: 2048 });
    expect(typeof inv.initDurationMs).toBe("number");
    expect(output).toMatch(new RegExp(reportRe.source, "m"));
  });
});
