// Stage 2: bundle -> one self-contained Linux executable: the official Node binary for the
// target with the bundle injected as a Node SEA blob (via @yao-pkg/pkg). The blob is generated
// by a host Node of exactly the target's version; the result is checked with the ELF reader
// (arch, SEA blob, Node version) and written atomically.

import { execFile } from "node:child_process";
import { appendFile, chmod, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { Arch } from "../config.js";
import { diagnostic, type Diagnostic } from "../diagnostic.js";
import { BinshipError } from "../errors.js";
import { encodeBuildInfo, makeBuildInfo, type BuildInfo } from "../inspect/build-info.js";
import { inspectFile, type ElfReport } from "../inspect/index.js";
import { binshipVersion } from "../paths.js";
import { provisionHostNode, provisionNode, requireCached, type CachedFile } from "../node-dist/index.js";
import { commitFile, freshTempBeside, sha256, sha256File } from "../util/atomic.js";
import { CorruptEntry, retryOnCorrupt } from "../util/cache-object.js";
import { emulation } from "../util/emulation.js";
import { makeScratch } from "../util/stale.js";
import { minimumNodeMajor, type ExecutableOptions } from "./options.js";
import { bundleAsset, esmLoaderSource, seaMainKind } from "./esm-main.js";
import { recordedMainPath, runPkg } from "./pkg.js";
import { stripCached, stripFile } from "./strip.js";
import { executableKey, findTemplate, lookupExecutable, outputIsCurrent, outputSha256, placeExecutable, recordOutput, storeExecutable, type ExecutableCacheOptions } from "./cache.js";
import { readSeaLayout, reinjectBlob, spliceBlob } from "./reinject.js";
import { startCauses, type SnapshotPlan } from "./snapshot-plan.js";
import { codeCacheHashSeed, generateSeaBlob, seaDefaults, type SeaBlobInput } from "./sea-blob.js";

export { resolveExecutableOptions, cacheDirFrom, findStripTool, type ExecutableOptions, type ExecutableInputs } from "./options.js";
export { runPkg, type SeaPackager, type SeaPackageInput } from "./pkg.js";
export { prepareNodeBinary, type NodeBinary } from "./node-binary.js";
export { generateCompileCache, compileCacheDirName, type CompileCacheOutcome } from "./compile-cache.js";
export { sweepExecutables, defaultExecutableCacheBytes, type ExecutableCacheOptions } from "./cache.js";

/** The SEA options pkg is run with (its defaults); part of the executable cache key. */
const seaOptions = { packager: "@yao-pkg/pkg --sea", ...seaDefaults };

export interface ExecutableResult {
  outfile: string;
  bytes: number;
  sha256: string;
  changed: boolean; // false when the file on disk already held these bytes
  arch: Arch;
  nodeVersion: string; // exact, "24.21.0"
  stripped: boolean; // the Node binary was stripped before injection
  report: ElfReport; // the ELF reader's view of the result
  buildInfo: BuildInfo; // what was recorded inside it
  warnings: Diagnostic[]; // e.g. the Node binary could not be stripped
}

interface NodeBinaries {
  version: string; // exact, "24.21.0"
  target: string; // the linux-<arch> binary the blob goes into
  cached?: CachedFile; // the target's cache entry, when it came from the registry
  generator: string; // host-runnable Node of the same version
  generatorCached?: CachedFile; // its cache entry, when it came from the registry
}

const runFile = promisify(execFile);

async function versionOfGivenBinary(options: ExecutableOptions, path: string): Promise<string> {
  const report = await inspectFile(path);
  const problem =
    report.arch !== options.arch
      ? `is ${report.machine}, not ${options.arch}`
      : report.sea
        ? "already holds a SEA blob"
        : report.nodeVersion === undefined
          ? "carries no official Node release version"
          : undefined;
  if (problem) {
    throw new BinshipError("CONFIG_INVALID", `--node-binary ${path} ${problem}`, {
      hint: `Pass an official Node binary for linux-${options.arch} (package/bin/node of the npm package node-linux-${options.arch}).`,
    });
  }
  return report.nodeVersion!;
}

async function checkGenerator(path: string, version: string): Promise<void> {
  let out: string;
  try {
    out = (await runFile(path, ["--version"])).stdout.trim();
  } catch (err) {
    throw new BinshipError("CONFIG_INVALID", `--generator-node ${path} does not run on this machine`, { cause: err, hint: "Pass a Node binary built for the build host." });
  }
  if (out !== `v${version}`) {
    throw new BinshipError("CONFIG_INVALID", `--generator-node ${path} is Node ${out}, the target is v${version}`, {
      hint: "The SEA blob format changes between releases: the generator must be exactly the target's version.",
    });
  }
}

async function nodeBinaries(options: ExecutableOptions): Promise<NodeBinaries> {
  const { host, arch, cacheDir, registry, logger } = options;
  const hostIsTarget = host.platform === "linux" && host.arch === arch;
  let result: NodeBinaries;
  if (options.nodeBinary) {
    const version = await versionOfGivenBinary(options, options.nodeBinary);
    const hostNode = options.generatorNode || hostIsTarget ? undefined : await provisionHostNode({ version, host, cacheDir, registry, logger });
    result = { version, target: options.nodeBinary, generator: options.generatorNode ?? hostNode?.path ?? options.nodeBinary, generatorCached: hostNode };
  } else {
    const dist = await provisionNode({ spec: options.node, arch, host: options.generatorNode ? undefined : host, cacheDir, registry, logger });
    const hostNode = options.generatorNode ? undefined : dist.host!;
    result = { version: dist.version, target: dist.target.path, cached: dist.target, generator: options.generatorNode ?? hostNode!.path, generatorCached: hostNode };
  }
  if (Number(result.version.split(".")[0]) < minimumNodeMajor) {
    throw new BinshipError("CONFIG_INVALID", `single executables need Node ${minimumNodeMajor} or later; the target binary is ${result.version}`, { hint: "Use e.g. --node 24." });
  }
  if (options.generatorNode) await checkGenerator(options.generatorNode, result.version);
  return result;
}

interface TargetBinary {
  path: string;
  stripped: boolean;
  sha256?: string; // known for cache entries, so the executable cache key costs no hashing
  cached?: CachedFile; // the cache entry it is, whose bytes are checked before pkg reads them
}

/** The cached Node binaries pkg or the blob generator is about to read, checked in full; a corrupt one throws CorruptEntry. */
async function requireIntactInputs(files: (CachedFile | undefined)[], warnings: Diagnostic[]): Promise<void> {
  const seen = new Set<string>();
  for (const f of files) {
    if (!f || seen.has(f.path)) continue;
    seen.add(f.path);
    await requireCached(f, f.path.endsWith("-stripped") ? "stripped Node binary" : "Node binary", f.path.endsWith("-stripped") ? "stripping it again" : "downloading it again", warnings);
  }
}

async function maybeStrip(options: ExecutableOptions, nodes: NodeBinaries, workDir: string, warnings: Diagnostic[]): Promise<TargetBinary> {
  const unstripped = { path: nodes.target, stripped: false, sha256: nodes.cached?.sha256, cached: nodes.cached };
  if (!options.strip) return unstripped;
  if (!options.stripTool) {
    warnings.push(diagnostic("no llvm-strip on PATH: the Node binary is not stripped (about 18 MiB larger)", "Install llvm or binutils, or pass --no-strip."));
    return unstripped;
  }
  try {
    // The registry's binary is stripped once into the cache; the user's own into scratch space.
    if (nodes.cached) {
      const stripped = await stripCached(options.stripTool, nodes.cached, warnings);
      return { path: stripped.path, stripped: true, sha256: stripped.sha256, cached: stripped };
    }
    const out = join(workDir, "node-stripped");
    await stripFile(options.stripTool, nodes.target, out);
    return { path: out, stripped: true };
  } catch (err) {
    if (err instanceof CorruptEntry) throw err; // the source was corrupt: the stage starts over
    warnings.push(diagnostic(`${options.stripTool} failed, the Node binary is not stripped: ${(err as Error).message.split("\n")[0]}`));
    return unstripped;
  }
}

interface SeaMain {
  main: string; // the script the blob runs
  seaConfig?: Record<string, unknown>; // SEA config keys beyond pkg's defaults (esm-main.ts)
}

/**
 * The bundle as the main script (or, for an ES module on Node 24, a CommonJS loader with the
 * bundle as an asset: esm-main.ts), in the build's private scratch directory: the blob records it
 * as /proc/self/cwd/<name> (executable/pkg.ts), so the executable's bytes depend only on the
 * bundle's content, not on $TMPDIR or the user, and no directory is shared between users.
 */
async function mainScript(options: ExecutableOptions, nodeVersion: string, workDir: string): Promise<SeaMain & { sha256: string; bytes: number }> {
  const code = await readFile(options.bundle);
  const dir = join(workDir, "sea");
  await mkdir(dir, { recursive: true });
  const kind = seaMainKind(options.bundleFormat ?? "cjs", nodeVersion);
  let main: SeaMain;
  if (kind === "esm-loader") {
    const app = join(dir, "app.mjs");
    await writeFile(app, code);
    main = { main: join(dir, "main.cjs"), seaConfig: { assets: { [bundleAsset]: app } } };
    await writeFile(main.main, esmLoaderSource);
  } else {
    main = kind === "module" ? { main: join(dir, "app.mjs"), seaConfig: { mainFormat: "module" } } : { main: join(dir, "app.cjs") };
    await writeFile(main.main, code);
  }
  return { ...main, sha256: sha256(code), bytes: code.length };
}

/** The Node release recorded in the build info: the hash of the binary as published, before stripping. */
async function nodeFacts(options: ExecutableOptions, nodes: NodeBinaries, stripped: boolean): Promise<BuildInfo["node"]> {
  const hash = nodes.cached?.sha256 ?? (await sha256File(nodes.target));
  const source = nodes.cached ? `npm:node-linux-${options.arch}@${nodes.version}` : "file";
  return { version: nodes.version, sha256: hash, source, stripped };
}

function checkResult(report: ElfReport, options: ExecutableOptions, version: string): void {
  const problems: string[] = [];
  if (report.arch !== options.arch) problems.push(`it is ${report.machine}, not ${options.arch}`);
  if (!report.sea) problems.push("it holds no SEA blob");
  if (report.nodeVersion !== version) problems.push(`it reports Node ${report.nodeVersion ?? "(none)"}, not ${version}`);
  if (problems.length > 0) {
    throw new BinshipError("ARTIFACT_CHECK_FAILED", `the built executable failed its check: ${problems.join("; ")}`, {
      hint: "This is a binship or pkg bug; run with --verbose and report it.",
    });
  }
}

interface Produced {
  report: ElfReport; // report.path is tmpOut, or the output itself when it is already current
  buildInfo: BuildInfo; // what is recorded inside it
  key?: string; // the cache key, when caching
  current?: boolean; // the output already is this cache entry's file: nothing to write
}

/**
 * The executable for a new bundle without pkg, when the cache holds one built into the same
 * target binary: the blob is generated as pkg would and put in that executable's layout
 * (reinject.ts). False when there is no such template or its layout is not understood.
 */
async function reinjected(options: ExecutableOptions, cache: ExecutableCacheOptions, target: string, input: SeaBlobInput & { generatorCached?: CachedFile }, tmpOut: string, warnings: Diagnostic[]): Promise<boolean> {
  const template = await findTemplate(cache, target, warnings);
  if (!template) return false;
  const layout = await readSeaLayout(template).catch((err: unknown) => `unreadable: ${(err as Error).message}`);
  if (typeof layout === "string") {
    options.logger.debug(`executable cache: ${template} cannot take a new blob (${layout}); running pkg`);
    return false;
  }
  options.logger.debug(`executable cache: the new blob goes into the cached executable's layout (${template})`);
  options.logger.progress(`putting the new bundle into the cached executable's layout (linux-${options.arch})`);
  // A plain CommonJS main is spliced into the template's blob; anything else is generated.
  const spliced = input.seaConfig || input.codeCache || input.snapshot ? undefined : spliceBlob(layout.blob, recordedMainPath(input.main), await readFile(input.main));
  if (!spliced) await requireIntactInputs([input.generatorCached], warnings);
  const blob = spliced ?? (await generateSeaBlob(input)); // a generator failure is reported as pkg's would be
  options.logger.debug(`executable cache: the blob was ${spliced ? "spliced from the template's" : "generated"}`);
  try {
    await reinjectBlob(template, layout, blob, tmpOut);
  } catch (err) {
    // E.g. another build's sweep removed the template meanwhile: pkg can still make it.
    options.logger.debug(`executable cache: ${template} could not be used (${(err as Error).message}); running pkg`);
    return false;
  } finally {
    options.logger.done();
  }
  return true;
}

interface CodeCacheGenerator {
  generator: string; // the target's own Node: the host generator when the arches match, else the target binary
  emulator?: string[]; // qemu-user for the target binary on a foreign host
  generatorCached?: CachedFile; // its cache entry, checked before it runs
}

/**
 * Who compiles the V8 code cache, or undefined for an executable without one: turned off, an ES
 * module main (its code is compiled by Node's module loader, which takes no SEA code cache:
 * esm-main.ts), or a foreign arch without qemu-user (a warning).
 */
function codeCacheGenerator(options: ExecutableOptions, nodes: NodeBinaries, target: TargetBinary, warnings: Diagnostic[]): CodeCacheGenerator | undefined {
  if (!options.codeCache || seaMainKind(options.bundleFormat ?? "cjs", nodes.version) !== "commonjs") return undefined;
  const { host, arch } = options;
  if (host.platform === "linux" && host.arch === arch) return { generator: nodes.generator, generatorCached: nodes.generatorCached };
  if (!options.emulator) {
    warnings.push(diagnostic(`no qemu-user for linux-${arch} on PATH: the executable has no V8 code cache (it compiles its bundle at every start)`, `Install user-mode qemu and the ${arch} libraries (Debian/Ubuntu: apt-get install ${emulation[arch].packages}), or pass --no-code-cache.`));
    return undefined;
  }
  return { generator: target.path, emulator: options.emulator, generatorCached: target.cached };
}

/**
 * Who builds the startup snapshot: like the code cache, the target's own Node (a snapshot is
 * V8's heap of one build and CPU), but asked for, so a missing qemu or an ES module is an error.
 */
function snapshotGenerator(options: ExecutableOptions, nodes: NodeBinaries, target: TargetBinary): CodeCacheGenerator | undefined {
  if (!options.snapshot) return undefined;
  if (seaMainKind(options.bundleFormat ?? "cjs", nodes.version) !== "commonjs") {
    throw new BinshipError("CONFIG_INVALID", "--snapshot needs a CommonJS bundle; this one is an ES module", { hint: "Build without --snapshot, or drop the top-level await / \"format\": \"esm\"." });
  }
  const { host, arch } = options;
  if (host.platform === "linux" && host.arch === arch) return { generator: nodes.generator, generatorCached: nodes.generatorCached };
  if (!options.emulator) {
    throw new BinshipError("TOOL_MISSING", `--snapshot for linux-${arch} needs the target's Node to run at build time, and there is no qemu-user for ${arch} on PATH`, {
      hint: `Install user-mode qemu and the ${arch} libraries (Debian/Ubuntu: apt-get install ${emulation[arch].packages}), or build without --snapshot.`,
    });
  }
  return { generator: target.path, emulator: options.emulator, generatorCached: target.cached };
}

/** The packager's output (with its build info) or a cached executable at `tmpOut`, inspected and checked. */
async function produce(options: ExecutableOptions, nodes: NodeBinaries, target: TargetBinary, workDir: string, tmpOut: string, warnings: Diagnostic[]): Promise<Produced> {
  const { logger } = options;
  const cache = options.cache;
  const targetSha256 = cache ? (target.sha256 ?? (await sha256File(target.path))) : undefined;
  const snapshot = snapshotGenerator(options, nodes, target);
  const codeCache = snapshot ?? codeCacheGenerator(options, nodes, target, warnings);
  const key =
    cache &&
    executableKey({
      bundleSha256: sha256(await readFile(options.bundle)),
      targetSha256: targetSha256!,
      nodeVersion: nodes.version,
      arch: options.arch,
      stripped: target.stripped,
      sea: snapshot
        ? { ...seaOptions, useSnapshot: true, snapshot: { emulated: snapshot.emulator !== undefined, plan: 1 } } // plan: snapshot-plan.ts's rules
        : { ...seaOptions, codeCache: codeCache ? { hashSeed: codeCacheHashSeed, emulated: codeCache.emulator !== undefined } : false },
      contents: options.contents ?? null, // recorded in the build info, so part of the bytes
    });
  const hit = cache && key ? await lookupExecutable(cache, key, warnings) : undefined;
  if (hit && cache && key) {
    logger.debug(`executable cache hit: ${hit.path}`);
    if (await outputIsCurrent(cache, options.outfile, key)) return { report: { ...hit.report, path: options.outfile }, buildInfo: hit.buildInfo, key, current: true };
    // A corrupt entry (removed by then) is a miss: the executable is built below.
    if ((await stat(hit.path).catch(() => undefined)) && (await placeExecutable(hit, tmpOut, warnings))) return { report: { ...hit.report, path: tmpOut }, buildInfo: hit.buildInfo, key };
  }
  const { main, seaConfig, ...bundleFacts } = await mainScript(options, nodes.version, workDir);
  const blobInput = { generator: nodes.generator, main, seaConfig, workDir };
  // With a code cache, the blob always comes from the target's own Node (sea-blob.ts): pkg only lays out the executable.
  const guard = snapshot ? { snapshot: { bundle: options.bundle, sourceMap: options.snapshotSourceMap, projectDir: options.projectDir ?? dirname(options.bundle) } } : {};
  let plan: SnapshotPlan | undefined;
  const onPlan = (p: SnapshotPlan) => (plan = p);
  const finalBlob = codeCache ? { ...blobInput, ...codeCache, codeCache: !snapshot, ...guard, onPlan } : { ...blobInput, generatorCached: nodes.generatorCached };
  if (!(cache && targetSha256 && (await reinjected(options, cache, targetSha256, finalBlob, tmpOut, warnings)))) {
    await requireIntactInputs([target.cached, nodes.generatorCached, codeCache?.generatorCached], warnings);
    logger.progress(`injecting the bundle into Node ${nodes.version} (linux-${options.arch})`);
    const packager = options.packager ?? runPkg;
    const blob = codeCache ? join(workDir, "code-cache.blob") : undefined;
    if (blob) await writeFile(blob, await generateSeaBlob(finalBlob));
    const { log } = await packager({ ...blobInput, blob, nodeBinary: target.path, version: nodes.version, arch: options.arch, output: tmpOut });
    logger.done();
    for (const line of log.split("\n").filter((l) => l.trim())) logger.debug(`pkg: ${line}`);
  }
  const snapshotFacts = plan && { atBuild: plan.atBuild.length, atStart: plan.atStart.length, causes: startCauses(plan) };
  const buildInfo = makeBuildInfo({ binship: binshipVersion(), arch: options.arch, node: await nodeFacts(options, nodes, target.stripped), bundle: bundleFacts, contents: options.contents, snapshot: snapshotFacts });
  await appendFile(tmpOut, encodeBuildInfo(buildInfo));
  const report = await inspectFile(tmpOut).catch((err: unknown) => {
    throw new BinshipError("EXECUTABLE_FAILED", `pkg did not produce a readable executable`, { cause: err, hint: "Run with --verbose to see pkg's output." });
  });
  checkResult(report, options, nodes.version);
  await chmod(tmpOut, 0o755);
  // A cache that cannot be written costs the next build time, never this one its result.
  if (cache && key) await storeExecutable(cache, key, tmpOut, report, buildInfo, targetSha256!).catch((err: unknown) => logger.debug(`cannot keep the executable in ${cache.dir}: ${(err as Error).message}`));
  return { report, buildInfo, key };
}

/**
 * Builds the executable. A cached Node binary found corrupt on the way (warned about and removed)
 * starts the build over once, which then fetches or strips it again.
 */
export async function buildExecutable(options: ExecutableOptions): Promise<ExecutableResult> {
  const warnings: Diagnostic[] = [];
  const result = await retryOnCorrupt(() => buildOnce(options, warnings));
  return { ...result, warnings: warnings.filter((w, i) => warnings.findIndex((o) => o.text === w.text) === i) }; // a retry meets the same notes again
}

async function buildOnce(options: ExecutableOptions, warnings: Diagnostic[]): Promise<ExecutableResult> {
  const nodes = await nodeBinaries(options);
  await mkdir(options.tmpDir, { recursive: true });
  const scratch = await makeScratch(options.tmpDir, "build");
  const workDir = scratch.path;
  await mkdir(dirname(options.outfile), { recursive: true });
  const tmpOut = await freshTempBeside(options.outfile);
  try {
    const target = await maybeStrip(options, nodes, workDir, warnings);
    const { report, buildInfo, key, current } = await produce(options, nodes, target, workDir, tmpOut, warnings);
    const existingSha256 = options.cache && !current ? await outputSha256(options.cache, options.outfile) : undefined;
    const written = current
      ? { bytes: report.bytes, sha256: report.sha256, changed: false }
      : await commitFile(tmpOut, options.outfile, report.sha256, existingSha256).catch((err: unknown) => {
          throw new BinshipError("IO_FAILED", `cannot write ${options.outfile}: ${(err as Error).message}`, { cause: err, hint: "Check that its directory is writable." });
        });
    if (options.cache && key && !current) await recordOutput(options.cache, options.outfile, key, written.sha256).catch(() => {});
    return {
      outfile: options.outfile,
      bytes: written.bytes,
      sha256: written.sha256,
      changed: written.changed,
      arch: options.arch,
      nodeVersion: nodes.version,
      stripped: target.stripped,
      report: { ...report, path: options.outfile },
      buildInfo,
      warnings,
    };
  } finally {
    options.logger.done();
    await rm(tmpOut, { force: true });
    await scratch.dispose();
  }
}
