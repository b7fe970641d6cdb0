// Maps stack frames of the bundle back to the TypeScript sources. Node's own
// --enable-source-maps cannot be switched on for the file that is already running (and a
// single executable has no file to re-read), so the bundle carries its map and this hook
// resolves frames lazily, the first time a stack is formatted.

import type { SourceMap } from "node:module";

type CallSite = NodeJS.CallSite;

// node:module (and the source-map parser behind it) is loaded the first time a frame is
// mapped, not at start: a service that never formats a stack never pays for it.
const loadSourceMap = (): typeof SourceMap => (process.getBuiltinModule("node:module") as typeof import("node:module")).SourceMap;

/**
 * The script name V8 gives the running bundle. It is not always __filename: a single
 * executable reports the path its loader compiled the blob under, so ask V8 itself.
 */
function ownScriptName(): string | null {
  const original = Error.prepareStackTrace;
  Error.prepareStackTrace = (_error, sites) => sites;
  const holder: { stack?: CallSite[] } = {};
  Error.captureStackTrace(holder);
  const sites = holder.stack;
  Error.prepareStackTrace = original;
  return sites?.[0]?.getFileName() ?? null;
}

export function installSourceMap(payload: unknown): void {
  const bundleFile = ownScriptName();
  if (bundleFile === null) return;
  let map: SourceMap | undefined;
  const mapFrame = (site: CallSite): string => {
    const text = site.toString();
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if (site.getFileName() !== bundleFile || line === null || column === null) return text;
    map ??= new (loadSourceMap())(payload as ConstructorParameters<typeof SourceMap>[0]);
    const entry = map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number; name?: string };
    if (!entry || entry.originalSource === undefined || entry.originalLine === undefined) return text;
    const where = `${entry.originalSource}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
    const fn = site.getFunctionName() ?? site.getMethodName();
    const prefix = site.isAsync() ? "async " : site.isConstructor() ? "new " : "";
    return fn ? `${prefix}${fn} (${where})` : `${prefix}${where}`;
  };
  Error.prepareStackTrace = (error, sites) => {
    let head: string;
    try {
      head = Error.prototype.toString.call(error);
    } catch {
      head = "Error";
    }
    return [head, ...sites.map((s) => `    at ${mapFrame(s)}`)].join("\n");
  };
}
