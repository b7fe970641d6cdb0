// console.* in Lambda's log format. Text: "<ISO time>\t<request id>\t<LEVEL>\t<message>", with
// newlines turned into carriage returns so one call stays one CloudWatch event. JSON
// (AWS_LAMBDA_LOG_FORMAT=JSON): one object per line with timestamp, level, requestId, message,
// filtered by AWS_LAMBDA_LOG_LEVEL ("Configuring advanced logging controls for Lambda functions",
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html).

import { format } from "node:util";

const levels = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const;
type Level = (typeof levels)[number];

const methods: [keyof Console, Level][] = [
  ["log", "INFO"],
  ["info", "INFO"],
  ["warn", "WARN"],
  ["error", "ERROR"],
  ["debug", "DEBUG"],
  ["trace", "TRACE"],
];

/**
 * `out` defaults to process.stdout, read at the first log line, not here: Node makes that stream
 * on first access, and for a pipe (Lambda's stdout) that is a net.Socket set up on every cold
 * start, ~0.9 ms, by functions that may never log.
 */
export function patchConsole(env: NodeJS.ProcessEnv, currentRequestId: () => string | undefined, out?: NodeJS.WritableStream): void {
  const json = env.AWS_LAMBDA_LOG_FORMAT === "JSON";
  const minimum = levels.indexOf((env.AWS_LAMBDA_LOG_LEVEL ?? "").toUpperCase() as Level);
  for (const [method, level] of methods) {
    if (json && minimum > levels.indexOf(level)) {
      (console as unknown as Record<string, unknown>)[method] = () => {};
      continue;
    }
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const timestamp = new Date().toISOString();
      const requestId = currentRequestId();
      if (!json) {
        (out ?? process.stdout).write(`${timestamp}\t${requestId}\t${level}\t${format(...args).replace(/\n/g, "\r")}\n`);
        return;
      }
      const record: Record<string, unknown> = { timestamp, level, requestId, message: format(...args) };
      const err = args.length === 1 && args[0] instanceof Error ? args[0] : undefined;
      if (err) Object.assign(record, { errorType: err.name, errorMessage: err.message, stackTrace: (err.stack ?? "").split("\n") });
      (out ?? process.stdout).write(`${JSON.stringify(record)}\n`);
    };
  }
}
