// Stage 1: the service and the runtime, bundled by esbuild into one file: CommonJS, or an ES
// module when the code needs one (format.ts). Deterministic, written atomically, unchanged files
// keep their mtime.

import { moduleBuildsPlugin } from "./module-builds.js";
import { build, type Message, type Metafile, type Plugin } from "esbuild";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { newestKnownNodeMajor } from "../config.js";
import { diagnostic } from "../diagnostic.js";
import { BinshipError, type Diagnostic } from "../errors.js";
import { writeFileAtomic } from "../util/atomic.js";
import { formatDepfile } from "../util/depfile.js";
import { writeFailure } from "../util/io-error.js";
import { checkOutputs, type Output } from "../util/outputs.js";
import { bundleFailure, toDiagnostic } from "./diagnostics.js";
import { embedSourceMap } from "./embed-map.js";
import { forcedCjsError, formatExtension, formatSettings, needsEsm, withoutUnusedBanner, type BundleFormat } from "./format.js";
import { decoratorMetadataPlugin, type DecoratorState } from "./decorators.js";
import { isBuiltin } from "node:module";
import { withModuleTracking } from "./module-tracking.js";
import { lazyBuiltinsPlugin, lazyHelper, lazyModules, snapshotHelpers, unserializableBuiltins, withLazyBuiltins } from "./lazy-builtins.js";
import { dlopenCalls, dlopenError, nativeAddonPlugin } from "./native.js";
import { collectMissing, missingNamespace, missingRequirePlugin, missingWarning, type MissingRequires } from "./optional.js";
import { bundleContents, projectRoot, type BundleContents } from "./packages.js";
import type { BundleOptions } from "./options.js";
import { runtimeFile, runtimeSourcePlugin, runtimeSpecifier } from "./runtime-source.js";
import { shimNamespace, shimPath, shimSource } from "./shim.js";
import { checkPlacement, collectAssets, copiesManifest, placeAssets, type Asset, type AssetRequest } from "./assets.js";
import { autoloadFiles, autoloadPlugin } from "./autoload.js";
import { findFileRefs, type FileRef } from "./file-refs.js";
import { knownAssetRequests } from "./known-assets.js";
import { relocatePlugin } from "./relocate.js";
import { shownPath } from "../util/shown-path.js";

export { resolveBundleOptions, type BundleOptions } from "./options.js";
export type { BundleContents, BundledPackage } from "./packages.js";
export type { Asset } from "./assets.js";

export interface BundleResult {
  outfile: string; // options.outfile, or with .mjs for an ES module when the name was a default
  format: BundleFormat; // what was built: the forced format, or the one the code needed
  bytes: number;
  sha256: string;
  changed: boolean; // false when the file on disk already held these bytes
  inputs: string[]; // absolute paths of every file esbuild read (the depfile's prerequisites)
  lockfile?: string; // the lockfile whose versions and integrity `contents` records
  warnings: Diagnostic[];
  metafile: Metafile;
  contents: BundleContents; // the bundle's bytes by npm package, source file and runtime
  sourceMap?: string; // a snapshot build's source map (JSON, sources relative to the outfile's directory), for the guard's findings; not written unless --sourcemap
  assets: Asset[]; // runtime files shipped beside the bundle, sorted by name (their sources are in `inputs` too)
}

/** How the runtime files shape the build: module locations relocated (relocate.ts), autoload folders bundled. */
interface AssetPlan {
  relocate: boolean;
  autoload: string[]; // module files of @fastify/autoload folders
}

function shimPlugin(options: BundleOptions, format: BundleFormat): Plugin {
  return {
    name: "binship-shim",
    setup(b) {
      b.onResolve({ filter: /^binship:entry$/ }, () => ({ path: shimPath, namespace: shimNamespace }));
      b.onLoad({ filter: /.*/, namespace: shimNamespace }, () => ({
        contents: shimSource(options.entry, options.runtime, options.sourcemap, format, options.snapshot),
        resolveDir: dirname(options.entry),
        loader: "js",
      }));
    },
  };
}

/** writeFileAtomic with a failure the user can act on (a read-only dir, a full disk). */
async function write(path: string, data: string) {
  try {
    return await writeFileAtomic(path, data);
  } catch (err) {
    throw writeFailure(path, err);
  }
}

function nodeWarnings(options: BundleOptions): Diagnostic[] {
  if (options.nodeMajor <= newestKnownNodeMajor) return [];
  return [
    diagnostic(
      `Node ${options.nodeMajor} is not a Node release binship knows (the newest is ${newestKnownNodeMajor}): the bundle targets node${options.nodeMajor} syntax`,
      `Check --node (or "node" in the config); e.g. --node ${newestKnownNodeMajor} or --node 24.`,
    ),
  ];
}

