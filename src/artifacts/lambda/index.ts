// Stage: finished inputs (an executable, or the bundle and a Node binary) + the libraries chosen
// for lib/ -> the Lambda zips of the chosen layout (the function zip, and for the layer layout a
// runtime layer named by its content). Every check runs before a byte of any zip is written; a
// zip whose inputs did not change is left alone.

import { rename, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Arch, LambdaRuntime } from "../../config.js";
import type { Diagnostic } from "../../diagnostic.js";
import type { AppBundle, AppExecutable, AppNode } from "../types.js";
import { checkAssetNames, type Asset } from "../../bundle/assets.js";
import { zipEpoch, type ZipEntry, type ZipResult } from "../zip.js";
import { checkBootstrap, checkUnzippedSize, checkZippedSize, enforce } from "./checks.js";
import { lambdaLayouts, type LambdaLayoutName, type LambdaZipPlan } from "./layouts/index.js";
import { pruneLayer } from "./layer-prune.js";
import { reusableZip, saveStamp, stampedPath, stampNames, zipKey } from "./reuse.js";
import type { SysrootLibraries } from "./sysroot.js";
import { writeLambdaZip } from "./write.js";

export { resolvePackLambdaOptions, type PackLambdaOptions } from "./options.js";
export { runtimeSpecs, lambdaLimits } from "./runtimes.js";
export { lambdaLayouts, type LambdaLayoutName } from "./layouts/index.js";

export interface LambdaPackageInput {
  outfile: string; // absolute path of the function zip; a layer goes beside it, named by its content
  layout: LambdaLayoutName; // which zips and files (default "executable")
  executable?: AppExecutable; // the executable to ship, inspected (layout "executable")
  bundle?: AppBundle; // the bundle (layout "layer")
  node?: AppNode; // the official Node binary, inspected (layout "layer")
  arch: Arch; // target architecture
  runtime: LambdaRuntime; // target OS-only runtime
  libraries?: SysrootLibraries; // lib/: loader + libraries (provided.al2), or what provided.al2023 lacks
  mtime: Date; // time stored for every entry of the function zip (a layer always stores the 1980 epoch, so services share it)
  level: number; // deflate level 0-9
  onTemp?: (path: string | undefined) => void; // the temporary zip, for cleanup on interrupt
  stampDir?: string; // remembers what went into each zip, so identical inputs skip the deflate; a layer is written here first
  assets?: Asset[]; // runtime files, in the function zip at their names beside bootstrap (the zip root is the task root, Lambda's working directory)
  segmentCache?: string; // directory of compressed segments reused across packs (write.ts); absent: none
}

export interface LayerResult extends ZipResult {
  name: string; // the content name for publish-layer-version (letters, digits, - and _ only)
  removed?: string; // the layer this pack used before, removed: no pack in the directory names it any more
}

export interface LambdaPackageResult extends ZipResult {
  warnings: Diagnostic[]; // checks that passed with a warning (e.g. over 50 MB zipped)
  libraries: string[]; // sonames shipped in lib/, empty when there is no lib/
  layer?: LayerResult; // the runtime layer (layout "layer")
}

async function sizeOf(entry: ZipEntry): Promise<number> {
  return typeof entry.source === "string" ? (await stat(entry.source)).size : entry.source.length;
}

const knownHashes = (input: LambdaPackageInput) =>
  new Map([input.executable?.report, input.node?.report].filter((r) => r !== undefined).map((r) => [r.path, r.sha256] as [string, string]));

interface Written {
  zip: ZipResult;
  warnings: Diagnostic[]; // cache entries found corrupt on the way
  removed?: string; // a layer zip no longer used (layer-prune.ts)
}

/** One zip with reuse: the stamp says which inputs made the file on disk. */
async function writePlan(input: LambdaPackageInput, plan: LambdaZipPlan): Promise<Written> {
  const layer = plan.role === "layer";
  const settings = { mtime: layer ? zipEpoch : input.mtime, level: input.level };
  const stampFile = input.stampDir ? join(input.stampDir, stampNames[plan.role]) : undefined;
  const key = stampFile ? await zipKey(plan.entries, knownHashes(input), settings) : undefined;
  const reused = stampFile && key ? await reusableZip(stampFile, key, layer ? undefined : input.outfile) : undefined;
  if (reused) return { zip: reused, warnings: [] };
  // A layer's name comes from its bytes: written in the stamp directory, then moved beside the function zip.
  const target = layer ? join(input.stampDir ?? dirname(input.outfile), "layer.zip") : input.outfile;
  const { warnings, ...written } = await writeLambdaZip({ outfile: target, entries: plan.entries, ...settings, onTemp: input.onTemp, segmentCache: input.segmentCache });
  let zip: ZipResult = written;
  if (layer) {
    const named = join(dirname(input.outfile), plan.fileName!(zip.sha256));
    const existing = await stat(named).catch(() => undefined);
    await rename(target, named);
    zip = { ...zip, path: named, changed: existing?.size !== zip.bytes };
  }
  const previous = layer && stampFile ? await stampedPath(stampFile) : undefined;
  if (stampFile && key) await saveStamp(stampFile, key, zip);
  if (layer && stampFile && (await pruneLayer(previous, zip.path))) return { zip, warnings, removed: previous };
  return { zip, warnings };
}

const layerName = (file: string) => file.replace(/\.zip$/, "").replace(/[^A-Za-z0-9_-]/g, "_");

export async function packLambdaZip(input: LambdaPackageInput): Promise<LambdaPackageResult> {
  const layout = lambdaLayouts[input.layout];
  const plans = layout.zips(input);
  const fn = plans.find((p) => p.role === "function")!;
  const assets = input.assets ?? [];
  if (assets.length > 0) {
    checkAssetNames(assets, fn.entries.map((e) => ({ name: e.name, what: e.name === "bootstrap" ? "the bootstrap" : `binship's ${e.name}` })), "the Lambda zip");
    fn.entries.push(...assets.map((a) => ({ name: a.name, source: a.source, mode: a.mode })));
  }
  // Lambda's 250 MB counts the function and all its layers unzipped.
  const unzipped = (await Promise.all(plans.flatMap((p) => p.entries).map(sizeOf))).reduce((a, b) => a + b, 0);
  const libraries = input.libraries?.libraries.map((l) => l.name) ?? [];
  const shipped = libraries.length ? { glibc: input.libraries?.glibc, glibcxx: input.libraries?.glibcxx, libraries } : undefined;
  const warnings = enforce([...layout.check(input, shipped), ...checkBootstrap(fn.entries), ...checkUnzippedSize(unzipped)], input.outfile);
  const results: Written[] = [];
  for (const plan of plans) results.push(await writePlan(input, plan));
  const zip = results[plans.indexOf(fn)]!.zip;
  const layerPlan = plans.findIndex((p) => p.role === "layer");
  const layerZip = layerPlan >= 0 ? results[layerPlan]!.zip : undefined;
  const removed = layerPlan >= 0 ? results[layerPlan]!.removed : undefined;
  const sizeWarnings = [zip, ...(layerZip ? [layerZip] : [])].flatMap((z) => enforce(checkZippedSize(z.bytes), z.path));
  return {
    ...zip,
    warnings: [...warnings, ...results.flatMap((r) => r.warnings), ...sizeWarnings],
    libraries,
    layer: layerZip && { ...layerZip, name: layerName(layerZip.path.slice(dirname(layerZip.path).length + 1)), ...(removed ? { removed } : {}) },
  };
}
