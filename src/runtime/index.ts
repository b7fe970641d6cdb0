// Entry of the code that ships inside every binary. The generated entry shim calls start()
// with a loader for the user's module; the environment decides the mode.
//
// Each mode's modules are imported when that mode starts (esbuild keeps them in the bundle,
// evaluated on that import): a server never evaluates the Runtime API client and the event
// adapters, a Lambda function never the HTTP server (nor, for a Fetch app, loads node:http).
// Every cold start pays for what a module evaluates, used or not.

import { checkCompileCache } from "./compile-cache.js";
import { loadService } from "./load.js";
import { installAwslambdaGlobal } from "./lambda/global.js";
import { ServiceShapeError } from "./contract.js";
import { defaultRuntimeOptions, StartupError, type RuntimeOptions } from "./options.js";
import { isWorker, runPrimary, workerCount } from "./server/workers.js";
import { installSourceMap } from "./source-map.js";

export type { RuntimeOptions } from "./options.js";

export interface StartOptions extends Partial<RuntimeOptions> {
  sourceMap?: { payload: unknown }; // present when bundled with --sourcemap
}

/** Set by binship's compile-cache generator (executable/compile-cache.ts), which loads the bundle only to compile it. */
const compileOnly = "__binshipCompileOnly";

export function start(load: () => unknown, startOptions: StartOptions = {}): void {
  // The generator wants V8 to compile this file, not to run the service: no user code, no port.
  if ((globalThis as Record<string, unknown>)[compileOnly] === true) return;
  // Once per service, not in each of its server workers.
  if (!isWorker()) checkCompileCache(process.env);
  const { sourceMap, ...rest } = startOptions;
  if (sourceMap) installSourceMap(sourceMap.payload);
  const options: RuntimeOptions = { ...defaultRuntimeOptions, ...rest };
  if (process.env.AWS_LAMBDA_RUNTIME_API) {
    // Lambda mode loads the module itself: a load failure goes to /runtime/init/error.
    void import("./lambda/index.js").then(({ runLambda }) => runLambda(() => loadService(load, options), options));
    return;
  }
  let workers: number;
  try {
    workers = isWorker() ? 1 : workerCount(options.workers);
  } catch (err) {
    console.error(`binship: ${(err as Error).message}`);
    process.exit(1);
  }
  // The primary of several workers loads no user code: it only forks and supervises.
  if (workers > 1) {
    void runPrimary(workers, options.shutdownGraceMs);
    return;
  }
  // Handlers written for the managed runtime call awslambda.streamifyResponse() at load time.
  installAwslambdaGlobal();
  // The server's module is imported while the user's loads (a user module is evaluated at once,
  // before the first await, so its side effects keep their place before the server's).
  const server = import("./server/index.js");
  loadService(load, options)
    .then(async (service) => (await server).runServer(service, options))
    .catch((err) => {
      // Expected startup problems are explained in their message; anything else needs its stack.
      const expected = err instanceof ServiceShapeError || err instanceof StartupError;
      console.error(expected ? `binship: ${err.message}` : err);
      process.exit(1);
    });
}