/** The files this stage writes, named by their flags. */
export function bundleOutputs(options: BundleOptions): Output[] {
  const out: Output[] = [{ flag: "-o", path: options.outfile }];
  if (options.metafile) out.push({ flag: "--metafile", path: options.metafile });
  if (options.depfile) out.push({ flag: "--depfile", path: options.depfile });
  return out;
}

async function esbuild(options: BundleOptions, format: BundleFormat, workDir: string, missing: MissingRequires, plan: AssetPlan) {
  const settings = formatSettings(format);
  const decorators: DecoratorState = { warnings: [], relocate: plan.relocate ? { cwd: options.cwd, root: workDir } : undefined };
  // An ES module bundle hoists its imports: laziness there would need another mechanism.
  const lazy = format === "cjs" ? lazyModules(options.lazyBuiltins, options.eagerBuiltins) : new Set<string>();
  // A snapshot defers the built-ins it cannot hold in every file, binship's runtime included.
  const everywhere = new Set<string>(options.snapshot && format === "cjs" ? unserializableBuiltins : []);
  for (const name of everywhere) lazy.add(name);
  const helper = everywhere.size > 0 ? snapshotHelpers : lazyHelper;
  const result = await build({
    entryPoints: ["binship:entry"],
    // esbuild names modules in the output by their path from here (the module keys of lazily
    // loaded modules): the project root, so the bundle does not depend on where binship runs.
    absWorkingDir: workDir,
    outfile: options.outfile,
    bundle: true,
    write: false,
    platform: "node",
    format: settings.format,
    target: `node${options.nodeMajor}`,
    // Whitespace only: identifiers keep their source names, so class and function names survive
    // (error names become Lambda errorTypes) without esbuild's keepNames, which defines `name`
    // on every closure each time one is made (a Hono request makes 16, as costly as the rest of
    // its JavaScript). Syntax minification would inline `const f = () => ...` and lose the name
    // too (docs/ARCHITECTURE.md, "Minified bundles").
    minifyWhitespace: options.minify,
    sourcemap: options.sourcemap || options.snapshot ? "external" : false,
    sourcesContent: false,
    define: { ...settings.define, ...options.define },
    // The lazy built-ins' helper joins the banner's line: no line of the bundle moves.
    banner: lazy.size > 0 ? { js: `${settings.banner?.js ?? ""}${helper}` } : settings.banner,
    // Request/Response/Headers in the bundle are the runtime's light classes: Node's own
    // load undici on first touch (src/runtime/fetch/undici.ts).
    inject: [runtimeSpecifier("fetch/globals.ts")],
    external: options.external,
    // A snapshot executable's main cannot import(): esbuild prints a built-in's import() as a
    // require() in a promise (as for a target without dynamic import), which a snapshot can run.
    ...(options.snapshot && format === "cjs" ? { supported: { "dynamic-import": false } } : {}),
    metafile: true,
    logLevel: "silent",
    charset: "utf8",
    plugins: [
      ...(lazy.size > 0 ? [lazyBuiltinsPlugin(lazy, everywhere)] : []),
      ...(missing.size > 0 ? [missingRequirePlugin(missing, workDir)] : []),
      shimPlugin(options, format),
      runtimeSourcePlugin(),
      moduleBuildsPlugin(options.esmPackages),
      nativeAddonPlugin(options.external),
      decoratorMetadataPlugin(workDir, decorators),
      ...(plan.autoload.length > 0 ? [autoloadPlugin(plan.autoload, options.cwd, workDir, decorators.warnings)] : []),
      ...(plan.relocate ? [relocatePlugin(options.cwd, workDir)] : []),
    ],
  });
  return { ...result, decorators };
}

/**
 * Builds in the forced format, or CommonJS first and an ES module when esbuild says the code
 * needs one: a CommonJS service pays nothing for the check. A dependency's require of a package
 * that is not installed is bundled as a module that throws, on a second try (optional.ts).
 */
async function buildInFormat(options: BundleOptions, workDir: string, plan: AssetPlan) {
  let format: BundleFormat = options.format ?? "cjs";
  const missing: MissingRequires = new Map();
  for (;;) {
    try {
      return { format, result: await esbuild(options, format, workDir, missing, plan), missing };
    } catch (err) {
      const errors = (err as { errors?: Message[] }).errors;
      if (!errors?.length) throw new BinshipError("BUNDLE_FAILED", `esbuild failed: ${(err as Error).message}`, { cause: err });
      const esmOnly = format === "cjs" ? needsEsm(errors) : undefined;
      if (esmOnly && options.format === "cjs") throw forcedCjsError(esmOnly, workDir, options.cwd);
      if (esmOnly) format = "esm";
      else if (!collectMissing(errors, workDir, missing)) throw bundleFailure(errors, workDir, options.cwd);
    }
  }
}

