// What a Lambda layout is: which zips it writes and which files go into each, from finished
// inputs, and what the binary it ships must satisfy on the runtime.

import type { Arch, LambdaRuntime } from "../../../config.js";
import type { Finding, Shipped } from "../../target.js";
import type { AppBundle, AppExecutable, AppNode, Layout } from "../../types.js";
import type { ZipEntry } from "../../zip.js";
import type { SysrootLibraries } from "../sysroot.js";

export interface LambdaLayoutInput {
  executable?: AppExecutable; // the executable for `arch` (layouts that need "executable")
  bundle?: AppBundle; // the bundle (layouts that need "node-and-bundle")
  node?: AppNode; // the official Node binary for `arch` (layouts that need "node-and-bundle")
  libraries?: SysrootLibraries; // lib/: loader + libraries (provided.al2), or what the runtime lacks
  arch: Arch;
  runtime: LambdaRuntime;
}

/** One zip a layout writes. */
export interface LambdaZipPlan {
  role: "function" | "layer"; // the function's code (always one), or a layer Lambda mounts at /opt
  entries: ZipEntry[];
  /** A layer is named by its content: the file name from the zip's sha256 (the function zip takes --outfile). */
  fileName?: (sha256: string) => string;
}

export interface LambdaLayout extends Layout {
  zips(input: LambdaLayoutInput): LambdaZipPlan[];
  /** The shipped binary against the runtime and what the zips bring in lib/; errors stop the pack before a byte is written. */
  check(input: LambdaLayoutInput, shipped?: Shipped): Finding[];
}
