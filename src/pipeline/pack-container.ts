// Flow: pack container. Render the recipe (so a template problem fails before minutes of
// building), build what the layout needs (an executable per arch, or the bundle) into scratch
// space, or take prebuilt executables, then hand the finished files to the container stage; with
// an image request, build the image from those files and pin k8s/ to its digest.

import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { containerLayouts, dockerArchOf, packContainer, renderContainerFiles, type ContainerOptions, type ContainerResult } from "../artifacts/container/index.js";
import { adaptToListenCalls, findListenCalls } from "../artifacts/container/listen-port.js";
import type { AppExecutable, AppNode, BuiltApp } from "../artifacts/types.js";
import type { Arch, Config } from "../config.js";
import type { Diagnostic } from "../diagnostic.js";
import type { ElfReport } from "../inspect/index.js";
import type { Logger } from "../log.js";
import type { Output } from "../util/outputs.js";
import { noCleanup, type Cleanup } from "../util/interrupt.js";
import { makeScratch } from "../util/stale.js";
import { writeFileAtomic } from "../util/atomic.js";
import { formatDepfile } from "../util/depfile.js";
import { bundle, resolveBundleOptions } from "../bundle/index.js";
import { generateCompileCache, prepareNodeBinary, resolveExecutableOptions } from "../executable/index.js";
import { nonroot } from "../artifacts/container/image/index.js";
import { makeBuildInfo } from "../inspect/build-info.js";
import { binshipVersion } from "../paths.js";
import { buildFromSource } from "./build.js";
import { publishContainerImage, type ImageOutcome, type ImageRequest } from "./container-image.js";

export interface PackContainerInput {
  options: ContainerOptions; // resolved by resolveContainerOptions
  config: Config; // the merged config, for the bundle and executable stages
  cwd: string;
  env: NodeJS.ProcessEnv;
  logger: Logger; // progress only; warnings are returned
  prebuilt?: Map<Arch, ElfReport>; // executables built earlier (binship build), one per arch
  cleanup?: Cleanup; // removes scratch and temporary output on interrupt
  image?: ImageRequest; // --push / --oci-layout / --tarball
  outputs?: Output[]; // every output of the command (-o, --tarball, --sbom, ...): checked against the bundle's inputs
  depfile?: string; // write a make dependency file (target: the recipe directory) naming every input
  configFile?: string; // the config file read, an input in the depfile
}

export interface PackContainerOutcome extends ContainerResult {
  published?: ImageOutcome; // when an image was asked for
}

interface Built {
  app: BuiltApp;
  inputs: string[]; // every file the recipe was built from
  warnings: Diagnostic[];
}

