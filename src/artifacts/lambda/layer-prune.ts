// A layer zip is named by its content, so a pack on a new Node version (or new fallback
// libraries) writes a new file beside the function zip and the old one would pile up. The old
// one is removed once no pack in that directory names it any more: function zips packed into the
// same directory share layers, and each records its layer in its work directory's stamp
// (`.<zip>.binship/layer-stamp.json`).

import { readdir, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { stampedPath, stampNames } from "./reuse.js";

/** Removes `previous` when it is a layer zip beside `current` that no stamp in the directory names; returns whether it did. */
export async function pruneLayer(previous: string | undefined, current: string): Promise<boolean> {
  if (!previous || previous === current || dirname(previous) !== dirname(current) || !/^node-.*\.zip$/.test(basename(previous))) return false;
  const dir = dirname(current);
  const workDirs = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(".") && n.endsWith(".binship"));
  for (const w of workDirs) if ((await stampedPath(join(dir, w, stampNames.layer))) === previous) return false;
  await rm(previous, { force: true });
  return true;
}
