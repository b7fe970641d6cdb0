// What the emulator reports back for one invocation, and the options it starts with.

/** The error document a runtime posts, and the one Lambda returns to the caller. */
export interface FunctionError {
  errorType: string;
  errorMessage: string;
  stackTrace?: string[];
}

/** The Runtime API's per-invocation extras (headers of invocation/next). */
export interface InvokeOptions {
  traceId?: string | null; // Lambda-Runtime-Trace-Id; default: a fresh X-Ray style id; null: no header
  clientContext?: unknown; // Lambda-Runtime-Client-Context (JSON), absent by default
  cognitoIdentity?: unknown; // Lambda-Runtime-Cognito-Identity (JSON), absent by default
  timeoutMs?: number; // overrides the emulator's timeout for this invocation
  onChunk?: (chunk: Buffer, contentType: string | undefined) => void; // streamed responses: each chunk as it arrives, with the stream's Content-Type
  onHandOut?: (requestId: string) => void; // called as the runtime is given the event (Lambda's START)
}

export type InvokeStatus =
  | "ok" // the runtime posted a response
  | "error" // the runtime posted to /error, or an error trailer ended a stream
  | "init-error" // the runtime posted to /init/error before this invocation was taken
  | "timeout" // the deadline passed with no answer (Lambda: "Task timed out")
  | "too-large" // the event or the response was over the payload limit (413)
  | "exited"; // the process went away before it answered

export interface InvokeResult {
  requestId: string;
  status: InvokeStatus;
  payload: Buffer; // buffered: the response body; streamed: every byte after the prelude
  streamed: boolean; // true when the runtime used Lambda-Runtime-Function-Response-Mode: streaming
  contentType?: string; // the response's Content-Type header
  prelude?: unknown; // streamed HTTP integration responses: the JSON before the 8 NUL bytes
  chunks: Buffer[]; // streamed: the body chunks as they arrived (prelude included)
  error?: FunctionError; // status other than "ok"
  durationMs: number; // from handing out the event to the answer (fractional milliseconds)
  report?: InvocationReport; // Lambda's REPORT figures, set by invokeArtifact for an event a running function took
}

/** The figures of Lambda's REPORT line for one invocation. */
export interface InvocationReport {
  durationMs: number; // two decimals, as REPORT prints it
  billedDurationMs: number; // whole milliseconds: the duration rounded up, plus the init on a process's first invocation (provided.* runtimes bill init)
  memorySizeMb: number; // the configured memory (--memory)
  maxMemoryUsedMb: number; // the process's peak RSS (VmHWM), in MiB rounded up
  initDurationMs?: number; // the first invocation of each process: from its start to its first request for an event
}

export interface EmulatorOptions {
  functionName?: string; // AWS_LAMBDA_FUNCTION_NAME (default "function")
  functionVersion?: string; // AWS_LAMBDA_FUNCTION_VERSION (default "$LATEST")
  memoryMb?: number; // AWS_LAMBDA_FUNCTION_MEMORY_SIZE (default 128)
  region?: string; // AWS_REGION (default "us-east-1")
  accountId?: string; // used in the function ARN (default "000000000000")
  taskRoot?: string; // LAMBDA_TASK_ROOT (default "/var/task")
  handler?: string; // _HANDLER (default "bootstrap", as for provided.* runtimes)
  timeoutMs?: number; // per-invocation deadline (default 3000, Lambda's default timeout)
  maxResponseBytes?: number; // buffered response limit (default 6291556, Lambda's 6 MB)
  maxStreamBytes?: number; // streamed response limit (default 20 MiB)
  host?: string; // listen address (default "127.0.0.1")
  port?: number; // listen port (default 0: any free port)
  onTimeout?: (requestId: string) => void; // Lambda stops the environment on a timeout; the owner of the process does that here
}
