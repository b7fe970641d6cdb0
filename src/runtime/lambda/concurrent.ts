// Lambda Managed Instances: several invocations in flight in one execution environment.
// "Node.js runtime for Lambda Managed Instances"
// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-nodejs-runtime.html):
// concurrent requests share the handler object and the module's global state; async handlers let
// one thread serve many at once. Lambda says how many it may send with AWS_LAMBDA_MAX_CONCURRENCY;
// this loop keeps that many `GET /runtime/invocation/next` open, each slot on its own keep-alive
// connection (the Runtime API answers a connection in order, and a parked /next holds it), so each
// response/error goes to its own request id over the connection that fetched it.
//
// Loaded only when AWS_LAMBDA_MAX_CONCURRENCY is set (index.ts imports it dynamically), so the
// default loop never loads node:async_hooks.
//
// Per invocation, through AsyncLocalStorage: the log lines' request id, and
// process.env._X_AMZN_TRACE_ID (process.env becomes a Proxy whose _X_AMZN_TRACE_ID is the trace id
// of the invocation whose code reads it; Node refuses accessor properties on process.env itself).
// Outside any invocation it is unset.
//
// A crash (uncaught exception, unhandled rejection, a handler promise that can never settle)
// cannot be pinned on one invocation with certainty and leaves the process in an unknown state:
// every invocation in flight gets the error posted, then the process exits with the managed
// runtime's code, as the one-at-a-time loop does.

import { AsyncLocalStorage } from "node:async_hooks";
import type { Service } from "../contract.js";
import type { RuntimeOptions } from "../options.js";
import { createClient, type Invocation, type RuntimeClient } from "./client.js";
import { createInvoker, type Invoker } from "./dispatch.js";
import { NodeJsExit, toErrorBody, UnhandledPromiseRejection } from "./errors.js";
import { patchConsole } from "./logs.js";
import { installAwslambdaGlobal } from "./global.js";
import { connectToPrimary, splitSlots, startWorkers, workerCount, workerShare, type WorkerReport } from "./workers.js";

const traceVar = "_X_AMZN_TRACE_ID";

/** The slot count from AWS_LAMBDA_MAX_CONCURRENCY, or an error message naming the problem. */
export function parseMaxConcurrency(value: string): number | string {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) return `AWS_LAMBDA_MAX_CONCURRENCY must be a whole number of at least 1, got "${value}"`;
  return n;
}

/** process.env whose _X_AMZN_TRACE_ID is the current invocation's (see the top of this file). */
export function traceAwareEnv(real: NodeJS.ProcessEnv, current: () => Invocation | undefined): NodeJS.ProcessEnv {
  delete real[traceVar]; // no process-wide trace id: each invocation has its own
  const own = (inv: Invocation | undefined) => inv?.traceId;
  return new Proxy(real, {
    get: (target, key, receiver) => (key === traceVar ? own(current()) : Reflect.get(target, key, receiver)),
    has: (target, key) => (key === traceVar ? own(current()) !== undefined : Reflect.has(target, key)),
    set: (target, key, value) => (key === traceVar ? true : Reflect.set(target, key, value)), // X-Ray SDKs may write it back; the invocation's stays
    getOwnPropertyDescriptor: (target, key) => {
      if (key !== traceVar) return Reflect.getOwnPropertyDescriptor(target, key);
      const value = own(current());
      return value === undefined ? undefined : { value, writable: true, enumerable: true, configurable: true };
    },
    ownKeys: (target) => {
      const keys = Reflect.ownKeys(target);
      return own(current()) !== undefined ? [...keys, traceVar] : keys;
    },
  });
}

/**
 * The entry when AWS_LAMBDA_MAX_CONCURRENCY is set: in one of our workers, serve its share; else
 * serve every slot here with one worker, or start the workers (workers.ts) and load nothing.
 */
