// provided.al2023 is built from the AL2023 minimal image, which is believed to hold libstdc++ and
// libgcc_s (official Node binaries need both); no public package list confirms it. So the zip
// carries both in lib/ as a fallback: Lambda's LD_LIBRARY_PATH searches the system directories
// first and $LAMBDA_TASK_ROOT/lib after them ("Defined runtime environment variables",
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html), so the runtime's own
// copies win when they exist and ours load only when they do not.
//
// The copies are Debian 11's GCC 10 runtime (fallback-libs/, refreshed by
// scripts/fetch-fallback-libs.sh): they need at most GLIBC_2.18 and provide GLIBCXX_3.4.28, and
// they are the same bytes on every build machine, so the zip stays reproducible. A build host's
// own libstdc++ would not do: Debian 12's needs GLIBC_2.36, more than AL2023's 2.34.

import { join } from "node:path";
import type { Arch } from "../../config.js";
import { BinshipError } from "../../errors.js";
import { inspectFile, type ElfReport } from "../../inspect/index.js";
import { packageRoot } from "../../paths.js";
import { compareVersions } from "../../util/versions.js";
import type { BundledLibrary } from "./sysroot.js";

export const fallbackNames = ["libgcc_s.so.1", "libstdc++.so.6"] as const;

export const fallbackDir = (arch: Arch): string => join(packageRoot(), "fallback-libs", `linux-${arch}`);

export interface FallbackLibrary extends BundledLibrary {
  report: ElfReport;
}

/** The fallback pair for `arch`, each checked to load with the runtime's `glibc` ("2.34"). */
export async function fallbackLibraries(arch: Arch, glibc: string, dir = fallbackDir(arch)): Promise<FallbackLibrary[]> {
  const out: FallbackLibrary[] = [];
  for (const name of fallbackNames) {
    const path = join(dir, name);
    const report = await inspectFile(path).catch((err: unknown) => {
      throw new BinshipError("TOOL_MISSING", `the fallback ${name} for ${arch} is missing from ${dir}`, {
        cause: err,
        hint: "Reinstall binship, or pack with --no-fallback-libraries if your runtime has it.",
      });
    });
    if (report.arch !== arch) {
      throw new BinshipError("ARTIFACT_CHECK_FAILED", `${path} is built for ${report.machine}, not ${arch}`, { hint: "Reinstall binship (fallback-libs/ is damaged)." });
    }
    if (report.glibc && compareVersions(report.glibc, glibc) > 0) {
      throw new BinshipError("ARTIFACT_CHECK_FAILED", `${path} needs GLIBC_${report.glibc}, more than the runtime's glibc ${glibc}: shipped, it could never load`, {
        hint: "Refresh fallback-libs/ from a distribution with glibc <= 2.34 (scripts/fetch-fallback-libs.sh), or pack with --no-fallback-libraries.",
      });
    }
    out.push({ name, path, report });
  }
  return out;
}
