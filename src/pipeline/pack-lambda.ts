// pack lambda from start to end: source -> executable (the shared pipeline) -> libraries for
// provided.al2 -> checked, deterministic zip -> depfile naming every input.

import { formatDepfile } from "../util/depfile.js";
import type { Arch } from "../config.js";
import { inspectFile, type ElfReport } from "../inspect/index.js";
import type { Logger } from "../log.js";
import { buildFromSource } from "./build.js";
import { writeFileAtomic } from "../util/atomic.js";
import { packLambdaZip, type LambdaPackageResult } from "../artifacts/lambda/index.js";
import type { PackLambdaOptions } from "../artifacts/lambda/options.js";
import { loaderNames, runtimeSpecs } from "../artifacts/lambda/runtimes.js";
import { collectLibraries, collectMissing, defaultSysroot, type SysrootLibraries } from "../artifacts/lambda/sysroot.js";
import { join } from "node:path";

export interface PackLambdaDeps {
  env: NodeJS.ProcessEnv; // handed to the executable stage (npm registry config, cache dir)
  hostArch: Arch; // the build machine's CPU: picks the default sysroot
  logger: Logger;
  onTemp?: (path: string | undefined) => void; // the temporary zip, for cleanup on interrupt
}

export interface PackLambdaResult {
  zip: LambdaPackageResult;
  executable: ElfReport; // what was packed
  executableChanged?: boolean; // false when the executable was rebuilt to the same bytes
  inputs: string[]; // every file the zip depends on (the depfile's prerequisites)
}

async function executableFor(options: PackLambdaOptions, deps: PackLambdaDeps) {
  if (options.executable) return { report: await inspectFile(options.executable), inputs: [options.executable], changed: undefined };
  const built = await buildFromSource({
    config: options.config,
    cwd: options.cwd,
    env: deps.env,
    arch: options.arch,
    outfile: join(options.workDir, `app-${options.arch}`),
    logger: deps.logger,
  });
  return { report: built.executable.report, inputs: built.bundle.inputs, changed: built.executable.changed };
}

/** lib/ for the zip: a whole glibc for provided.al2, else only what the runtime lacks (often nothing). */
async function libraryFor(report: ElfReport, options: PackLambdaOptions, deps: PackLambdaDeps): Promise<SysrootLibraries | undefined> {
  const sysroot = () => defaultSysroot(options.arch, deps.hostArch, options.sysroot);
  if (options.runtime === "provided.al2") return collectLibraries(report, options.arch, sysroot());
  const present = new Set([...runtimeSpecs[options.runtime].libraries, loaderNames[options.arch]]);
  if (report.arch !== options.arch || report.needed.every((lib) => present.has(lib))) return undefined; // a wrong arch fails its check later
  const libraries = await collectMissing(report, options.arch, sysroot(), present);
  deps.logger.info(`shipping ${libraries.map((l) => l.name).join(", ")} in lib/: ${options.runtime} lacks ${libraries.length === 1 ? "it" : "them"}, and Lambda's LD_LIBRARY_PATH includes $LAMBDA_TASK_ROOT/lib`);
  return { libraries };
}

export async function packLambda(options: PackLambdaOptions, deps: PackLambdaDeps): Promise<PackLambdaResult> {
  const exe = await executableFor(options, deps);
  const bundled = await libraryFor(exe.report, options, deps);
  deps.logger.progress(`zipping ${options.outfile}`);
  const zip = await packLambdaZip({
    outfile: options.outfile,
    executable: exe.report.path,
    report: exe.report,
    arch: options.arch,
    runtime: options.runtime,
    bundled,
    mtime: options.mtime,
    level: options.level,
    onTemp: deps.onTemp,
    stampFile: join(options.workDir, "zip-stamp.json"),
  });
  deps.logger.done();
  const inputs = [...exe.inputs, ...(bundled?.libraries.map((l) => l.path) ?? []), ...(options.configFile ? [options.configFile] : [])];
  if (options.depfile) await writeFileAtomic(options.depfile, formatDepfile(options.outfile, inputs, options.cwd));
  return { zip, executable: exe.report, executableChanged: exe.changed, inputs };
}
