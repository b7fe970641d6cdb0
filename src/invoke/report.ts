// Lambda's platform log lines for each invocation, in its format ("Lambda function logging",
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-logs.html): START before the event,
// END and REPORT after it, Init Duration on the first invocation of an execution environment.

import { readFileSync } from "node:fs";
import type { InvocationReport, InvokeResult } from "./emulator/index.js";

/**
 * Peak resident set (VmHWM) in KiB of a live process and the processes it started (Lambda
 * Managed Instances workers are processes of the function's own: Lambda counts the whole
 * environment), or undefined once it is gone (or not Linux). For several processes it is the sum
 * of each one's peak, which can only overstate the environment's peak.
 */
export function peakRssKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  const own = hwmKb(pid);
  if (own === undefined) return undefined;
  return childPids(pid).reduce((sum, child) => sum + (peakRssKb(child) ?? 0), own);
}

function hwmKb(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The children of a process's main thread (its workers are started from it). */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "latin1").split(" ").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const twoDecimals = (ms: number) => Math.round(ms * 100) / 100;

export function invocationReport(durationMs: number, memorySizeMb: number, peakKb: number, initDurationMs?: number): InvocationReport {
  const duration = twoDecimals(durationMs);
  const init = initDurationMs === undefined ? undefined : twoDecimals(initDurationMs);
  return {
    durationMs: duration,
    // Billed in whole milliseconds; provided.* runtimes pay for init on the first invocation.
    billedDurationMs: Math.ceil(duration + (init ?? 0)),
    memorySizeMb,
    maxMemoryUsedMb: Math.ceil(peakKb / 1024),
    ...(init === undefined ? {} : { initDurationMs: init }),
  };
}

export const startLine = (requestId: string, version: string) => `START RequestId: ${requestId} Version: ${version}\n`;
export const endLine = (requestId: string) => `END RequestId: ${requestId}\n`;

export function reportLine(result: InvokeResult, r: InvocationReport): string {
  let line = `REPORT RequestId: ${result.requestId}\tDuration: ${r.durationMs.toFixed(2)} ms\tBilled Duration: ${r.billedDurationMs} ms\tMemory Size: ${r.memorySizeMb} MB\tMax Memory Used: ${r.maxMemoryUsedMb} MB`;
  if (r.initDurationMs !== undefined) line += `\tInit Duration: ${r.initDurationMs.toFixed(2)} ms`;
  // Lambda ends the line of an invocation that timed out or whose runtime died with its status.
  if (result.status === "timeout") line += "\tStatus: timeout";
  else if (result.status === "exited") line += "\tStatus: error\tError Type: Runtime.ExitError";
  return `${line}\n`;
}
