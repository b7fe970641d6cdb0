// An interrupted command must not leave a temporary artifact behind for make to trust or for
// the disk to keep, nor a child process that goes on writing. Every temporary file or directory
// binship creates is registered here when it is named (`removeOnInterrupt`, also done by
// `tempPathBeside` and `makeScratch`), and every long-running child when it is spawned
// (`endOnInterrupt`). While a command runs inside `withInterruptCleanup`, SIGINT/SIGTERM/SIGHUP
// end those children (their whole process group), wait briefly for them to die, remove every
// registered path, and let the process die of the same signal, as make and shells expect of an
// interrupted child. Outputs the command had already replaced when the signal came are removed
// too, as make deletes the target of an interrupted recipe: a command either completes, or
// leaves no output of its own that make would take as up to date. Leftovers of runs killed
// outright (SIGKILL, power loss) carry the pid of their run in their name, and the next run
// removes them (util/stale.ts).
//
// The registry is process-wide on purpose: the paths are born deep inside stages (a download
// into the cache, a strip, pkg's output) that should not have to thread a handle through.

import { lstatSync, readFileSync, rmSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import { noteOutputs } from "./disk-full.js";

export type OnTemp = (path: string | undefined) => void;

export interface Cleanup {
  onTemp: OnTemp; // for stages: the one path being written now, or undefined once it is gone
  track: (path: string) => () => void; // for flows: removed on interrupt until the returned function is called
}

const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
const paths = new Set<string>();
const children = new Set<ChildProcess>();

/** Registers a temporary path (file or directory) to remove on interrupt; call the result once it is gone or kept. */
export function removeOnInterrupt(path: string): () => void {
  paths.add(path);
  return () => void paths.delete(path);
}

/**
 * Registers a child to end on interrupt. Spawn it with `detached: true` (its own process group),
 * so its own children (pkg's blob generator) end with it; a terminal's Ctrl-C then reaches only
 * binship, which ends the group itself.
 */
export function endOnInterrupt(child: ChildProcess): () => void {
  children.add(child);
  const release = () => void children.delete(child);
  child.once("exit", release);
  return release;
}

/** True while `pid` is a live process (a zombie counts as dead: it writes nothing any more). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function endChildren(): void {
  const pids = [...children].map((c) => c.pid).filter((p): p is number => p !== undefined);
  for (const pid of pids) {
    try {
      process.kill(-pid, "SIGKILL"); // the group: pkg and whatever it started
    } catch {
      try {
        process.kill(pid, "SIGKILL"); // not a group leader (spawned without detached)
      } catch {
        // already gone
      }
    }
  }
  // Files are removed only once nothing can recreate them; a killed process dies within
  // milliseconds, the deadline only guards against a stuck one.
  const deadline = Date.now() + 2000;
  while (pids.some(running) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
}

/** Ends registered children and removes registered paths, now. */
export function cleanUpNow(): void {
  endChildren();
  for (const path of paths) {
    try {
      rmSync(path, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // best effort: the process is about to die of the signal
    }
  }
  paths.clear();
}

/** What a path is now: a replaced file or directory (renamed into place) has another inode. */
function identity(path: string): string {
  try {
    const st = lstatSync(path);
    return `${st.dev}:${st.ino}:${st.mtimeMs}:${st.size}`;
  } catch {
    return "absent";
  }
}

/** Removes each of `paths` that is not what it was (`before`): written by the interrupted command. */
function removeReplaced(paths: readonly string[], before: readonly string[]): void {
  paths.forEach((path, i) => {
    if (identity(path) === before[i]) return;
    try {
      rmSync(path, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // best effort, as above
    }
  });
}

/**
 * Runs `work` with cleanup on interrupt registered, and always unregisters it. `outputs`: the
 * command's outputs (absolute paths; never an input, util/outputs.ts checks that), each removed
 * on interrupt if the command had replaced it by then.
 */
export async function withInterruptCleanup<T>(work: (cleanup: Cleanup) => Promise<T>, outputs: readonly string[] = []): Promise<T> {
  let releaseCurrent = () => {};
  const before = outputs.map(identity);
  noteOutputs(outputs);
  const handler = (signal: NodeJS.Signals) => {
    cleanUpNow();
    removeReplaced(outputs, before);
    dispose();
    process.kill(process.pid, signal);
  };
  const dispose = () => signals.forEach((s) => process.off(s, handler));
  signals.forEach((s) => process.on(s, handler));
  try {
    return await work({
      onTemp: (path) => {
        releaseCurrent();
        releaseCurrent = path ? removeOnInterrupt(path) : () => {};
      },
      track: removeOnInterrupt,
    });
  } finally {
    dispose();
  }
}

/** For library callers that need no cleanup beyond the process-wide registry. */
export const noCleanup: Cleanup = { onTemp: () => {}, track: removeOnInterrupt };
