// The SEA preparation blob, generated the way pkg generates it (pkg 6.23 lib-es5/sea.js: the
// same sea-config keys and defaults, the generator started in the main script's directory), so
// a blob re-injected into an earlier executable (reinject.ts) gives the bytes pkg would write.

import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { BinshipError } from "../errors.js";
import { logTail, recordedMainPath, runGrouped } from "./pkg.js";

/** pkg's defaults under the caller's keys; part of the executable cache key (executable/index.ts). */
export const seaDefaults = { disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false };

export interface SeaBlobInput {
  generator: string; // host Node of exactly the target's version
  main: string; // the main script, in a directory of its own
  seaConfig?: Record<string, unknown>; // keys beyond pkg's defaults (mainFormat, assets)
  workDir: string; // scratch: the config and the blob
}

export async function generateSeaBlob(input: SeaBlobInput): Promise<Buffer> {
  const config = join(input.workDir, "sea-config.json");
  const output = join(input.workDir, "sea-prep.blob");
  await writeFile(config, JSON.stringify({ main: recordedMainPath(input.main), output, ...seaDefaults, ...input.seaConfig }));
  const { err, log } = await runGrouped(input.generator, ["--experimental-sea-config", config], { cwd: dirname(input.main), env: { PATH: "/usr/bin:/bin", NO_COLOR: "1" } });
  if (err) {
    throw new BinshipError("EXECUTABLE_FAILED", `generating the SEA blob failed: ${err.message}`, {
      cause: err,
      diagnostics: logTail(log),
      hint: "Run with --verbose for details.",
    });
  }
  return readFile(output);
}
