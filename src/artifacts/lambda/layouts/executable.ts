// The default Lambda layout: the executable is `bootstrap`. With its own loader (provided.al2),
// `bootstrap` is a launcher script, the executable is `app`, and lib/ holds the loader and
// libraries; otherwise lib/ holds only what the runtime lacks.

import type { ZipEntry } from "../../zip.js";
import { appName, launcherScript, libDir } from "../bootstrap.js";
import type { LambdaLayout } from "./types.js";

export const executableLayout: LambdaLayout = {
  name: "executable",
  needs: "executable",
  summary: "one zip: the single executable as bootstrap (plus lib/ when the runtime lacks a library)",
  entries({ executable, libraries, arch }): ZipEntry[] {
    const loader = libraries?.loader?.name;
    const libs = (libraries?.libraries ?? []).map((lib) => ({
      name: `${libDir}/${lib.name}`,
      source: lib.path,
      mode: lib.name === loader ? 0o755 : 0o644, // the loader is exec'd
    }));
    if (!loader) return [{ name: "bootstrap", source: executable.report.path, mode: 0o755 }, ...libs];
    return [
      { name: "bootstrap", source: Buffer.from(launcherScript(arch)), mode: 0o755 },
      { name: appName, source: executable.report.path, mode: 0o755 },
      ...libs,
    ];
  },
};
