// Entry of the code that ships inside every binary. The generated entry shim calls start()
// with a loader for the user's module; the environment decides the mode.

import { loadService } from "./load.js";
import { runLambda } from "./lambda/index.js";
import { installAwslambdaGlobal } from "./lambda/streaming.js";
import { ServiceShapeError } from "./contract.js";
import { defaultRuntimeOptions, StartupError, type RuntimeOptions } from "./options.js";
import { runServer } from "./server/index.js";
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
  const { sourceMap, ...rest } = startOptions;
  if (sourceMap) installSourceMap(sourceMap.payload);
  const options: RuntimeOptions = { ...defaultRuntimeOptions, ...rest };
  if (process.env.AWS_LAMBDA_RUNTIME_API) {
    // Lambda mode loads the module itself: a load failure goes to /runtime/init/error.
    runLambda(() => loadService(load, options), options);
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
  loadService(load, options)
    .then((service) => runServer(service, options))
    .catch((err) => {
      // Expected startup problems are explained in their message; anything else needs its stack.
      const expected = err instanceof ServiceShapeError || err instanceof StartupError;
      console.error(expected ? `binship: ${err.message}` : err);
      process.exit(1);
    });
}