async function buildApp(input: PackContainerInput, scratch: string): Promise<Built> {
  const { options: o, config, cwd, env, logger } = input;
  const outputs: Output[] = input.outputs ?? [{ flag: "-o", path: o.outDir, dir: true }];
  const needs = containerLayouts[o.layout].needs;
  if (needs === "bundle" || needs === "node-and-bundle") {
    logger.progress("bundling the app");
    const bundleOptions = resolveBundleOptions({ ...config, outfile: undefined }, cwd, join(scratch, "app.cjs"));
    const result = await bundle({ ...bundleOptions, alsoOutputs: outputs });
    logger.done();
    const app: BuiltApp = { executables: [], bundle: { path: result.outfile, bytes: result.bytes, sha256: result.sha256 }, assets: result.assets };
    const warnings = [...result.warnings];
    if (needs === "node-and-bundle") {
      // The same Node (registry cache, strip cache) the executable layout would have been built on.
      const nodes: AppNode[] = [];
      for (const arch of [...o.archs].sort()) {
        const exeOptions = resolveExecutableOptions(config, cwd, env, { bundle: result.outfile, outfile: join(scratch, `unused-${arch}`), arch, logger });
        const node = await prepareNodeBinary(exeOptions, scratch);
        // The record an executable would carry, for the image's SBOM: Node as published and the bundle's packages.
        const buildInfo = makeBuildInfo({ binship: binshipVersion(), arch, node: { version: node.version, ...node.published, stripped: node.stripped }, bundle: { sha256: result.sha256, bytes: result.bytes }, contents: result.contents });
        nodes.push({ arch, version: node.version, report: node.report, buildInfo });
        warnings.push(...node.warnings.filter((w) => !warnings.some((x) => x.text === w.text)));
      }
      app.nodes = nodes;
      if (o.layout === "node" && config.codeCache !== false) {
        // Each arch's own Node compiles the bundle once more, to ship V8's code cache with it
        // (--no-code-cache / "codeCache": false leave it out, as they do the executable's).
        const root = join(scratch, "compile-cache-build");
        const files: string[] = [];
        for (const node of nodes) {
          logger.progress(`compiling the bundle with node-${dockerArchOf(node.arch)} (compile cache)`);
          const made = await generateCompileCache({ node: node.report.path, arch: node.arch, nodeVersion: node.version, bundle: result.outfile, root, uid: nonroot, hostPath: env.PATH });
          logger.done();
          warnings.push(...made.warnings);
          if ("files" in made) files.push(...made.files);
        }
        if (files.length) app.compileCache = { root, files: files.sort() };
      }
    }
    return { app, inputs: withLockfile(result.inputs, result.lockfile), warnings };
  }
  const executables: AppExecutable[] = [];
  const warnings: Diagnostic[] = [];
  const inputs: string[] = [];
  let assets: BuiltApp["assets"];
  for (const arch of [...o.archs].sort()) {
    const given = input.prebuilt?.get(arch);
    if (given) {
      executables.push({ arch, report: given });
      inputs.push(given.path);
      continue;
    }
    logger.progress(`building app-${dockerArchOf(arch)}`);
    const built = await buildFromSource({ config, cwd, env, arch, outfile: join(scratch, `app-${arch}`), outfileFlag: "scratch", outputs, logger });
    logger.done();
    executables.push({ arch, report: built.executable.report });
    assets = built.bundle.assets;
    inputs.push(...withLockfile(built.bundle.inputs, built.bundle.lockfile));
    // The bundle is the same for every arch: its warnings once.
    warnings.push(...(executables.length === 1 ? built.warnings : built.executable.warnings));
  }
  return { app: { executables, ...(assets ? { assets } : {}) }, inputs: [...new Set(inputs)], warnings };
}

// The build info records the lockfile's versions and integrity: it is an input too.
const withLockfile = (inputs: string[], lockfile: string | undefined) => (lockfile ? [...inputs, lockfile] : inputs);

export async function packContainerFlow(input: PackContainerInput): Promise<PackContainerOutcome> {
  const cleanup = input.cleanup ?? noCleanup;
  let texts = await renderContainerFiles(input.options);
  const scratch = await makeScratch(input.env.TMPDIR || tmpdir(), "container");
  try {
    const built = await buildApp(input, scratch.path);
    // A module that calls listen() itself, found in the app's sources: probes on its TCP port,
    // and its fixed port in the recipe (listen-port.ts).
    const listening = adaptToListenCalls(input.options, input.config, findListenCalls(built.inputs));
    // An ES module bundle is app.mjs, known only once bundled: the recipe names it.
    const bundleFile = built.app.bundle ? basename(built.app.bundle.path) : undefined;
    const compileCache = built.app.compileCache !== undefined;
    const options = { ...listening.options, ...(bundleFile ? { bundleFile } : {}), ...(compileCache ? { compileCache } : {}) };
    // So are the runtime files, which the Dockerfile copies.
    if ((bundleFile && bundleFile !== "app.cjs") || compileCache || listening.options !== input.options || built.app.assets?.length) {
      texts = await renderContainerFiles(options, built.app.assets);
    }
    const result = await packContainer(options, built.app, texts, cleanup.onTemp);
    const outcome: PackContainerOutcome = { ...result, warnings: [...built.warnings, ...listening.warnings, ...result.warnings] };
    if (input.image) {
      const { config, cwd, env, logger } = input;
      outcome.published = await publishContainerImage({ request: input.image, options, packed: outcome, entry: config.entry, cwd, env, logger });
      outcome.warnings.push(...outcome.published.result.warnings);
    }
    if (input.depfile) {
      const inputs = [...built.inputs, ...(input.configFile ? [input.configFile] : [])];
      await writeFileAtomic(input.depfile, formatDepfile(result.dir, inputs, input.cwd));
    }
    return outcome;
  } finally {
    await scratch.dispose();
  }
}
