// What a container layout is: what it needs built, the Dockerfile it uses, the files it puts in
// the build context, and how it checks them against its base.

import type { Diagnostic } from "../../../diagnostic.js";
import type { BuiltApp, Layout } from "../../types.js";
import type { BaseContents } from "../base.js";

/** A file of the app copied into the build context. */
export interface ContextFile {
  path: string; // relative to the context, e.g. "app-arm64"
  source: string; // absolute path of the finished file
  mode: number;
}

export interface ContainerLayout extends Layout {
  dockerfile: string; // template under templates/container/
  /** The app's files in the build context. */
  files(app: BuiltApp): ContextFile[];
  /** Errors keep the directory from being written; the stage throws them as one failure. */
  check(app: BuiltApp, base: { ref: string; contents?: BaseContents }): Diagnostic[];
}
