// binship's programmatic API: the commands as functions. Each takes the options of its config
// section (the same keys, camelCase, flags' names without the dashes), reads the project's
// config file under them unless `config: false`, and returns what the command's `--json`
// prints. Failures throw the same BinshipError the CLI prints (`code`, `message`, `hint`,
// `diagnostics`, `exitCode`). The CLI (cli.ts) is a thin layer over the same command functions.

import type { Arch, BundleFormat, Config, Contract, InvokeMode, LambdaRuntime } from "./config.js";
import { buildCommand, type BuildResult as BuildJson } from "./commands/build.js";
import { bundleCommand, type BundleResult as BundleJson } from "./commands/bundle.js";
import { createCommandContext, type CommandContext, type CommandOutput } from "./commands/context.js";
import { inspectCommand, type InspectResult as InspectJson } from "./commands/inspect.js";
import { invokeRun, type InvokeRunResult } from "./commands/invoke.js";
import { packContainerCommand, type PackContainerResult as PackContainerJson } from "./commands/pack-container.js";
import { packLambdaCommand, type PackLambdaResult as PackLambdaJson } from "./commands/pack-lambda.js";
import type { Diagnostic } from "./diagnostic.js";
import { createLogger, type LogLevel } from "./log.js";

export { BinshipError, isBinshipError, type ErrorCode } from "./errors.js";
export { configJsonSchema } from "./config.js";
export type { Arch, BundleFormat, Contract, Diagnostic, InvokeMode, LambdaRuntime, LogLevel };
export type { InvokeRunResult };

/** What every function takes besides its command's options. */
export interface CommonOptions {
  cwd?: string; // the project directory: relative paths and the config file are found from it (default process.cwd())
  config?: string | false; // the config file (default binship.config.json, else "binship" in package.json); false: none
  env?: NodeJS.ProcessEnv; // the environment the build reads (cache dir, registry, SOURCE_DATE_EPOCH; default process.env)
  logLevel?: LogLevel; // logs and warnings on stderr (default "quiet": warnings come back in the result)
}

/** Options that shape the bundle, for every command that bundles. */
export type BundleKeys = Pick<Config, "entry" | "node" | "minify" | "sourcemap" | "define" | "external" | "esmPackages" | "assets" | "lazyBuiltins" | "eagerBuiltins" | "format" | "contract" | "livenessPath" | "readinessPath" | "shutdownGraceSeconds" | "workers" | "invokeMode" | "basePath">;
/** Options of commands that also build an executable. */
export type ExecutableKeys = BundleKeys & Pick<Config, "nodeBinary" | "generatorNode" | "strip" | "codeCache">;

export interface BundleOptions extends CommonOptions, BundleKeys, Pick<Config, "outfile" | "depfile" | "metafile"> {}
export interface BuildOptions extends CommonOptions, ExecutableKeys, Pick<Config, "outfile" | "depfile" | "metafile" | "sbom" | "report" | "snapshot"> {
  arch?: Arch; // default: the host's
}
export interface PackLambdaOptions extends CommonOptions, ExecutableKeys, Pick<Config, "outfile" | "depfile" | "metafile" | "sbom" | "report" | "runtime" | "sysroot" | "zipLevel" | "fallbackLibraries"> {
  arch?: Arch; // default arm64
  layout?: "executable" | "layer";
  executable?: string; // zip this executable (from buildExecutable) instead of building from source
}
export interface PackContainerOptions extends CommonOptions, ExecutableKeys, Pick<Config, "outfile" | "depfile" | "sbom" | "report" | "base" | "image" | "name" | "port" | "replicas" | "k8s" | "mountFrom"> {
  arch?: Arch | Arch[]; // default both
  layout?: "node" | "executable" | "bundle"; // default node (executable when `executable` is given)
  executable?: string[]; // executables from buildExecutable, one per arch, instead of building
  push?: string; // build the image without a daemon and push it to REGISTRY/REPO[:TAG]
  ociLayout?: string; // also write the image as an OCI image layout directory
  tarball?: string; // also write the image as a tarball
  insecureRegistry?: boolean;
}
export interface InspectOptions extends CommonOptions {
  sbom?: string;
  report?: string;
}
export interface InvokeOptions extends CommonOptions {
  event?: unknown; // the event every invocation gets (default {})
  http?: string; // instead of `event`: a function URL event for "METHOD /path?query"
  headers?: string[]; // with http: "name: value"
  body?: string; // with http: the request body
  count?: number; // invocations on the same warm process (default 1)
  concurrency?: number; // invocations in flight at once, and AWS_LAMBDA_MAX_CONCURRENCY for the function (Lambda Managed Instances)
  timeoutSeconds?: number; // per invocation (default 30)
  layer?: string; // the runtime layer zip a --layout layer function zip runs on
  onOutput?: (chunk: Buffer) => void; // the function's own logs and Lambda's START/END/REPORT lines (default: dropped)
  // What the function sees besides Lambda's variables (`env` above is what binship itself reads:
  // the region and AWS credentials are taken from it, nothing else reaches the function).
  environment?: Record<string, string>; // the function's variables, over the config's "environment" and envFile's
  envFile?: string; // SAM --env-vars JSON ({"Parameters": {...}, "<functionName>": {...}}) or a dotenv file
  memory?: number; // MB, 128-10240 (default 128)
  functionName?: string; // default "function"
  region?: string; // default: the env's AWS_REGION, AWS_DEFAULT_REGION, else us-east-1
}

