// What every command gets from the CLI: where it runs, how to log, how to print results.

import { commandLine, configFor, loadConfig, mergeConfig, validateConfig, type LoadedConfig, type Section } from "../config.js";
import { formatDiagnostic, type Diagnostic } from "../diagnostic.js";
import { createLogger, type Logger } from "../log.js";
import { cacheDirFrom } from "../executable/options.js";
import { checkOutputs, checkOutsideCache, checkWritable, type Output } from "../util/outputs.js";
import { join } from "node:path";
import { redact } from "../util/redact.js";

// Lockfiles a project may hold beside package.json: inputs of the build (versions, integrity).
const lockfiles = ["package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock", "bun.lockb"];

export interface GlobalFlags {
  json?: boolean; // one JSON object on stdout
  quiet?: boolean; // no logs; results only with --json
  verbose?: boolean; // debug logs
  config?: string | false; // explicit config file; false: none (the API's `config: false`)
}

export interface CommandContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  flags: GlobalFlags;
  stdout: NodeJS.WritableStream;
  optionsFrom: string; // how messages name the options: "command line" (as --flags) or the API's
  jsonWritten?: boolean; // the command printed its one --json object already (with its error in it, if it failed)
}

export function createCommandContext(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): CommandContext {
  const level = flags.quiet ? "quiet" : flags.verbose ? "verbose" : "normal";
  return { cwd, env, flags, logger: createLogger({ level, env }), stdout: process.stdout, optionsFrom: commandLine };
}

/** The config file's top level and `section` (if any) under the flags given for this command, and where it was read. */
export async function resolveConfig(ctx: CommandContext, section: Section, flagValues: Record<string, unknown>): Promise<LoadedConfig> {
  const { contents, file } = ctx.flags.config === false ? { contents: { shared: {}, sections: {} }, file: undefined } : await loadConfig(ctx.cwd, ctx.flags.config);
  if (file) ctx.logger.debug(`config: ${file}`);
  // --asset is singular and repeatable; its config key is the list, "assets".
  const { asset, ...rest } = flagValues;
  const defined = Object.fromEntries(Object.entries({ ...rest, assets: asset ?? rest.assets }).filter(([, v]) => v !== undefined));
  return { config: mergeConfig(configFor(contents, section), validateConfig(defined, ctx.optionsFrom, ctx.cwd)), file };
}

/** Flags of every bundling command (cli.ts withBundleFlags); each is the config key of its name. */
export interface BundleFlagValues {
  node?: string;
  minify?: boolean;
  sourcemap?: boolean;
  define?: Record<string, string>;
  external?: string[];
  asset?: string[]; // --asset, repeatable: the config key "assets"
  esmPackages?: string[];
  lazyBuiltins?: boolean;
  eagerBuiltins?: string | string[];
  format?: string;
  contract?: string;
  invokeMode?: string;
  basePath?: string;
}

/** Flags of every command that also builds an executable (cli.ts withExecutableFlags). */
export interface ExecutableFlagValues extends BundleFlagValues {
  nodeBinary?: string;
  generatorNode?: string;
  strip?: boolean;
  codeCache?: boolean;
}

/** A file a command wrote, as its --json names it. */
export interface WrittenFile {
  path: string; // absolute
  bytes: number;
  sha256: string;
  changed: boolean; // false when the file already held these bytes (left untouched, mtime kept)
}

/** A command's outcome: lines for people, one object for --json (and the API), and the warnings of every stage. */
export interface CommandOutput<T extends object = object> {
  lines: string[];
  json: T;
  warnings: Diagnostic[];
}

// Warnings already shown by printWarnings, so printOutput does not show them twice.
const shown = new WeakSet<Diagnostic>();

/** Shows warnings known before the work starts (from the options), so a failed run still shows them. */
export function printWarnings(ctx: CommandContext, warnings: Diagnostic[]): void {
  for (const w of warnings) {
    if (shown.has(w)) continue;
    shown.add(w);
    ctx.logger.warn(`${formatDiagnostic(w, ctx.cwd)}${w.hint ? `\n  hint: ${w.hint}` : ""}`);
  }
}

/** Warnings on stderr (each with its hint), then results on stdout; `--json` carries the same warnings. */
export function printOutput(ctx: CommandContext, output: CommandOutput): void {
  printWarnings(ctx, output.warnings);
  // Results pass the same redaction as logs (util/redact.ts): a registry URL in a result cannot show its password.
  if (ctx.flags.json) ctx.stdout.write(redact(`${JSON.stringify({ ...output.json, warnings: output.warnings }, null, 2)}\n`));
  else if (!ctx.flags.quiet) for (const line of output.lines) ctx.stdout.write(`${redact(line)}\n`);
}

/**
 * Before any work: refuses outputs that are inputs known already (the config file, package.json
 * and its lockfiles, the entry, given binaries, `extraInputs`) or lie in binship's cache with
 * exit 2, and outputs in a directory that cannot be written with exit 1. The bundle stage checks
 * the same outputs (every command hands its whole list down) against the rest of the inputs
 * once it knows them.
 */
export async function checkCommandOutputs(ctx: CommandContext, loaded: LoadedConfig, outputs: Output[], extraInputs: (string | undefined)[] = []): Promise<void> {
  const { config, file } = loaded;
  const inputs = [file, join(ctx.cwd, "package.json"), ...lockfiles.map((l) => join(ctx.cwd, l)), config.entry, config.nodeBinary, config.generatorNode, ...extraInputs];
  checkOutputs(outputs, inputs.filter((p): p is string => p !== undefined), ctx.cwd);
  checkOutsideCache(outputs, cacheDirFrom(ctx.env, ctx.cwd), ctx.cwd);
  await checkWritable(outputs);
}