/**
 * A snapshot executable's main has no dynamic import: Node throws
 * ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING at the `import()` of anything not bundled. A built-in's
 * is printed as a require() (`supported` above); an --external's could only be loaded from disk,
 * which the executable's require cannot. esbuild's metafile names each such import and its file:
 * refused before a byte is written, as the guard refuses (exit 1).
 */
function refuseDynamicImports(metafile: Metafile, workDir: string, cwd: string): void {
  const found = Object.entries(metafile.inputs).flatMap(([file, input]) =>
    input.imports.filter((i) => i.kind === "dynamic-import" && i.external && !isBuiltin(i.path) && !file.startsWith(`${shimNamespace}:`)).map((i) => ({ file, path: i.path })),
  );
  if (found.length === 0) return;
  throw new BinshipError("SNAPSHOT_REFUSED", `--snapshot: ${found.length} dynamic import${found.length === 1 ? "" : "s"} of a module outside the bundle, which a snapshot executable cannot load`, {
    diagnostics: found.map((f) => ({ text: `${runtimeFile(f.file) ? `binship's runtime (${f.file}): a binship bug` : shownPath(cwd, resolve(workDir, f.file))}: import("${f.path}")` })),
    hint: 'Use require() (or process.getBuiltinModule("node:x") for a built-in) there, or build without --snapshot.',
  });
}

/** Node picks a file's format by its extension: an ES module cannot be called .cjs, nor CommonJS .mjs. */
function outfileFor(options: BundleOptions, format: BundleFormat): string {
  const wrong = format === "esm" ? ".cjs" : ".mjs";
  if (!options.outfile.endsWith(wrong)) return options.outfile;
  const fixed = options.outfile.slice(0, -wrong.length) + formatExtension[format];
  if (!options.outfileGiven) return fixed;
  const why = format === "esm" ? "the bundle is an ES module (the code uses top-level await, or the config asks for one)" : "the bundle is CommonJS";
  throw new BinshipError("USAGE", `cannot write ${options.outfile}: ${why}, and Node loads a ${wrong} file as ${format === "esm" ? "CommonJS" : "an ES module"}`, {
    hint: `Name it ${fixed}.`,
  });
}

/** The service's own modules (not node_modules, not binship's) and the paths each names relative to itself. */
function projectRefs(metafile: Metafile, workDir: string, cwd: string): FileRef[] {
  const own = Object.keys(metafile.inputs).filter((p) => !p.includes(":") && !p.split("/").includes("node_modules") && !p.startsWith("../"));
  return own.flatMap((p) => {
    const file = resolve(workDir, p);
    return findFileRefs(readFileSync(file, "utf8"), file, cwd);
  });
}

/** A read of a project file no asset ships: the artifact will not have it. */
function unshippedReads(refs: FileRef[], assets: Asset[], cwd: string): Diagnostic[] {
  const shipped = (target: string) => assets.some((a) => a.source === target || a.source.startsWith(`${target}/`));
  return refs
    .filter((r) => r.kind === "read" && existsSync(r.target) && !shipped(r.target))
    .map((r) => ({
      text: `${r.expression} names ${shownPath(cwd, r.target)}, which the bundle does not hold and no asset ships: it is missing at run time`,
      file: r.file,
      line: r.line,
      hint: `Ship it with "assets": ["${shownPath(cwd, r.target)}${statSync(r.target).isDirectory() ? "/**" : ""}"] in binship.config.json (or --asset ${shownPath(cwd, r.target)}).`,
    }));
}

/**
 * Builds until the runtime files and the build agree: the first build shows which folders the
 * code hands to autoload or a static server and which known packages are in; when that changes
 * the plan (modules must be relocated, autoload folders bundled), the build runs once more.
 */
async function buildWithAssets(options: BundleOptions, workDir: string, outputs: Output[], copyDirs: string[]) {
  const user: AssetRequest[] = options.assets.map((pattern) => ({ pattern, origin: shownPath(options.cwd, pattern) }));
  // The user's globs are checked before any build: one that matches nothing fails fast.
  const userAssets = collectAssets(user, workDir, options.cwd, outputs, copyDirs);
  let plan: AssetPlan = { relocate: userAssets.length > 0, autoload: [] };
  for (let round = 0; ; round++) {
    const built = await buildInFormat(options, workDir, plan);
    const refs = projectRefs(built.result.metafile, workDir, options.cwd);
    const assets = collectAssets([...user, ...knownAssetRequests(built.result.metafile, workDir, refs, options.cwd)], workDir, options.cwd, outputs, copyDirs);
    const autoload = autoloadFiles(refs.filter((r) => r.kind === "autoload-dir" && existsSync(r.target)).map((r) => r.target));
    const next: AssetPlan = { relocate: assets.length > 0, autoload };
    if (round > 0 || (next.relocate === plan.relocate && next.autoload.join("\n") === plan.autoload.join("\n"))) {
      return { ...built, assets, readWarnings: unshippedReads(refs, assets, options.cwd) };
    }
    plan = next;
  }
}

export async function bundle(options: BundleOptions): Promise<BundleResult> {
  const workDir = projectRoot(dirname(options.entry), options.cwd);
  const outputPaths = [...bundleOutputs(options), ...(options.alsoOutputs ?? [])];
  const outDir = dirname(options.outfile);
  // The last run's copies beside the bundle are outputs, never assets.
  const placeDir = options.placeAssets ? outDir : options.assetsDir;
  const copyDirs = placeDir ? [placeDir] : [];
  const { format, result, missing, assets, readWarnings } = await buildWithAssets(options, workDir, outputPaths, copyDirs);
  const outfile = outfileFor(options, format);
  const printed = withoutUnusedBanner(withLazyBuiltins(result.outputFiles.find((f) => !f.path.endsWith(".map"))!.text), format);
  // A snapshot build evaluates module by module (runtime/snapshot.ts): their initialisers by name.
  const js = options.snapshot && format === "cjs" ? withModuleTracking(printed) : printed;
  const output = Object.entries(result.metafile.outputs).find(([path]) => !path.endsWith(".map"))?.[1];
  const dlopen = dlopenCalls(js, output?.inputs ?? {}, (input) => (input.includes(":") ? undefined : readFileSync(resolve(workDir, input), "utf8")));
  if (dlopen.length > 0) throw dlopenError(dlopen, workDir, options.cwd);
  const map = result.outputFiles.find((f) => f.path.endsWith(".map"))?.text;
  if (options.snapshot) refuseDynamicImports(result.metafile, workDir, options.cwd);
  if (options.snapshot && format !== "cjs") {
    throw new BinshipError("CONFIG_INVALID", "--snapshot needs a CommonJS bundle, and this service needs an ES module (it uses top-level await)", {
      hint: "Move the top-level await into a function called on first use, or build without --snapshot.",
    });
  }
  const code = map && options.sourcemap ? embedSourceMap(js, map, workDir, dirname(options.outfile)) : js;
  // The shim and the missing-package stand-ins are not files: no depfile input, nobody's bytes.
  const virtual = (p: string) => p.startsWith(`${shimNamespace}:`) || p.startsWith(`${missingNamespace}:`);
  const inputs = Object.keys(result.metafile.inputs)
    .filter((p) => !virtual(p))
    .map((p) => runtimeFile(p) ?? resolve(workDir, p));
  inputs.push(...assets.map((a) => a.source));
  const read = bundleContents(result.metafile, workDir, (p) => virtual(p) || runtimeFile(p) !== undefined);
  // Only now are all the inputs known: no output of the command may be one of them (the lockfile read and the assets included).
  const outputs = [...bundleOutputs({ ...options, outfile }), ...(options.alsoOutputs ?? [])];
  checkOutputs(outputs, read.lockfile ? [...inputs, read.lockfile] : inputs, options.cwd);
  if (placeDir) checkPlacement(placeDir, assets, { inputs, outputs, cwd: options.cwd, artifact: shownPath(options.cwd, placeDir) });
  if (options.placeAssets) await placeAssets(outDir, assets, { inputs, outputs, cwd: options.cwd, artifact: shownPath(options.cwd, outDir), manifest: copiesManifest(outfile) });
  const written = await write(outfile, code);
  if (options.metafile) await write(options.metafile, `${JSON.stringify(result.metafile, null, 2)}\n`);
  // Another target (build's executable) records the lockfile's versions and integrity, so a
  // lockfile change alone must rebuild it; the bundle's own bytes do not depend on the lockfile.
  const prerequisites = options.depfileTarget && read.lockfile ? [...inputs, read.lockfile] : inputs;
  if (options.depfile) await write(options.depfile, formatDepfile(options.depfileTarget ?? outfile, prerequisites, options.cwd));
  return {
    outfile,
    format,
    bytes: written.bytes,
    sha256: written.sha256,
    changed: written.changed,
    inputs,
    warnings: [...nodeWarnings(options), ...result.decorators.warnings, ...missingWarning(missing, workDir), ...readWarnings, ...result.warnings.map((m) => toDiagnostic(m, workDir))],
    metafile: result.metafile,
    contents: read.contents,
    ...(options.snapshot && map ? { sourceMap: map } : {}),
    assets,
    ...(read.lockfile ? { lockfile: read.lockfile } : {}),
  };
}
