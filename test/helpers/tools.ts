// Skips are allowed only for a missing system tool, and say why. In CI
// (BINSHIP_REQUIRE_ALL=1) a missing tool fails the test instead of skipping it.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export function hasTool(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns true when every tool is present. When one is missing: throws under
 * BINSHIP_REQUIRE_ALL=1, otherwise prints why and returns false (use with describe.runIf / it.runIf).
 */
export function requireTools(...names: string[]): boolean {
  const missing = names.filter((n) => !hasTool(n));
  if (missing.length === 0) return true;
  const why = `missing system tool(s): ${missing.join(", ")} (see .ci/run for the Debian packages)`;
  if (process.env.BINSHIP_REQUIRE_ALL === "1") throw new Error(`BINSHIP_REQUIRE_ALL=1 and ${why}`);
  console.warn(`skipping: ${why}`);
  return false;
}

/** Same as requireTools, for files (e.g. the arm64 library root /usr/aarch64-linux-gnu). */
export function requirePaths(...paths: string[]): boolean {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length === 0) return true;
  const why = `missing path(s): ${missing.join(", ")} (see .ci/run for the Debian packages)`;
  if (process.env.BINSHIP_REQUIRE_ALL === "1") throw new Error(`BINSHIP_REQUIRE_ALL=1 and ${why}`);
  console.warn(`skipping: ${why}`);
  return false;
}
