// Stage: an executable -> a Lambda deployment zip for an OS-only runtime. provided.al2023: the
// executable itself is `bootstrap`. provided.al2: `bootstrap` is a launcher script, the executable
// is `app`, and lib/ holds the loader and libraries from the sysroot. Every check runs before a
// byte of the zip is written.

import { stat } from "node:fs/promises";
import type { Arch, LambdaRuntime } from "../../config.js";
import type { ElfReport } from "../../inspect/index.js";
import { writeZip, type ZipEntry, type ZipResult } from "../zip.js";
import { appName, launcherScript, libDir } from "./bootstrap.js";
import { checkArch, checkBootstrap, checkLibraries, checkSea, checkUnzippedSize, checkZippedSize, enforce, type Problem } from "./checks.js";
import { reusableZip, saveStamp, zipKey } from "./reuse.js";
import type { SysrootLibraries } from "./sysroot.js";

export { resolvePackLambdaOptions, type PackLambdaOptions } from "./options.js";
export { runtimeSpecs, lambdaLimits } from "./runtimes.js";

export interface LambdaPackageInput {
  outfile: string; // absolute path of the zip
  executable: string; // the executable to ship
  report: ElfReport; // its inspection (arch, GLIBC needs, libraries)
  arch: Arch; // target architecture
  runtime: LambdaRuntime; // target OS-only runtime
  bundled?: SysrootLibraries; // lib/: loader + libraries (provided.al2), or what provided.al2023 lacks
  mtime: Date; // time stored for every entry
  level: number; // deflate level 0-9
  onTemp?: (path: string | undefined) => void; // the temporary zip, for cleanup on interrupt
  stampFile?: string; // remembers what went into the zip, so identical inputs skip the deflate
}

export interface LambdaPackageResult extends ZipResult {
  warnings: Problem[]; // checks that passed with a warning (e.g. over 50 MB zipped)
  libraries: string[]; // sonames shipped in lib/, empty when there is no lib/
}

function entriesFor(input: LambdaPackageInput): ZipEntry[] {
  const loader = input.bundled?.loader?.name;
  const libs = (input.bundled?.libraries ?? []).map((lib) => ({
    name: `${libDir}/${lib.name}`,
    source: lib.path,
    mode: lib.name === loader ? 0o755 : 0o644, // the loader is exec'd
  }));
  // Without its own loader the executable is bootstrap; lib/ only adds what the runtime lacks.
  if (!loader) return [{ name: "bootstrap", source: input.executable, mode: 0o755 }, ...libs];
  return [
    { name: "bootstrap", source: Buffer.from(launcherScript(input.arch)), mode: 0o755 },
    { name: appName, source: input.executable, mode: 0o755 },
    ...libs,
  ];
}

async function sizeOf(entry: ZipEntry): Promise<number> {
  return typeof entry.source === "string" ? (await stat(entry.source)).size : entry.source.length;
}

export async function packLambdaZip(input: LambdaPackageInput): Promise<LambdaPackageResult> {
  const entries = entriesFor(input);
  const unzipped = (await Promise.all(entries.map(sizeOf))).reduce((a, b) => a + b, 0);
  const bundled = input.bundled?.libraries.length ? { glibc: input.bundled.glibc, names: input.bundled.libraries.map((l) => l.name) } : undefined;
  const archProblems = checkArch(input.report, input);
  const warnings = enforce(
    [
      ...archProblems,
      // A binary of the wrong arch fails every library check too; one message is enough.
      ...(archProblems.length > 0 ? [] : checkLibraries(input.report, input, bundled)),
      ...checkSea(input.report),
      ...checkBootstrap(entries),
      ...checkUnzippedSize(unzipped),
    ],
    input.outfile,
  );
  const settings = { mtime: input.mtime, level: input.level };
  const key = input.stampFile ? await zipKey(entries, new Map([[input.executable, input.report.sha256]]), settings) : undefined;
  const reused = input.stampFile && key ? await reusableZip(input.stampFile, key, input.outfile) : undefined;
  const zip = reused ?? (await writeZip({ outfile: input.outfile, entries, ...settings, onTemp: input.onTemp }));
  if (input.stampFile && key && !reused) await saveStamp(input.stampFile, key, zip);
  return { ...zip, warnings: [...warnings, ...checkZippedSize(zip.bytes)], libraries: bundled?.names ?? [] };
}
