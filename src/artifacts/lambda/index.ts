// Stage: a finished executable (+ the libraries chosen for lib/) -> a Lambda deployment zip for
// an OS-only runtime, laid out by the layout table. Every check runs before a byte of the zip is
// written; an unchanged zip is left alone.

import { stat } from "node:fs/promises";
import type { Arch, LambdaRuntime } from "../../config.js";
import type { Diagnostic } from "../../diagnostic.js";
import type { AppExecutable } from "../types.js";
import { writeZip, type ZipEntry, type ZipResult } from "../zip.js";
import { checkBootstrap, checkExecutable, checkSea, checkUnzippedSize, checkZippedSize, enforce } from "./checks.js";
import { lambdaLayouts, type LambdaLayoutName } from "./layouts/index.js";
import { reusableZip, saveStamp, zipKey } from "./reuse.js";
import type { SysrootLibraries } from "./sysroot.js";

export { resolvePackLambdaOptions, type PackLambdaOptions } from "./options.js";
export { runtimeSpecs, lambdaLimits } from "./runtimes.js";
export { lambdaLayouts, type LambdaLayoutName } from "./layouts/index.js";

export interface LambdaPackageInput {
  outfile: string; // absolute path of the zip
  layout: LambdaLayoutName; // which files go in (default "executable")
  executable: AppExecutable; // the executable to ship, inspected
  arch: Arch; // target architecture
  runtime: LambdaRuntime; // target OS-only runtime
  libraries?: SysrootLibraries; // lib/: loader + libraries (provided.al2), or what provided.al2023 lacks
  mtime: Date; // time stored for every entry
  level: number; // deflate level 0-9
  onTemp?: (path: string | undefined) => void; // the temporary zip, for cleanup on interrupt
  stampFile?: string; // remembers what went into the zip, so identical inputs skip the deflate
}

export interface LambdaPackageResult extends ZipResult {
  warnings: Diagnostic[]; // checks that passed with a warning (e.g. over 50 MB zipped)
  libraries: string[]; // sonames shipped in lib/, empty when there is no lib/
}

async function sizeOf(entry: ZipEntry): Promise<number> {
  return typeof entry.source === "string" ? (await stat(entry.source)).size : entry.source.length;
}

export async function packLambdaZip(input: LambdaPackageInput): Promise<LambdaPackageResult> {
  const report = input.executable.report;
  const entries = lambdaLayouts[input.layout].entries(input);
  const unzipped = (await Promise.all(entries.map(sizeOf))).reduce((a, b) => a + b, 0);
  const libraries = input.libraries?.libraries.map((l) => l.name) ?? [];
  const shipped = libraries.length ? { glibc: input.libraries?.glibc, glibcxx: input.libraries?.glibcxx, libraries } : undefined;
  const warnings = enforce(
    [...checkExecutable(report, input, shipped), ...checkSea(report), ...checkBootstrap(entries), ...checkUnzippedSize(unzipped)],
    input.outfile,
  );
  const settings = { mtime: input.mtime, level: input.level };
  const key = input.stampFile ? await zipKey(entries, new Map([[report.path, report.sha256]]), settings) : undefined;
  const reused = input.stampFile && key ? await reusableZip(input.stampFile, key, input.outfile) : undefined;
  const zip = reused ?? (await writeZip({ outfile: input.outfile, entries, ...settings, onTemp: input.onTemp }));
  if (input.stampFile && key && !reused) await saveStamp(input.stampFile, key, zip);
  return { ...zip, warnings: [...warnings, ...enforce(checkZippedSize(zip.bytes), input.outfile)], libraries };
}
