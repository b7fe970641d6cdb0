// The node layout's image starts Node with NODE_COMPILE_CACHE pointing at the cache binship made
// at pack time (executable/compile-cache.ts). Node names the cache's directory after the uid that
// reads it, and that cache was made for the image's user (65532): run as another uid (OpenShift's
// arbitrary uids, a securityContext.runAsUser override), Node looks for a directory of its own,
// cannot create it in the read-only /app, turns the cache off without a word, and every start
// compiles the whole bundle again (~1.2× slower to the first answer, BENCHMARKS.md). Said once at
// start. On the good path this is one call that reads a value Node already holds.

import { readdirSync } from "node:fs";

/** The uids a compile cache directory holds entries for (Node 24: `v24.22.3-x64-964aae3f-65532`). */
export function cacheUids(entries: string[]): string[] {
  return entries.map((e) => /^v\d+\.\d+\.\d+-[a-z0-9]+-[0-9a-f]+-(\d+)$/.exec(e)?.[1]).filter((u): u is string => u !== undefined);
}

export function compileCacheOffWarning(dir: string, uid: number | undefined, entries: string[]): string {
  const made = cacheUids(entries);
  const who = uid === undefined ? "this process" : `uid ${uid}`;
  const why = made.length
    ? `it holds a cache for uid ${made.join(", ")}, and Node (which names the directory after the uid) could not make one for ${who} there`
    : `Node could not use or create its cache directory there for ${who}`;
  return (
    `binship: warning: the compile cache in NODE_COMPILE_CACHE=${dir} is off: ${why}. The service starts without V8's code cache (it compiles the whole bundle). ` +
    `Run the image as uid ${made[0] ?? "65532"} (the Dockerfile's USER; securityContext.runAsUser in Kubernetes), or pack with --layout executable, whose code cache is inside the binary and does not depend on the uid.`
  );
}

/** Warns when NODE_COMPILE_CACHE is set but Node could not turn the cache on. */
export function checkCompileCache(env: NodeJS.ProcessEnv, log: (line: string) => void = console.error): void {
  const dir = env.NODE_COMPILE_CACHE;
  if (!dir || env.NODE_DISABLE_COMPILE_CACHE) return;
  const mod = process.getBuiltinModule("node:module") as typeof import("node:module");
  // Node 22.1+; an older Node has no compile cache to miss.
  if (typeof mod.getCompileCacheDir !== "function" || mod.getCompileCacheDir() !== undefined) return;
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    // not a directory, or unreadable: the message says Node could not use it
  }
  log(compileCacheOffWarning(dir, process.getuid?.(), entries));
}
