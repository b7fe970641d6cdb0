// An interrupted command must not leave a temporary artifact behind for make to trust or for
// the disk to keep. Stages report the temporary file or directory they are writing through an
// `onTemp` callback, and flows register their scratch directories with `track`; on
// SIGINT/SIGTERM/SIGHUP all of them are removed and the process dies of the same signal, as make
// and shells expect of an interrupted child.

import { rmSync } from "node:fs";

export type OnTemp = (path: string | undefined) => void;

export interface Cleanup {
  onTemp: OnTemp; // for stages: the one path being written now, or undefined once it is gone
  track: (path: string) => () => void; // for flows: removed on interrupt until the returned function is called
}

const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Runs `work` with cleanup on interrupt registered, and always unregisters it. */
export async function withInterruptCleanup<T>(work: (cleanup: Cleanup) => Promise<T>): Promise<T> {
  let current: string | undefined;
  const tracked = new Set<string>();
  const handler = (signal: NodeJS.Signals) => {
    for (const path of [current, ...tracked]) if (path) rmSync(path, { recursive: true, force: true });
    dispose();
    process.kill(process.pid, signal);
  };
  const dispose = () => signals.forEach((s) => process.off(s, handler));
  signals.forEach((s) => process.on(s, handler));
  try {
    return await work({
      onTemp: (path) => (current = path),
      track: (path) => (tracked.add(path), () => tracked.delete(path)),
    });
  } finally {
    dispose();
  }
}

/** For library callers that need no cleanup. */
export const noCleanup: Cleanup = { onTemp: () => {}, track: () => () => {} };
