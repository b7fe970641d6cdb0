// binship invoke ARTIFACT [--event FILE | --http "GET /path" [--header K:V]... [--body STR]] [--count N]
//   [--concurrency N] [--env K=V]... [--env-file FILE] [--memory MB] [--function-name NAME] [--region R]

import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { resolve } from "node:path";
import { BinshipError, errorJson } from "../errors.js";
import { formatBytes } from "../log.js";
import { invokeArtifact, type InvokeArtifactResult } from "../invoke/index.js";
import { checkUserVariables, functionEnvironment, parseEnvFile, parseEnvFlags, regionOf } from "../invoke/function-env.js";
import { formatHttp, functionUrlEvent, functionUrlResponse, type HttpView } from "../invoke/function-url.js";
import { liveStream } from "../invoke/live-stream.js";
import type { InvokeResult } from "../invoke/emulator/index.js";
import { withInterruptCleanup } from "../util/interrupt.js";
import { resolveConfig, type CommandContext } from "./context.js";

export interface InvokeFlags {
  event?: string; // file with the event JSON ("-" for stdin)
  http?: string; // "METHOD /path?query": send a function URL event
  header?: string[]; // with --http: "Name: value", repeatable
  body?: string; // with --http: the request body
  count?: string; // invocations on the same warm process (default 1)
  concurrency?: string; // invocations in flight at once (Lambda Managed Instances); sets AWS_LAMBDA_MAX_CONCURRENCY
  timeout?: string; // per-invocation timeout in seconds (default 30)
  layer?: string; // a runtime layer zip for a --layout layer function zip
  env?: string[]; // KEY=VALUE for the function, repeatable
  envFile?: string; // SAM --env-vars JSON or a dotenv file
  memory?: string; // MB, 128-10240 (config "memory")
  functionName?: string; // config "functionName"
  region?: string; // AWS_REGION/AWS_DEFAULT_REGION (default: the host's, else us-east-1)
}

export interface InvokeCommandOptions {
  artifact: string; // absolute path
  event: unknown; // the event every invocation gets
  http: boolean; // show results as function URL HTTP responses
  count: number;
  concurrency?: number; // undefined: one at a time, and no AWS_LAMBDA_MAX_CONCURRENCY
  timeoutMs: number;
  layer?: string; // absolute path of the runtime layer zip
  functionName: string;
  memoryMb: number;
  region: string;
  env: Record<string, string>; // what the function sees besides the emulator's reserved variables
}

function positive(value: string | undefined, flag: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > max) throw new BinshipError("USAGE", `${flag} must be a number from 1 to ${max}, got "${value}"`, { hint: `Example: ${flag} ${fallback}` });
  return n;
}

/** A whole number from 1 to `max`: AWS_LAMBDA_MAX_CONCURRENCY takes no fractions. */
function whole(value: string, flag: string, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > max) throw new BinshipError("USAGE", `${flag} must be a whole number from 1 to ${max}, got "${value}"`, { hint: `Example: ${flag} 8` });
  return n;
}