/** A result as the command's --json prints it: the command's object and the warnings of every stage. */
export type WithWarnings<T> = T & { warnings: Diagnostic[] };
export type BundleResult = WithWarnings<BundleJson>;
export type BuildResult = WithWarnings<BuildJson>;
export type PackLambdaResult = WithWarnings<PackLambdaJson>;
export type PackContainerResult = WithWarnings<PackContainerJson>;
export type InspectResult = WithWarnings<InspectJson>;

function contextOf(options: CommonOptions): { ctx: CommandContext; rest: Record<string, unknown> } {
  const { cwd, config, env, logLevel, ...rest } = options;
  const ctx = createCommandContext({ config }, env ?? process.env, cwd ?? process.cwd());
  ctx.logger = createLogger({ level: logLevel ?? "quiet", env: ctx.env });
  ctx.optionsFrom = "binship API options";
  return { ctx, rest };
}

const result = <T extends object>(out: CommandOutput<T>): WithWarnings<T> => ({ ...out.json, warnings: out.warnings });

/** `binship bundle`: the service and the runtime as one file for Node. */
export async function bundle(options: BundleOptions = {}): Promise<BundleResult> {
  const { ctx, rest } = contextOf(options);
  return result(await bundleCommand(ctx, undefined, rest));
}

/** `binship build`: one self-contained Linux executable. */
export async function buildExecutable(options: BuildOptions = {}): Promise<BuildResult> {
  const { ctx, rest } = contextOf(options);
  return result(await buildCommand(ctx, undefined, rest));
}

/** `binship pack lambda`: a zip with `bootstrap` for provided.al2023 / provided.al2. */
export async function packLambda(options: PackLambdaOptions = {}): Promise<PackLambdaResult> {
  const { ctx, rest } = contextOf(options);
  return result(await packLambdaCommand(ctx, undefined, rest));
}

/** `binship pack container`: a distroless image recipe and Kubernetes manifests (and, asked, the image). */
export async function packContainer(options: PackContainerOptions = {}): Promise<PackContainerResult> {
  const { ctx, rest } = contextOf(options);
  const { arch, ...others } = rest as PackContainerOptions;
  return result(await packContainerCommand(ctx, undefined, { ...others, arch: arch === undefined ? undefined : Array.isArray(arch) ? arch : [arch] }));
}

/** `binship inspect`: what an executable, a Lambda zip or a container directory holds. */
export async function inspect(file: string, options: InspectOptions = {}): Promise<InspectResult> {
  const { ctx, rest } = contextOf(options);
  return result(await inspectCommand(ctx, file, rest));
}

/** `binship invoke`: runs a bundle, an executable or a Lambda zip against a local Lambda Runtime API. */
export async function invoke(artifact: string, options: InvokeOptions = {}): Promise<InvokeRunResult> {
  const { ctx } = contextOf({ cwd: options.cwd, env: options.env, logLevel: options.logLevel, config: options.config });
  return invokeRun(ctx, artifact, options);
}