export function startConcurrent(load: () => Promise<Service>, options: RuntimeOptions, env: NodeJS.ProcessEnv): void {
  const share = workerShare(env);
  if (share !== undefined) return runConcurrentLambda(load, options, env, share, connectToPrimary());
  const slots = parseMaxConcurrency(env.AWS_LAMBDA_MAX_CONCURRENCY!);
  const count = workerCount(env.AWS_LAMBDA_NODEJS_WORKER_COUNT);
  if (typeof slots === "string" || typeof count === "string") {
    const problem = typeof slots === "string" ? slots : (count as string);
    console.error(problem);
    createClient(env.AWS_LAMBDA_RUNTIME_API!)
      .initError({ errorType: "Runtime.InvalidConfiguration", errorMessage: problem, stackTrace: [] })
      .catch(() => {})
      .finally(() => process.exit(1));
    return;
  }
  const shares = splitSlots(slots, count);
  if (shares.length > 1) return startWorkers(shares, env);
  runConcurrentLambda(load, options, env, slots);
}

const unreported: WorkerReport = { taken: () => {}, answered: () => {} };

/** `slots` invocations at once in this process; `report` tells a primary which are open (workers.ts). */
export function runConcurrentLambda(load: () => Promise<Service>, options: RuntimeOptions, env: NodeJS.ProcessEnv, slots: number, report = unreported): void {
  const store = new AsyncLocalStorage<Invocation>();
  const current = () => store.getStore();
  const address = env.AWS_LAMBDA_RUNTIME_API!;
  const clients: RuntimeClient[] = Array.from({ length: slots }, () => createClient(address));
  if (env === process.env) env = process.env = traceAwareEnv(process.env, current);
  patchConsole(env, () => current()?.id);
  installAwslambdaGlobal();

  const inflight = new Map<string, Invoker>(); // request id -> the invoker (slot) it came through
  let dying = false;
  const crash = (err: unknown, code: number) => {
    if (dying) return;
    dying = true;
    console.error(err);
    const reports = inflight.size ? [...inflight].map(([id, invoker]) => invoker.fail(id, err).finally(() => report.answered(id))) : [createClient(address).initError(toErrorBody(err))];
    // Report, then exit whatever the API answers: the process state is unknown now.
    Promise.allSettled(reports).finally(() => process.exit(code));
  };
  process.on("uncaughtException", (err) => crash(err, 129));
  process.on("beforeExit", () => {
    if (inflight.size && !dying) crash(new NodeJsExit("a handler returned a promise that never settled, and nothing was left to run"), 1);
  });
  process.on("unhandledRejection", (reason) => crash(new UnhandledPromiseRejection(String(reason instanceof Error ? `${reason.name}: ${reason.message}` : reason)), 128));

  const fatal = (message: string) => {
    if (dying) return;
    dying = true;
    console.error(message);
    process.exit(1);
  };

  const slot = async (client: RuntimeClient, invoker: Invoker) => {
    for (;;) {
      const inv = await client.next();
      if (dying) return;
      inflight.set(inv.id, invoker);
      report.taken(inv.id);
      const { posted } = await store.run(inv, () => invoker.invoke(inv));
      if (dying) return; // crashed meanwhile; crash() ends the process
      inflight.delete(inv.id);
      report.answered(inv.id);
      // runtimes-api.html: 500 is a container error, "the runtime should exit promptly".
      if (posted >= 500) return fatal(`Runtime API answered ${posted} for invocation ${inv.id}; exiting`);
      if (posted !== 202) console.error(`Runtime API answered ${posted} for invocation ${inv.id}`);
    }
  };

  load().then(
    (service) => {
      for (const client of clients) {
        slot(client, createInvoker(service, options, client, env)).catch((err) => fatal(`Lambda runtime loop failed: ${(err as Error).stack ?? err}`));
      }
    },
    (err) => {
      console.error(err instanceof Error && err.name === "Runtime.HandlerNotFound" ? err.message : err);
      createClient(address)
        .initError(toErrorBody(err))
        .catch(() => {})
        .finally(() => process.exit(1));
    },
  );
}
