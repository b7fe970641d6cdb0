// What every artifact kind is given and how its layouts are described. The pipeline builds what
// a layout `needs` (an executable per arch, or the bundle) and hands the finished files to the
// artifact stage, which never builds anything itself (ko's publisher takes a build.Result).

import type { Arch } from "../config.js";
import type { Diagnostic } from "../diagnostic.js";
import type { BuildInfo } from "../inspect/build-info.js";
import type { ElfReport } from "../inspect/index.js";
import type { Asset } from "../bundle/assets.js";

/** What a layout needs built before it can pack: an executable per arch, the bundle, or the bundle plus the official Node binary for the arch (a Lambda layer). */
export type AppNeed = "executable" | "bundle" | "node-and-bundle";

/** A finished single executable. */
export interface AppExecutable {
  arch: Arch;
  report: ElfReport; // inspected; report.path is the file
}

/** A finished bundle (one file with the runtime: CommonJS, app.cjs, or an ES module, app.mjs). */
export interface AppBundle {
  path: string; // its name in the artifact is its own base name
  bytes: number;
  sha256: string;
}

/** The official Node binary for one arch (stripped like the executable's), shipped beside the bundle. */
export interface AppNode {
  arch: Arch;
  version: string; // exact, "24.21.0"
  report: ElfReport; // inspected; report.path is the file
  buildInfo?: BuildInfo; // the container node layout: what the executable would have recorded (Node as published, the bundle's packages), for the image's SBOM
}

/** Everything the pipeline built for one artifact. */
export interface BuiltApp {
  executables: AppExecutable[]; // one per arch the layout needs, sorted by arch; empty for a bundle layout
  bundle?: AppBundle; // for layouts that need the bundle
  node?: AppNode; // for layouts that ship Node beside the bundle
  nodes?: AppNode[]; // the container node layout: one Node binary per arch, sorted by arch
  assets?: Asset[]; // runtime files, beside the app at their names (bundle/assets.ts), sorted
  compileCache?: AppCompileCache; // the container node layout: Node's compile cache for the bundle, made by each arch's Node
}

/** Node's module compile cache for the bundle (executable/compile-cache.ts): files under `root`, one directory per arch. */
export interface AppCompileCache {
  root: string; // absolute; the files' paths are relative to it
  files: string[]; // "compile-cache/v24.22.3-x64-964aae3f-65532/c4e5f35d", sorted
}

/** One way to lay out an artifact kind: one file each, one line in its kind's table. */
export interface Layout {
  name: string; // the --layout value
  needs: AppNeed;
  summary: string; // one line for docs and --help
}

/** Every artifact stage's result carries its warnings, printed by the command. */
export interface ArtifactResult {
  warnings: Diagnostic[];
}
