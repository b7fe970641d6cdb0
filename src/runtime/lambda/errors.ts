// Errors as the Runtime API takes them ({errorType, errorMessage, stackTrace}). Class names
// double as Lambda errorTypes, the way the managed Node.js runtime names them.

import type { ErrorBody } from "./client.js";

/** Same shape as the managed runtime: an Error gives its name and stack, anything else its type. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof Error) {
    const lines = (err.stack ?? "").split("\n");
    return { errorType: err.name, errorMessage: err.message, stackTrace: lines.slice(1).map((l) => l.trim()).filter(Boolean) };
  }
  let message: string;
  try {
    message = typeof err === "string" ? err : JSON.stringify(err) ?? String(err);
  } catch {
    message = String(err);
  }
  return { errorType: err === null ? "null" : typeof err, errorMessage: message, stackTrace: [] };
}

function named(name: string) {
  return class extends Error {
    override name = name;
  };
}

export const UnhandledPromiseRejection = named("Runtime.UnhandledPromiseRejection");
export const UnsupportedEvent = named("Runtime.UnsupportedEvent"); // no adapter matched and no handler
export const ResponseSizeTooLarge = named("Runtime.ResponseSizeTooLarge"); // over Lambda's 6 MB
export const NodeJsExit = named("Runtime.NodeJsExit"); // the event loop emptied mid-invocation
export const MalformedEvent = named("Runtime.MalformedEvent"); // the event is not JSON
