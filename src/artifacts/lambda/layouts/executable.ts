// The default Lambda layout: the executable is `bootstrap`. With its own loader (provided.al2),
// `bootstrap` is a launcher script, the executable is `app`, and lib/ holds the loader and
// libraries; otherwise lib/ holds only what the runtime lacks.

import type { ZipEntry } from "../../zip.js";
import { appName, launcherScript, libDir } from "../bootstrap.js";
import { checkExecutable, checkSea } from "../checks.js";
import type { SysrootLibraries } from "../sysroot.js";
import type { LambdaLayout } from "./types.js";

/** lib/<soname> entries; the loader is exec'd, so it keeps the x bit. */
export function libraryEntries(libraries: SysrootLibraries | undefined): ZipEntry[] {
  const loader = libraries?.loader?.name;
  return (libraries?.libraries ?? []).map((lib) => ({ name: `${libDir}/${lib.name}`, source: lib.path, mode: lib.name === loader ? 0o755 : 0o644 }));
}

export const executableLayout: LambdaLayout = {
  name: "executable",
  needs: "executable",
  summary: "one zip: the single executable as bootstrap (plus lib/ when the runtime lacks a library)",
  zips({ executable, libraries, arch }) {
    if (!executable) throw new Error("the executable layout needs an executable (a bug in binship)");
    const libs = libraryEntries(libraries);
    const entries: ZipEntry[] = !libraries?.loader
      ? [{ name: "bootstrap", source: executable.report.path, mode: 0o755 }, ...libs]
      : [{ name: "bootstrap", source: Buffer.from(launcherScript(arch)), mode: 0o755 }, { name: appName, source: executable.report.path, mode: 0o755 }, ...libs];
    return [{ role: "function", entries }];
  },
  check(input, shipped) {
    const report = input.executable!.report;
    return [...checkExecutable(report, input, shipped), ...checkSea(report)];
  },
};
