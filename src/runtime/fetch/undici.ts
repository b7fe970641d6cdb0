// Node's own Fetch classes (its bundled undici), loaded only when something needs them.
// Touching globalThis.Request/Response/Headers in any way (even reading or redefining the
// property: Node 24 makes them V8 lazy data properties) loads undici, web streams, zlib and
// crypto: ~13 MiB and a third of a cold start. The bundle therefore never touches them: esbuild
// injects the light classes in their place (./globals.ts), and only this module reads Node's,
// by a computed name the bundler leaves alone.

type Name = "Request" | "Response" | "Headers";

export interface Undici {
  Request: typeof Request;
  Response: typeof Response;
  Headers: typeof Headers;
}

let loaded: Undici | undefined;

/** Node's undici classes; loads undici on the first call. */
export function undici(): Undici {
  if (!loaded) {
    const g = globalThis as unknown as Record<string, unknown>;
    const names: Name[] = ["Request", "Response", "Headers"];
    loaded = Object.fromEntries(names.map((n) => [n, g[n]])) as unknown as Undici;
  }
  return loaded;
}

/**
 * Whether `x` is an instance of undici's class `name`. Only objects that say they are one
 * (Symbol.toStringTag) are checked, so a failed instanceof on a plain value loads nothing.
 */
export function isUndiciInstance(x: unknown, name: Name): boolean {
  if (typeof x !== "object" || x === null || (x as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] !== name) return false;
  return x instanceof (undici()[name] as unknown as new () => object);
}
