// How `binship invoke` starts each kind of artifact against the emulator: an ordered table,
// first match wins. A new kind is one launcher file and one entry in `launchers`.

import { access } from "node:fs/promises";
import { BinshipError } from "../../errors.js";
import type { Launcher } from "./types.js";
import { bundleLauncher } from "./bundle.js";
import { executableLauncher } from "./executable.js";
import { zipLauncher } from "./zip.js";

export type { Launch, LaunchExtras, Launcher } from "./types.js";
export { bundleLauncher } from "./bundle.js";
export { elfArch, executableLauncher, type ElfArch } from "./executable.js";
export { emulation } from "../../util/emulation.js";
export { zipLauncher } from "./zip.js";

/** The table, in order. */
export const launchers: Launcher[] = [zipLauncher(), executableLauncher(), bundleLauncher];

export async function pickLauncher(path: string, table: Launcher[] = launchers): Promise<Launcher> {
  const exists = await access(path).then(() => true, () => false);
  if (!exists) {
    throw new BinshipError("USAGE", `artifact not found: ${path}`, { hint: "Build it first (binship bundle / build / pack lambda) and pass its path." });
  }
  for (const launcher of table) if (await launcher.matches(path)) return launcher;
  throw new BinshipError("USAGE", `binship invoke cannot run ${path}`, {
    hint: `It runs ${table.map((l) => l.accepts).join("; ")}.`,
  });
}
