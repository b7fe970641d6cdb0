// A bundle (.cjs/.js/.mjs) runs under the Node that runs binship.

import { dirname, extname } from "node:path";
import type { Launcher } from "./types.js";

const noCleanup = async () => {};

export const bundleLauncher: Launcher = {
  name: "bundle",
  accepts: "a bundle (.cjs, .js or .mjs, run with node)",
  async matches(path) {
    return [".cjs", ".js", ".mjs"].includes(extname(path));
  },
  async launch(path, env) {
    return { command: process.execPath, args: [path], env, cwd: dirname(path), cleanup: noCleanup };
  },
};
