// Where binship's own files are, whether it runs from lib/ (built) or src/ (tests).

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "binship") return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error("binship: cannot find its own package.json");
    dir = up;
  }
}

export const templatesDir = (): string => join(packageRoot(), "templates");

export function binshipVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
}
