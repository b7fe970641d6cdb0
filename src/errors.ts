// One error type for every expected failure. The CLI prints message, diagnostics and hint
// for these and the stack for anything else (tsup's split between expected and unexpected).

import type { Diagnostic } from "./diagnostic.js";

export type { Diagnostic } from "./diagnostic.js";

/** Stable codes: scripts and tests match on these, never on message text. */
export type ErrorCode =
  | "USAGE" // bad flags or arguments
  | "CONFIG_INVALID" // config file or flag value rejected
  | "ENTRY_NOT_FOUND" // the entry file does not exist
  | "BUNDLE_FAILED" // esbuild reported errors in the service's code
  | "NATIVE_ADDON" // the service imports a .node addon
  | "SNAPSHOT_REFUSED" // --snapshot: the module init reads env/clock/random or uses a built-in a snapshot cannot hold (exit 1: the code, not the config, must change, as for NATIVE_ADDON)
  | "NODE_VERSION_NOT_FOUND" // no official Node binary matches the requested version
  | "NODE_DOWNLOAD_FAILED" // the registry could not be reached or sent bad bytes
  | "EXECUTABLE_FAILED" // pkg / SEA injection failed
  | "ARTIFACT_CHECK_FAILED" // a produced artifact does not fit its target
  | "NOT_ELF" // inspect was given something that is not an ELF file
  | "TOOL_MISSING" // a system tool (qemu, ...) is needed and absent
  | "INVOKE_FAILED" // the function returned an error or crashed
  | "IO_FAILED" // reading or writing a file failed
  | "REGISTRY_FAILED"; // a container registry could not be reached, refused, or failed a request

/** 2 for anything the user fixes in flags/config, 1 for build failures. */
const usageCodes: ReadonlySet<ErrorCode> = new Set([
  "USAGE",
  "CONFIG_INVALID",
  "ENTRY_NOT_FOUND",
  "NODE_VERSION_NOT_FOUND",
  "NOT_ELF",
]);

export interface BinshipErrorOptions {
  hint?: string; // what to do about it, one sentence
  diagnostics?: Diagnostic[];
  cause?: unknown;
  exitCode?: 1 | 2; // overrides the code's default
}

export class BinshipError extends Error {
  override readonly name = "BinshipError";
  readonly code: ErrorCode;
  readonly exitCode: 1 | 2;
  readonly hint?: string;
  readonly diagnostics: Diagnostic[];

  constructor(code: ErrorCode, message: string, options: BinshipErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = options.exitCode ?? (usageCodes.has(code) ? 2 : 1);
    this.hint = options.hint;
    this.diagnostics = options.diagnostics ?? [];
  }
}

/** The error as `--json` prints it: `{"error": …}` on stdout, beside the message on stderr. */
export function errorJson(err: BinshipError): { error: { code: ErrorCode; message: string; hint: string | null; diagnostics: Diagnostic[]; exitCode: 1 | 2 } } {
  return { error: { code: err.code, message: err.message, hint: err.hint ?? null, diagnostics: err.diagnostics, exitCode: err.exitCode } };
}

export function isBinshipError(err: unknown): err is BinshipError {
  return err instanceof BinshipError;
}
