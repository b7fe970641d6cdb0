// The cached registry version list (src/node-dist/metadata.ts) as a test edits it: sealed again
// after the change, as binship would have written it, so the edit is not taken for corruption.

import { createHash } from "node:crypto";

/** The list's JSON with `change` applied and its seal recomputed. */
export function resealed(text: string, change: Record<string, unknown>): string {
  const { seal: _, ...rest } = JSON.parse(text) as Record<string, unknown>;
  const list = { ...rest, ...change };
  return JSON.stringify({ ...list, seal: createHash("sha256").update(JSON.stringify(list)).digest("hex") });
}
