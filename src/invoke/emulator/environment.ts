// The environment Lambda gives a function's process: "Defined runtime environment variables"
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).

import { randomBytes } from "node:crypto";
import type { EmulatorOptions } from "./types.js";

export function runtimeEnvironment(options: EmulatorOptions): Record<string, string> {
  const name = options.functionName ?? "function";
  const version = options.functionVersion ?? "$LATEST";
  const region = options.region ?? "us-east-1";
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, "/");
  return {
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: version,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMb ?? 128),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    // Lambda names log streams <date>/[<version>]<instance id>.
    AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[${version}]${randomBytes(16).toString("hex")}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    LAMBDA_TASK_ROOT: options.taskRoot ?? "/var/task",
    LAMBDA_RUNTIME_DIR: "/var/runtime",
    _HANDLER: options.handler ?? "bootstrap",
    TZ: ":UTC",
  };
}
