// Test helper for runs against the emulator (src/invoke/emulator/).

import type { Emulator } from "../../src/invoke/emulator/index.js";

/**
 * Resolves once `slots` invocation/next requests are parked, or the process has exited: with
 * several Lambda workers one may ask for events before the others, so a test that counts overlap
 * sends its events once every slot is waiting.
 */
export async function slotsParked(emulator: Emulator, slots: number, exited: Promise<unknown>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  while (!gone && emulator.parkedNexts() < slots) await new Promise((resolve) => setTimeout(resolve, 20));
}
