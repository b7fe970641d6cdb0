// What a Lambda layout is: which files go into the zip, from finished inputs.

import type { Arch } from "../../../config.js";
import type { AppExecutable, Layout } from "../../types.js";
import type { ZipEntry } from "../../zip.js";
import type { SysrootLibraries } from "../sysroot.js";

export interface LambdaLayoutInput {
  executable: AppExecutable; // the checked executable for `arch`
  libraries?: SysrootLibraries; // lib/: loader + libraries (provided.al2), or what provided.al2023 lacks
  arch: Arch;
}

export interface LambdaLayout extends Layout {
  entries(input: LambdaLayoutInput): ZipEntry[];
}
