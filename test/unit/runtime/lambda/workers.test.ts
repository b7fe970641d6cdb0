import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { ownCommand, splitSlots, workerCount, workerShare } from "../../../../src/runtime/lambda/workers.js";

describe("Lambda workers", () => {
  it("splits the slots over the workers, the first ones taking the remainder, never more workers than slots", () => {
    expect(splitSlots(8, 2)).toEqual([4, 4]);
    expect(splitSlots(5, 2)).toEqual([3, 2]);
    expect(splitSlots(3, 8)).toEqual([1, 1, 1]);
    expect(splitSlots(1, 4)).toEqual([1]);
  });

  it("takes AWS_LAMBDA_NODEJS_WORKER_COUNT, the vCPUs without it, and names the variable when it is wrong", () => {
    expect(workerCount("3")).toBe(3);
    expect(workerCount(undefined)).toBe(availableParallelism());
    expect(workerCount("")).toBe(availableParallelism());
    for (const bad of ["0", "-1", "two", "1.5", "1025"]) expect(workerCount(bad)).toBe(`AWS_LAMBDA_NODEJS_WORKER_COUNT must be a whole number from 1 to 1024, got "${bad}"`);
  });

  it("starts a worker with this process's own command line, the glibc loader's included", () => {
    const loader = ["/var/task/lib/ld-linux-x86-64.so.2", "--library-path", "/var/task/lib", "--argv0", "/var/task/app", "/var/task/app", "x"].join("\0") + "\0";
    expect(ownCommand(loader)).toEqual({ file: process.execPath, args: ["--library-path", "/var/task/lib", "--argv0", "/var/task/app", "/var/task/app", "x"], argv0: "/var/task/lib/ld-linux-x86-64.so.2" });
    expect(ownCommand("node\0--enable-source-maps\0/var/task/app.cjs\0")).toEqual({ file: process.execPath, args: ["--enable-source-maps", "/var/task/app.cjs"], argv0: "node" });
  });

  it("reads a worker's share once and removes it, so processes the app starts are not workers", () => {
    const env: NodeJS.ProcessEnv = { BINSHIP_LAMBDA_WORKER: "3" };
    expect(workerShare(env)).toBe(3);
    expect(env.BINSHIP_LAMBDA_WORKER).toBeUndefined();
    expect(workerShare(env)).toBeUndefined();
  });
});
