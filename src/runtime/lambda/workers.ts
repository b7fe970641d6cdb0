// Worker threads for Lambda Managed Instances, as AWS's Node.js runtime runs them
// ("Node.js runtime for Lambda Managed Instances",
// https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-nodejs-runtime.html):
// worker threads give parallelism across vCPUs, async execution concurrency within each; the
// default number of workers comes from the vCPUs, AWS_LAMBDA_NODEJS_WORKER_COUNT overrides it;
// the function initialises once per worker.
//
// Each worker runs the same main script (the bundle) and so loads the user's module itself, then
// serves its share of AWS_LAMBDA_MAX_CONCURRENCY's slots with concurrent.ts. A worker that crashes
// fails its own invocations in flight and ends (process.exit in a worker ends that thread only);
// the others go on. When the last worker has ended, the process exits with its code, and Lambda
// starts a new environment.
//
// A single executable (Node SEA) has no main script on disk for a worker to load, so there the
// invocations run on the main thread (see README).

import { availableParallelism } from "node:os";
import { isSea } from "node:sea";
import { isMainThread, Worker, workerData } from "node:worker_threads";

/** Set in a worker's workerData: how many slots it serves. */
export interface WorkerShare {
  binshipLambdaSlots: number;
}

/** The slots this thread serves when it is one of our workers, else undefined. */
export function workerShare(): number | undefined {
  if (isMainThread) return undefined;
  const share = (workerData as Partial<WorkerShare> | undefined)?.binshipLambdaSlots;
  return typeof share === "number" ? share : undefined;
}

/** The worker count from AWS_LAMBDA_NODEJS_WORKER_COUNT (default: the vCPUs), or an error message. */
export function workerCount(value: string | undefined): number | string {
  if (value === undefined || value === "") return availableParallelism();
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) return `AWS_LAMBDA_NODEJS_WORKER_COUNT must be a whole number of at least 1, got "${value}"`;
  return n;
}

/** The script a worker can run: the bundle Node was started with; none inside a single executable. */
export function mainScript(): string | undefined {
  return isSea() ? undefined : process.argv[1];
}

/** Splits `slots` over `count` workers (never more workers than slots) and starts them. */
export function startWorkers(script: string, slots: number, count: number): void {
  const workers = Math.min(count, slots);
  let alive = workers;
  for (let i = 0; i < workers; i++) {
    const share = Math.floor(slots / workers) + (i < slots % workers ? 1 : 0);
    const worker = new Worker(script, { argv: process.argv.slice(2), workerData: { binshipLambdaSlots: share } satisfies WorkerShare, stdout: false, stderr: false });
    worker.on("error", () => {}); // its own handlers reported it; 'exit' follows
    worker.on("exit", (code) => {
      alive--;
      if (alive > 0) console.error(`binship: Lambda worker ${i + 1} of ${workers} ended (exit code ${code}); the other workers go on`);
      else process.exit(code || 1);
    });
  }
}
