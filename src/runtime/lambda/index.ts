// Lambda mode: the Runtime API loop (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
// Load the service (a failure goes to init/error and ends the process), then next ->
// invoke -> response/error, forever. A crash during an invocation is reported for it and ends
// the process with the managed Node.js runtime's codes (129 uncaught exception, 128 unhandled
// rejection); a 500 from the Runtime API is a container error and ends it too.

import type { Service } from "../contract.js";
import type { RuntimeOptions } from "../options.js";
import { createClient, type Invocation } from "./client.js";
import { NodeJsExit, toErrorBody, UnhandledPromiseRejection } from "./errors.js";
import { createInvoker, type Invoker } from "./dispatch.js";
import { patchConsole } from "./logs.js";
import { installAwslambdaGlobal } from "./global.js";

function fatal(message: string, code: number): never {
  console.error(message);
  process.exit(code);
}

export function runLambda(load: () => Promise<Service>, options: RuntimeOptions, env: NodeJS.ProcessEnv = process.env): void {
  // Lambda Managed Instances: several invocations at once (concurrent.ts), loaded only then.
  if (env.AWS_LAMBDA_MAX_CONCURRENCY !== undefined && env.AWS_LAMBDA_MAX_CONCURRENCY !== "") {
    void import("./concurrent.js").then(({ startConcurrent }) => startConcurrent(load, options, env));
    return;
  }
  const client = createClient(env.AWS_LAMBDA_RUNTIME_API!);
  let current: Invocation | undefined;
  let invoker: Invoker | undefined;
  patchConsole(env, () => current?.id);
  installAwslambdaGlobal();

  // Set once a crash is being reported: the loop stops, and `current` stays set so that the
  // crash's own log lines still carry the request id.
  let dying = false;
  const crash = (err: unknown, code: number) => {
    if (dying) return;
    dying = true;
    const inv = current;
    console.error(err);
    const report = inv && invoker ? invoker.fail(inv.id, err) : client.initError(toErrorBody(err));
    // Report, then exit whatever the API answers: the process state is unknown now.
    Promise.resolve(report).finally(() => process.exit(code));
  };
  process.on("uncaughtException", (err) => crash(err, 129));
  // Node is about to exit with an invocation open: its handler's promise can never settle.
  process.on("beforeExit", () => {
    if (current && !dying) crash(new NodeJsExit("the handler returned a promise that never settled, and nothing was left to run"), 1);
  });
  process.on("unhandledRejection", (reason) => crash(new UnhandledPromiseRejection(String(reason instanceof Error ? `${reason.name}: ${reason.message}` : reason)), 128));

  const loop = async (service: Service) => {
    invoker = createInvoker(service, options, client, env);
    for (;;) {
      const inv = await client.next();
      current = inv;
      // X-Ray reads the trace header from the environment; a stale one must not leak into the next invocation.
      if (inv.traceId) env._X_AMZN_TRACE_ID = inv.traceId;
      else delete env._X_AMZN_TRACE_ID;
      const { posted } = await invoker.invoke(inv);
      if (dying) return; // crashed meanwhile; crash() ends the process
      current = undefined;
      // runtimes-api.html: 500 is a container error, "the runtime should exit promptly".
      if (posted >= 500) fatal(`Runtime API answered ${posted} for invocation ${inv.id}; exiting`, 1);
      if (posted !== 202) console.error(`Runtime API answered ${posted} for invocation ${inv.id}`);
    }
  };

  load().then(
    (service) => loop(service).catch((err) => fatal(`Lambda runtime loop failed: ${(err as Error).stack ?? err}`, 1)),
    (err) => {
      console.error(err instanceof Error && err.name === "Runtime.HandlerNotFound" ? err.message : err);
      client
        .initError(toErrorBody(err))
        .catch(() => {})
        .finally(() => process.exit(1));
    },
  );
}
