// Errors as the Runtime API takes them ({errorType, errorMessage, stackTrace}). Class names
// double as Lambda errorTypes, the way the managed Node.js runtime names them.

import type { ErrorBody } from "./client.js";

const stackLines = (stack: unknown): string[] =>
  typeof stack === "string" ? stack.split("\n").slice(1).map((l) => l.trim()).filter(Boolean) : [];

/** An object that carries an error's name and message without being an Error (`throw {name, message}`). */
function isErrorLike(err: unknown): err is { name: string; message: string; stack?: unknown } {
  const e = err as { name?: unknown; message?: unknown } | null;
  return typeof e === "object" && e !== null && typeof e.name === "string" && e.name !== "" && typeof e.message === "string";
}

/**
 * Same shape as the managed runtime: an Error, or an object with a string name and message
 * (the runtime interface client treats those alike), gives its name, message and stack;
 * anything else its type and its JSON or string form.
 */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof Error || isErrorLike(err)) return { errorType: err.name, errorMessage: err.message, stackTrace: stackLines(err.stack) };
  let message: string;
  try {
    message = typeof err === "string" ? err : JSON.stringify(err) ?? String(err);
  } catch {
    message = String(err); // a cycle or a BigInt
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
export const MarshalError = named("Runtime.MarshalError"); // the result cannot be serialized as JSON
