// Temporary files and directories carry the pid of the run that made them
// (`.<name>.<pid>.<hex>.tmp` beside an output, `binship-<kind>-<pid>-XXXXXX` in $TMPDIR,
// `.<what>.<pid>.<hex>.tmp` in the cache). A run that was killed outright (SIGKILL, power
// loss) could not remove them; the next run does: an entry is stale when its process is gone,
// or when it is older than a day (its pid may have been reused since).

import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { removeOnInterrupt } from "./interrupt.js";

const dayMs = 86_400_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // another user's live process
  }
}

/**
 * Removes entries of `dir` whose name matches `pattern` (group 1: the pid) and whose run is over.
 * Entries of other users that cannot be removed are left alone.
 */
export async function removeStale(dir: string, pattern: RegExp): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    const path = join(dir, name);
    const old = await lstat(path).then((st) => now - st.mtimeMs > dayMs, () => false);
    if (old || !alive(pid)) await rm(path, { recursive: true, force: true }).catch(() => {});
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Every temporary of earlier runs in `dir`, whatever it was for (`.<name>.<pid>.<hex>.tmp`):
 * for binship's own directories (the cache), where no other program names files that way.
 */
export function removeStaleTemps(dir: string): Promise<void> {
  return removeStale(dir, /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/);
}

/** Temporary files of earlier runs beside `target` (named by tempPathBeside). */
export function removeStaleBeside(dir: string, name: string): Promise<void> {
  return removeStale(dir, new RegExp(`^\\.${escape(name)}\\.(\\d+)\\.[0-9a-f]+\\.tmp$`));
}

export interface Scratch {
  path: string;
  dispose: () => Promise<void>; // removes it (and unregisters it from interrupt cleanup)
}

/**
 * A private scratch directory `binship-<kind>-<pid>-XXXXXX` under `tmpDir` (mode 0700, so other
 * users of a shared /tmp neither read nor block it), removed on interrupt; stale ones of
 * earlier runs are removed first.
 */
export async function makeScratch(tmpDir: string, kind: string): Promise<Scratch> {
  await removeStale(tmpDir, new RegExp(`^binship-${escape(kind)}-(\\d+)-[A-Za-z0-9]{6}$`));
  // Named and registered before it exists (mkdtemp names it only once it is made): a signal
  // between the two would leave a directory no one removes.
  let path: string;
  let release: () => void;
  for (;;) {
    path = join(tmpDir, `binship-${kind}-${process.pid}-${randomBytes(6).toString("base64url").replace(/[-_]/g, "x").slice(0, 6)}`);
    release = removeOnInterrupt(path);
    try {
      await mkdir(path, { mode: 0o700 });
      break;
    } catch (err) {
      release();
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return {
    path,
    dispose: async () => {
      await rm(path, { recursive: true, force: true });
      release();
    },
  };
}