async function readEvent(file: string, cwd: string): Promise<unknown> {
  let text: string;
  try {
    text = file === "-" ? await readStdin() : await readFile(resolve(cwd, file), "utf8");
  } catch (err) {
    throw new BinshipError("USAGE", `cannot read the event file ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BinshipError("USAGE", `the event file ${file} is not valid JSON: ${(err as Error).message}`, { hint: "Lambda events are JSON documents." });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function resolveInvokeOptions(ctx: CommandContext, artifact: string, flags: InvokeFlags): Promise<InvokeCommandOptions> {
  if (flags.event !== undefined && flags.http !== undefined) {
    throw new BinshipError("USAGE", "--event and --http cannot be used together", { hint: "Pass a whole event with --event FILE, or describe an HTTP request with --http." });
  }
  if (flags.http === undefined && (flags.header?.length || flags.body !== undefined)) {
    throw new BinshipError("USAGE", "--header and --body only go with --http", { hint: 'Example: binship invoke app.cjs --http "POST /orders" --header "content-type: application/json" --body \'{"id":1}\'' });
  }
  if (flags.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(flags.region)) {
    throw new BinshipError("USAGE", `--region must be an AWS Region name, got "${flags.region}"`, { hint: "Example: --region eu-west-1" });
  }
  const memory = flags.memory === undefined || !Number.isFinite(Number(flags.memory)) ? flags.memory : Number(flags.memory);
  // The lambda section of the config (environment, memory, functionName) under the flags.
  const { config } = await resolveConfig(ctx, "lambda", { memory, functionName: flags.functionName });
  const functionName = config.functionName ?? "function";
  const fromConfig = config.environment ?? {};
  checkUserVariables(fromConfig, 'the config\'s "environment"');
  const fromFile = flags.envFile === undefined ? {} : await readEnvFile(ctx, flags.envFile, functionName);
  const user = { ...fromConfig, ...fromFile, ...parseEnvFlags(flags.env ?? []) };
  const event =
    flags.http !== undefined
      ? functionUrlEvent({ request: flags.http, headers: flags.header ?? [], body: flags.body })
      : flags.event !== undefined
        ? await readEvent(flags.event, ctx.cwd)
        : {};
  return {
    artifact: resolve(ctx.cwd, artifact),
    event,
    http: flags.http !== undefined,
    count: Math.floor(positive(flags.count, "--count", 1, 100_000)),
    concurrency: flags.concurrency === undefined ? undefined : whole(flags.concurrency, "--concurrency", 1024),
    timeoutMs: Math.round(positive(flags.timeout, "--timeout", 30, 900) * 1000),
    layer: flags.layer === undefined ? undefined : resolve(ctx.cwd, flags.layer),
    functionName,
    memoryMb: config.memory ?? 128,
    region: regionOf(ctx.env, flags.region),
    env: functionEnvironment(ctx.env, user),
  };
}

async function readEnvFile(ctx: CommandContext, file: string, functionName: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(resolve(ctx.cwd, file), "utf8");
  } catch (err) {
    throw new BinshipError("USAGE", `cannot read the env file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const { vars, sections } = parseEnvFile(text, file, functionName);
  if (sections.length && !sections.includes(functionName)) {
    ctx.logger.warn(`${file} has variables for ${sections.join(", ")} but none for "${functionName}"; only its Parameters apply\n  hint: Name the function with --function-name (or "functionName" in the config's lambda section).`);
  }
  return vars;
}

function jsonOf(result: InvokeResult, http: boolean): Record<string, unknown> {
  // REPORT's figures when the function took the event (durationMs, billedDurationMs, memorySizeMb, maxMemoryUsedMb, initDurationMs).
  const out: Record<string, unknown> = { requestId: result.requestId, status: result.status, durationMs: Math.round(result.durationMs * 100) / 100, ...result.report, streamed: result.streamed };
  if (result.error) out.error = result.error;
  if (result.status !== "ok") return out;
  if (http) {
    const view = functionUrlResponse(result);
    const text = view.body.toString("utf8");
    const binary = !Buffer.from(text, "utf8").equals(view.body);
    out.http = { statusCode: view.statusCode, headers: Object.fromEntries(view.headers), cookies: view.cookies, body: binary ? view.body.toString("base64") : text, isBase64Encoded: binary };
    return out;
  }
  const text = result.payload.toString("utf8");
  try {
    out.result = JSON.parse(text);
  } catch {
    out.payload = text;
  }
  return out;
}

/** What `binship invoke --json` prints and the API's `invoke()` returns. */
export interface InvokeRunResult {
  artifact: string;
  launcher: string;
  init: InvokeArtifactResult["init"];
  invocations: Record<string, unknown>[]; // requestId, status, durationMs (+ billedDurationMs, memorySizeMb, maxMemoryUsedMb, initDurationMs on the first of a process), streamed; result or payload (or http), or error
  processes: { init: unknown; invocations: number; exit?: unknown }[];
  ok: boolean; // every invocation succeeded (the CLI's exit code 0)
  warnings: [];
}

function runJson(run: InvokeArtifactResult, options: InvokeCommandOptions): InvokeRunResult {
  const processes = run.processes.map((p) => ({ init: p.init, invocations: p.invocations, ...(p.exit ? { exit: p.exit } : {}) }));
  return { artifact: options.artifact, launcher: run.launcher, init: run.init, invocations: run.results.map((r) => jsonOf(r, options.http)), processes, ok: failure(run) === undefined, warnings: [] };
}

/** Invocations for the API: the same run as the command's, its --json as the result (a failed invocation is data, not a throw). */
export async function invokeRun(
  ctx: CommandContext,
  artifact: string,
  api: {
    event?: unknown; http?: string; headers?: string[]; body?: string; count?: number; concurrency?: number; timeoutSeconds?: number; layer?: string; onOutput?: (chunk: Buffer) => void;
    environment?: Record<string, string>; envFile?: string; memory?: number; functionName?: string; region?: string;
  },
): Promise<InvokeRunResult> {
  const env = Object.entries(api.environment ?? {}).map(([k, v]) => `${k}=${v}`);
  const options = await resolveInvokeOptions(ctx, artifact, {
    http: api.http, header: api.headers, body: api.body, count: api.count?.toString(), concurrency: api.concurrency?.toString(), timeout: api.timeoutSeconds?.toString(), layer: api.layer,
    env, envFile: api.envFile, memory: api.memory?.toString(), functionName: api.functionName, region: api.region,
  });
  if (api.event !== undefined && api.http === undefined) options.event = api.event;
  return runJson(await runInvocations(ctx, options, { output: (chunk) => api.onOutput?.(chunk) }), options);
}

/**
 * Every event of `options` on the artifact, as Lambda runs them. Ctrl-C/SIGTERM/SIGHUP end the
 * function's process group and remove the unpacked task root before binship dies of the signal.
 */
function runInvocations(ctx: CommandContext, options: InvokeCommandOptions, io: { output: (chunk: Buffer) => void; onChunk?: (chunk: Buffer, contentType: string | undefined) => void }): Promise<InvokeArtifactResult> {
  return withInterruptCleanup(() =>
    invokeArtifact({
      artifact: options.artifact,
      events: Array.from({ length: options.count }, () => options.event),
      concurrency: options.concurrency,
      emulator: { timeoutMs: options.timeoutMs, memoryMb: options.memoryMb, functionName: options.functionName, region: options.region },
      layer: options.layer,
      invoke: io.onChunk ? { onChunk: io.onChunk } : undefined,
      env: options.env,
      hostPath: ctx.env.PATH,
      output: io.output,
    }),
  );
}

function failure(run: InvokeArtifactResult): BinshipError | undefined {
  const bad = run.results.filter((r) => r.status !== "ok");
  if (!bad.length) return undefined;
  const e = bad[0]!.error;
  // No event reached a running function: say why it did not start (a timed-out init names its limits).
  if (run.init.status !== "ready" && bad.length === run.results.length) {
    const why = run.init.status === "init-timeout" ? e : run.init.error;
    return new BinshipError("INVOKE_FAILED", `the function failed to start: ${why?.errorType}: ${why?.errorMessage}`, { hint: "Its log above says why." });
  }
  return new BinshipError("INVOKE_FAILED", `${bad.length} of ${run.results.length} invocation${run.results.length === 1 ? "" : "s"} failed: ${e?.errorType}: ${e?.errorMessage}`);
}

export async function invokeCommand(ctx: CommandContext, artifact: string, flags: InvokeFlags): Promise<void> {
  const options = await resolveInvokeOptions(ctx, artifact, flags);
  // One invocation shown to a person: a streamed response appears as it arrives.
  const live = !ctx.flags.json && !ctx.flags.quiet && options.count === 1 ? liveStream((data) => ctx.stdout.write(data), options.http) : undefined;
  const began = performance.now();
  const run = await runInvocations(ctx, options, {
    // The function's own logs go to stderr, as the function wrote them; stdout is for results.
    output: (chunk) => void (ctx.flags.quiet ? undefined : process.stderr.write(chunk)),
    onChunk: live?.onChunk,
  });
  const err = failure(run);
  if (ctx.flags.json) {
    // One object on stdout, also when an invocation failed: the results and the error together.
    const error = err ? errorJson(err) : {};
    ctx.stdout.write(`${JSON.stringify({ ...runJson(run, options), ...error }, null, 2)}\n`);
    ctx.jsonWritten = true;
  } else if (!ctx.flags.quiet) {
    for (const result of run.results) {
      if (result.status !== "ok") {
        if (live?.shown()) ctx.stdout.write("\n"); // the stream broke off after some of its body
        ctx.stdout.write(`${JSON.stringify(result.error)}\n`);
        continue;
      }
      if (result.streamed && live?.shown()) {
        if (result.payload.length && !result.payload.subarray(-1).equals(Buffer.from("\n"))) ctx.stdout.write("\n");
        continue;
      }
      const view: HttpView | undefined = options.http ? functionUrlResponse(result) : undefined;
      const out = view ? formatHttp(view) : result.payload;
      ctx.stdout.write(out);
      if (!out.subarray(-1).equals(Buffer.from("\n"))) ctx.stdout.write("\n");
    }
    if (run.results.length > 1) {
      const ms = run.results.map((r) => r.durationMs).sort((a, b) => a - b);
      const restarts = run.processes.length > 1 ? `; ${run.processes.length} processes (a crash, a timeout or a failed init ends one, and the next event gets a fresh one, as on Lambda)` : "";
      const overlap = options.concurrency ? `; up to ${options.concurrency} in flight, ${(performance.now() - began).toFixed(0)} ms in all` : "";
      ctx.logger.info(`${run.results.length} invocations, ${run.results.filter((r) => r.status === "ok").length} ok; median ${ms[Math.floor(ms.length / 2)]!.toFixed(2)} ms${overlap}${restarts}`);
    }
    const bytes = run.results.reduce((n, r) => n + r.payload.length, 0);
    ctx.logger.debug(`launcher: ${run.launcher}; ${formatBytes(bytes)} returned`);
  }
  if (err) throw err;
}
