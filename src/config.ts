// binship.config.json, or a "binship" key in package.json, merged under CLI flags into one
// validated object. Every key is declared once in `schema`; an unknown key, a wrong type or
// a bad value is a CONFIG_INVALID error naming the key and what it accepts.

import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { BinshipError } from "./errors.js";

export const archs = ["arm64", "x64"] as const;
export type Arch = (typeof archs)[number];
export const lambdaRuntimes = ["provided.al2023", "provided.al2"] as const;
export type LambdaRuntime = (typeof lambdaRuntimes)[number];
export const contracts = ["auto", "fetch", "listener", "handler", "listen"] as const;
export type Contract = (typeof contracts)[number];
export const invokeModes = ["BUFFERED", "RESPONSE_STREAM"] as const;
export type InvokeMode = (typeof invokeModes)[number];
export const containerLayouts = ["executable", "bundle", "node"] as const;
export const lambdaLayoutNames = ["executable", "layer"] as const; // artifacts/lambda/layouts/index.ts has one layout per name
export type ContainerLayout = (typeof containerLayouts)[number];
export const bundleFormats = ["cjs", "esm"] as const;
export type BundleFormat = (typeof bundleFormats)[number];
/**
 * Built-ins a bundled package's top-level require gets lazily (bundle/lazy-builtins.ts): each
 * exports a plain object, exists in every official Node >= 18 build, and has no load side
 * effect anyone relies on, and none is loaded by Node's bootstrap or binship's runtime anyway.
 */
export const lazyBuiltinModules = ["child_process", "crypto", "dgram", "dns", "dns/promises", "fs/promises", "http2", "https", "os", "perf_hooks", "readline", "readline/promises", "stream/web", "tls", "v8", "vm", "worker_threads", "zlib"] as const;

/** The Node version every stage uses when "node" is not set. */
export const defaultNodeSpec = "24";

/**
 * The newest Node major released when this binship was made. A bundle for a newer one is still
 * built (esbuild's syntax target is just a number), with a warning, since a typo such as
 * `--node 99` would otherwise pass silently; build and pack check the registry instead.
 */
export const newestKnownNodeMajor = 26;

/** The major of a version spec ("24.21.0" -> 24), the default's when there is none. */
export function nodeMajor(spec: string | undefined): number {
  return Number((spec ?? defaultNodeSpec).split(".")[0]);
}

/** The command sections of a config file; each command reads the top level, then its section. */
export const sections = ["bundle", "build", "lambda", "container"] as const;
export type Section = (typeof sections)[number];

/**
 * The options of one command, flattened: the file's top level, its section and the flags, in
 * that order of precedence. Every field is optional; stages fill defaults.
 */
export interface Config {
  entry?: string; // the service's entry module, relative to the config file
  outfile?: string; // output path of the command (bundle, executable, zip or directory); per section only
  depfile?: string; // make dependency file; per section only
  metafile?: string; // esbuild's metafile; per section only
  sbom?: string; // CycloneDX SBOM of the artifact; per section only
  report?: string; // HTML size report of the artifact; per section only
  node?: string; // Node version spec: "24", "24.21" or "24.21.0" (default "24")
  minify?: boolean; // minify the bundle (default true)
  sourcemap?: boolean; // inline source map; stack traces map back to TypeScript (default false)
  define?: Record<string, string>; // esbuild defines, K -> JS expression
  external?: string[]; // modules left out of the bundle
  assets?: string[]; // runtime files shipped with every artifact at their path from the project root: globs, made absolute against the config file's directory (flags: cwd)
  esmPackages?: string[]; // packages bundled from their ES module build ("module"): names or "@scope/*"; default the AWS SDK v3
  lazyBuiltins?: boolean; // packages' requires of the built-ins in lazyBuiltinModules load on first use (default false; --snapshot turns it on)
  eagerBuiltins?: string | string[]; // of those, the ones kept eager
  format?: BundleFormat; // bundle module format; absent: CommonJS unless the code needs an ES module (top-level await)
  contract?: Contract; // service shape; "auto" detects it at startup (default "auto")
  livenessPath?: string | false; // server-mode liveness endpoint (default "/healthz"), false = off
  readinessPath?: string | false; // server-mode readiness endpoint (default "/readyz"), false = off
  shutdownGraceSeconds?: number; // drain time after SIGTERM/SIGINT (default 10)
  workers?: number | "auto"; // server-mode worker processes sharing the port (default 1; BINSHIP_WORKERS overrides)
  arch?: Arch | Arch[]; // target CPU(s); pack lambda/build take one, pack container several
  runtime?: LambdaRuntime; // Lambda OS-only runtime (default "provided.al2023")
  invokeMode?: InvokeMode; // Function URL invoke mode (default "BUFFERED")
  basePath?: string; // path prefix stripped from REST API requests, e.g. "/prod"
  nodeBinary?: string; // use this Node binary for the target instead of the registry's
  generatorNode?: string; // use this host Node (same version) to generate the SEA blob
  sysroot?: string; // libraries bundled into provided.al2 zips
  strip?: boolean; // strip debug info from the Node binary (default true)
  codeCache?: boolean; // a V8 code cache of the bundle in the executable, compiled by the target's Node (default true)
  snapshot?: boolean; // a V8 startup snapshot of the service's module init in the executable (default false)
  image?: string; // container image reference for the k8s manifests
  name?: string; // service name for the k8s manifests (default: package name)
  port?: number; // container port (default 8080)
  replicas?: number; // Deployment replicas (default 2)
  layout?: ContainerLayout; // container layout (default "node"; "executable" with --executable)
  lambdaLayout?: (typeof lambdaLayoutNames)[number]; // pack lambda --layout (default "executable"; "layer": a Node layer + a function zip); "layout" in the lambda section
  k8s?: boolean; // write Kubernetes manifests (default true)
  zipLevel?: number; // deflate level of Lambda zips, 0-9 (default 6)
  fallbackLibraries?: boolean; // provided.al2023: ship libstdc++/libgcc_s in lib/ in case the runtime lacks them (default true)
  base?: string; // container base image (default: distroless cc, or distroless Node for layout "bundle")
  mountFrom?: string[]; // --push: repositories on the same registry to mount blobs from (after those remembered from earlier pushes)
  environment?: Record<string, string>; // binship invoke: the function's own variables (lambda section)
  memory?: number; // binship invoke: AWS_LAMBDA_FUNCTION_MEMORY_SIZE in MB, 128-10240 (default 128; lambda section)
  functionName?: string; // binship invoke: AWS_LAMBDA_FUNCTION_NAME, and the section of an --env-file it reads (default "function"; lambda section)
}

type Kind = "string" | "boolean" | "number" | "string[]" | "path[]" | "record" | "path" | "string|false" | "number|auto";

interface KeySpec {
  kind: Kind;
  description: string; // for the JSON Schema (editors show it)
  values?: readonly string[]; // accepted values for enumerations
  many?: boolean; // for enumerations: one value or an array of them
  check?: (value: unknown) => string | undefined; // returns a problem, or undefined when fine
  pattern?: string; // the same rule as `check` for the JSON Schema, where one regex says it
  minimum?: number; // likewise
  maximum?: number;
  integer?: boolean;
  in?: readonly Section[]; // the sections it may be written in; absent: the top level and every section
}

const positiveInt = (v: unknown) =>
  Number.isInteger(v) && (v as number) > 0 ? undefined : "a positive whole number";
const nodeSpec = (v: unknown) =>
  /^\d+(\.\d+){0,2}$/.test(String(v)) ? undefined : 'a version like "24", "24.21" or "24.21.0"';
const urlPath = (v: unknown) =>
  v === false || (typeof v === "string" && v.startsWith("/")) ? undefined : 'a path starting with "/", or false';

// An npm package name, a scope's every package ("@aws-sdk/*"), or "*" for every package.
const esmPackagePattern = "^(\\*|@[a-z0-9-~][a-z0-9-._~]*/(\\*|[a-z0-9-~][a-z0-9-._~]*)|[a-z0-9-~][a-z0-9-._~]*)$";
const esmPackageList = (v: unknown) =>
  Array.isArray(v) && v.every((p) => typeof p === "string" && new RegExp(esmPackagePattern).test(p))
    ? undefined
    : 'package names, "@scope/*" or "*", e.g. ["@aws-sdk/*", "@smithy/*"]';

const outputs = (what: string, where: readonly Section[]): KeySpec => ({ kind: "path", description: what, in: where });

export const schema: Record<keyof Config, KeySpec> = {
  entry: { kind: "path", description: "The service's entry module, relative to this file." },
  outfile: outputs("Output path of this command: the bundle, the executable, the Lambda zip or the container directory.", sections),
  depfile: outputs("Write a make dependency file here.", sections),
  metafile: outputs("Write esbuild's metafile (JSON) here.", ["bundle", "build", "lambda"]),
  sbom: outputs("Write a CycloneDX 1.6 JSON SBOM of the artifact here.", ["build", "lambda", "container"]),
  report: outputs("Write a self-contained HTML size report of the artifact here.", ["build", "lambda", "container"]),
  node: { kind: "string", description: 'Node version: "24", "24.21" or "24.21.0" (default "24").', check: nodeSpec, pattern: "^\\d+(\\.\\d+){0,2}$" },
  minify: { kind: "boolean", description: "Minify the bundle (default true)." },
  sourcemap: { kind: "boolean", description: "Embed a source map; stack traces point at the TypeScript sources (default false)." },
  define: { kind: "record", description: "Replace global expressions at build time: { \"process.env.STAGE\": \"\\\"prod\\\"\" }." },
  external: { kind: "string[]", description: "Modules left out of the bundle." },
  assets: {
    kind: "path[]",
    description: 'Runtime files shipped with the bundle, the executable, the Lambda zip and the image, at their path from the project root: globs relative to this file ("public/**", "views/*.hbs"; a folder ships everything in it). One that matches nothing is an error.',
  },
  esmPackages: {
    kind: "string[]",
    description: 'Packages bundled from their ES module build (package.json "module") instead of "main", so what the service does not import is left out: names, "@scope/*" or "*" (default: the AWS SDK v3, ["@aws-sdk/*", "@smithy/*", "@aws-crypto/*"]; [] for none).',
    check: esmPackageList,
    pattern: esmPackagePattern,
  },
  lazyBuiltins: { kind: "boolean", description: "Bundled packages' requires of heavy Node built-ins (http2, tls, crypto, zlib, ...) load the module on first use, not at start (default false; a snapshot build turns it on)." },
  eagerBuiltins: { kind: "string", description: "Built-ins kept eager although lazyBuiltins is on.", values: lazyBuiltinModules, many: true },
  format: { kind: "string", description: "Bundle format (default: cjs, esm when the code uses top-level await).", values: bundleFormats },
  contract: { kind: "string", description: "Service shape (default auto: detected at start-up).", values: contracts },
  livenessPath: { kind: "string|false", description: 'Server mode: liveness endpoint (default "/healthz"), false for none.', check: urlPath, pattern: "^/" },
  readinessPath: { kind: "string|false", description: 'Server mode: readiness endpoint (default "/readyz"), false for none.', check: urlPath, pattern: "^/" },
  shutdownGraceSeconds: {
    kind: "number",
    description: "Server mode: seconds to drain after SIGTERM/SIGINT (default 10).",
    check: (v) => ((v as number) >= 0 && (v as number) <= 3600 ? undefined : "a number of seconds from 0 to 3600"),
    minimum: 0,
    maximum: 3600,
  },
  workers: {
    kind: "number|auto",
    description: 'Server mode: worker processes sharing the port, or "auto" for the cores the container may use (default 1; BINSHIP_WORKERS overrides).',
    check: (v) => (v === "auto" || (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 1024) ? undefined : 'a whole number from 1 to 1024, or "auto"'),
    minimum: 1,
    maximum: 1024,
  },
  arch: { kind: "string", description: "Target CPU: build and pack lambda take one (default: the host's, arm64 for Lambda), pack container several (default both).", values: archs, many: true },
  runtime: { kind: "string", description: "Lambda OS-only runtime (default provided.al2023).", values: lambdaRuntimes, in: ["lambda"] },
  invokeMode: { kind: "string", description: "Lambda function URLs: BUFFERED (default) or RESPONSE_STREAM.", values: invokeModes },
  basePath: { kind: "string", description: 'Lambda REST APIs: path prefix stripped from requests, e.g. "/prod".', check: (v) => (String(v).startsWith("/") ? undefined : 'a path starting with "/"'), pattern: "^/" },
  nodeBinary: { kind: "path", description: "Use this linux-<arch> Node binary instead of downloading one." },
  generatorNode: { kind: "path", description: "Host Node of exactly the target's version, to generate the SEA blob." },
  sysroot: { kind: "path", description: "provided.al2: the libraries bundled into the zip.", in: ["lambda"] },
  strip: { kind: "boolean", description: "Strip the Node binary's symbols and debug info (default true)." },
  codeCache: { kind: "boolean", description: "Ship a V8 code cache of the bundle, compiled at build time by the target's own Node (default true): in the executable, or as the container node layout's compile cache; a faster start for some hundred KiB." },
  snapshot: {
    kind: "boolean",
    description: "Run the service's module init at build time, by the target's own Node, into a V8 startup snapshot in the executable (default false). Refused when that code reads process.env, the clock or random values, or uses http/https/http2/tls.",
    in: ["build"],
  },
  image: { kind: "string", description: "Image reference the Kubernetes manifests run.", in: ["container"] },
  name: {
    kind: "string",
    description: "Service name for the Kubernetes objects, a DNS-1123 label (default: package.json name).",
    check: (v) =>
      /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(String(v)) ? undefined : "a DNS-1123 label (lowercase letters, digits, '-')",
    pattern: "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
    in: ["container"],
  },
  port: { kind: "number", description: "Container port: the port the app listens on, the image's PORT (default 8080, or the number an app passes to its own listen() call).", check: (v) => (Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536 ? undefined : "a port from 1 to 65535"), integer: true, minimum: 1, maximum: 65535, in: ["container"] },
  replicas: { kind: "number", description: "Minimum replicas (default 2).", check: positiveInt, integer: true, minimum: 1, in: ["container"] },
  layout: { kind: "string", description: "Container layout: node (default: the stripped Node binary as its own shared layer + the bundle and its compile cache in a small layer), executable (one single executable per arch), or bundle (on distroless Node).", values: containerLayouts, in: ["container"] },
  lambdaLayout: { kind: "string", description: "Lambda layout: executable (default) or layer.", values: lambdaLayoutNames, in: ["lambda"] },
  k8s: { kind: "boolean", description: "Write Kubernetes manifests to k8s/ (default true).", in: ["container"] },
  fallbackLibraries: { kind: "boolean", description: "provided.al2023: ship libstdc++/libgcc_s in lib/ in case the runtime lacks them (default true).", in: ["lambda"] },
  zipLevel: { kind: "number", description: "Deflate level of the zips, 0-9 (default 6).", check: (v) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 9 ? undefined : "a whole number from 0 to 9"), integer: true, minimum: 0, maximum: 9, in: ["lambda"] },
  mountFrom: { kind: "string[]", description: "With --push: repositories on the same registry to mount blobs from instead of uploading them (the shared Node layer), e.g. [\"team/orders\"]; tried after those binship remembers from its earlier pushes.", in: ["container"] },
  base: { kind: "string", description: "Base image (default distroless cc; distroless Node for layout bundle).", in: ["container"] },
  environment: { kind: "record", description: "binship invoke: the function's environment variables, as on Lambda (--env and --env-file add to them).", in: ["lambda"] },
  memory: {
    kind: "number",
    description: "binship invoke: the function's memory in MB, 128-10240 (default 128): AWS_LAMBDA_FUNCTION_MEMORY_SIZE and REPORT's Memory Size.",
    check: (v) => (Number.isInteger(v) && (v as number) >= 128 && (v as number) <= 10240 ? undefined : "a whole number of MB from 128 to 10240"),
    integer: true,
    minimum: 128,
    maximum: 10240,
    in: ["lambda"],
  },
  functionName: {
    kind: "string",
    description: 'binship invoke: the function\'s name (default "function"): AWS_LAMBDA_FUNCTION_NAME, and the section of a SAM --env-file it reads.',
    check: (v) => (/^[A-Za-z0-9_-]{1,64}$/.test(String(v)) ? undefined : "a Lambda function name (1-64 letters, digits, '-' or '_')"),
    pattern: "^[A-Za-z0-9_-]{1,64}$",
    in: ["lambda"],
  },
};

export const configKeys = Object.keys(schema) as (keyof Config)[];

// A section spells a key its own way where the flat name would be ambiguous: "layout" in the
// lambda section is lambdaLayout. These are the file's names for each flat key, per section.
const sectionNames: Partial<Record<Section, Partial<Record<keyof Config, string>>>> = { lambda: { lambdaLayout: "layout", layout: "" } };
const fileName = (section: Section | undefined, key: keyof Config): string | undefined => {
  const spec = schema[key];
  if (section === undefined) return spec.in ? undefined : key;
  if (spec.in && !spec.in.includes(section)) return undefined;
  const renamed = sectionNames[section]?.[key];
  return renamed === "" ? undefined : (renamed ?? key);
};
/** The keys a section (or the top level, for undefined) accepts, by their names in the file. */
export function keysOf(section: Section | undefined): Map<string, keyof Config> {
  const out = new Map<string, keyof Config>();
  for (const key of configKeys) {
    const name = fileName(section, key);
    if (name) out.set(name, key);
  }
  return out;
}

/** Flags are named as the user typed them (--shutdown-grace-seconds), file keys as written. */
export const flagName = (key: string): string => (key === "assets" ? "--asset" : `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);

/** Pass as `where` to validateConfig for values that came from flags. */
export const commandLine = "command line";

function typeOk(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case "string":
    case "path":
      return typeof value === "string" && value.length > 0;
    case "boolean":
      return typeof value === "boolean";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "string[]":
      return Array.isArray(value) && value.every((x) => typeof x === "string");
    case "path[]":
      return Array.isArray(value) && value.every((x) => typeof x === "string" && x.length > 0);
    case "record":
      return typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((x) => typeof x === "string");
    case "string|false":
      return value === false || (typeof value === "string" && value.length > 0);
    case "number|auto":
      return value === "auto" || (typeof value === "number" && Number.isFinite(value));
  }
}

const kindNames: Record<Kind, string> = {
  string: "a non-empty string",
  path: "a file path (string)",
  boolean: "true or false",
  number: "a number",
  "string[]": "an array of strings",
  "path[]": "an array of paths or globs (non-empty strings)",
  record: "an object of string values",
  "string|false": "a string or false",
  "number|auto": 'a number or "auto"',
};

/** Closest of `known` by edit distance, for "did you mean". */
function suggest(key: string, known: Iterable<string>): string | undefined {
  const distance = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length]![b.length]!;
  };
  const best = [...known]
    .map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 3 ? best.k : undefined;
}

/** One problem of a config, before they are gathered into one error. */
interface Problem {
  text: string;
  hint?: string;
}

/** The problem with one value, or undefined when it is fine. */
function checkValue(spec: KeySpec, value: unknown, name: string): Problem | undefined {
  const values = spec.many && Array.isArray(value) ? value : [value];
  if (spec.many && Array.isArray(value) && value.length === 0) return { text: `${name} must not be an empty list` };
  for (const v of values) {
    if (!typeOk(spec.kind, v)) {
      return {
        text: `${name} must be ${kindNames[spec.kind]}${spec.many ? " (or a list of them)" : ""}, got ${JSON.stringify(v)}`,
        hint: spec.values ? `Accepted values: ${spec.values.join(", ")}.` : spec.kind === "path[]" ? 'Give each one a non-empty path or glob, e.g. ["public/**", "templates/*.html"].' : undefined,
      };
    }
    if (spec.values && !spec.values.includes(v as string)) {
      return { text: `${name} has the value ${JSON.stringify(v)}, which is not accepted`, hint: `Accepted values: ${spec.values.join(", ")}.` };
    }
    const problem = spec.check?.(v);
    if (problem) return { text: `${name} must be ${problem}, got ${JSON.stringify(v)}` };
  }
  return undefined;
}

/** One error for every problem found: the first in the message when it is the only one. */
function fail(where: string, problems: Problem[]): never {
  const prefix = where === commandLine ? "" : `${where}: `;
  if (problems.length === 1) throw new BinshipError("CONFIG_INVALID", `${prefix}${problems[0]!.text}`, { hint: problems[0]!.hint });
  throw new BinshipError("CONFIG_INVALID", `${prefix}${problems.length} problems`, {
    diagnostics: problems.map((p) => ({ text: p.text, hint: p.hint })),
    hint: "Fix each of them; `binship init` writes a config with a $schema, so an editor shows these as you type.",
  });
}

/** Checks a flat object of `known` keys, adding its problems; returns the typed values. */
function checkObject(raw: Record<string, unknown>, known: Map<string, keyof Config>, baseDir: string, nameOf: (key: string) => string, problems: Problem[], misplaced: (key: string) => Problem | undefined): Config {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    const key = known.get(name);
    if (!key) {
      const moved = misplaced(name);
      if (moved) {
        problems.push(moved);
        continue;
      }
      const near = suggest(name, known.keys());
      problems.push({ text: `${nameOf(name)} is not a known key`, hint: `${near ? `Did you mean "${near}"? ` : ""}Known keys here: ${[...known.keys()].join(", ")}.` });
      continue;
    }
    if (value === undefined) continue;
    const spec = schema[key];
    const problem = checkValue(spec, value, nameOf(name));
    if (problem) problems.push(problem);
    else out[key] = spec.kind === "path" ? resolve(baseDir, value as string) : spec.kind === "path[]" ? (value as string[]).map((v) => resolve(baseDir, v)) : value;
  }
  return out as Config;
}

/**
 * Checks flat options (flags, or API options) against the schema and returns them typed; every
 * key of every section is accepted. `where` names the source in messages; every problem is
 * listed. Path values are made absolute against `baseDir`.
 */
export function validateConfig(raw: unknown, where: string, baseDir: string): Config {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(where, [{ text: "the configuration must be a JSON object" }]);
  const problems: Problem[] = [];
  const known = new Map(configKeys.map((k) => [k, k] as const));
  const nameOf = (key: string) => (where === commandLine ? flagName(key) : `"${key}"`);
  const config = checkObject(raw as Record<string, unknown>, known, baseDir, nameOf, problems, () => undefined);
  if (problems.length) fail(where, problems);
  return config;
}

/** A config file: the shared top level and a section per command, each checked. */
export interface ConfigFile {
  shared: Config;
  sections: Partial<Record<Section, Config>>;
}

/**
 * Checks a whole config file (the top level and every section, every problem listed) and
 * returns it typed. `$schema` is accepted and ignored.
 */
export function validateConfigFile(raw: unknown, where: string, baseDir: string): ConfigFile {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(where, [{ text: "the configuration must be a JSON object" }]);
  const problems: Problem[] = [];
  const { $schema, ...rest } = raw as Record<string, unknown>;
  if ($schema !== undefined && typeof $schema !== "string") problems.push({ text: `"$schema" must be a string, got ${JSON.stringify($schema)}` });
  const top: Record<string, unknown> = {};
  const found: Partial<Record<Section, Record<string, unknown>>> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (!(sections as readonly string[]).includes(key)) top[key] = value;
    else if (typeof value === "object" && value !== null && !Array.isArray(value)) found[key as Section] = value as Record<string, unknown>;
    else problems.push({ text: `"${key}" must be an object of the ${key} command's options, got ${JSON.stringify(value)}` });
  }
  // A key of some sections written at the top level (or in the wrong section): say where it goes.
  const homeOf = (name: string, here: Section | undefined): Problem | undefined => {
    const homes = sections.filter((s) => s !== here && keysOf(s).has(name));
    if (!homes.length) return undefined;
    const at = here ? `"${here}.${name}"` : `"${name}"`;
    const example = `{ "${homes[0]}": { "${name}": … } }`;
    return {
      text: `${at} belongs in ${homes.length === 1 ? `the "${homes[0]}" section` : `a command's section (${homes.map((s) => `"${s}"`).join(", ")})`}`,
      hint: name === "outfile" ? `Each command writes its own output, so each names it in its own section: ${example}.` : `Move it there: ${example}.`,
    };
  };
  const shared = checkObject(top, keysOf(undefined), baseDir, (k) => `"${k}"`, problems, (k) => homeOf(k, undefined));
  const out: ConfigFile = { shared, sections: {} };
  for (const section of sections) {
    const body = found[section];
    if (body) out.sections[section] = checkObject(body, keysOf(section), baseDir, (k) => `"${section}.${k}"`, problems, (k) => homeOf(k, section));
  }
  if (problems.length) fail(where, problems);
  return out;
}

/** What one command reads from a config file: the top level under its own section. */
export function configFor(file: ConfigFile, section: Section): Config {
  return mergeConfig(file.shared, file.sections[section] ?? {});
}

/** The JSON Schema (draft 2020-12) of a config file, from the same key table the validator uses. */
export function configJsonSchema(): Record<string, unknown> {
  const property = (spec: KeySpec): Record<string, unknown> => {
    const base: Record<string, unknown> = { description: spec.description };
    const one: Record<string, unknown> = (() => {
      switch (spec.kind) {
        case "string":
        case "path":
          return { type: "string", minLength: 1, ...(spec.values ? { enum: [...spec.values] } : {}), ...(spec.pattern ? { pattern: spec.pattern } : {}) };
        case "boolean":
          return { type: "boolean" };
        case "number":
          return { type: spec.integer ? "integer" : "number", ...(spec.minimum !== undefined ? { minimum: spec.minimum } : {}), ...(spec.maximum !== undefined ? { maximum: spec.maximum } : {}) };
        case "string[]":
          return { type: "array", items: { type: "string", ...(spec.pattern ? { pattern: spec.pattern } : {}) } };
        case "path[]":
          return { type: "array", items: { type: "string", minLength: 1 } };
        case "record":
          return { type: "object", additionalProperties: { type: "string" } };
        case "string|false":
          return { anyOf: [{ type: "string", minLength: 1, ...(spec.pattern ? { pattern: spec.pattern } : {}) }, { const: false }] };
        case "number|auto":
          return { anyOf: [{ type: "integer", ...(spec.minimum !== undefined ? { minimum: spec.minimum } : {}), ...(spec.maximum !== undefined ? { maximum: spec.maximum } : {}) }, { const: "auto" }] };
      }
    })();
    if (spec.many) return { ...base, anyOf: [one, { type: "array", items: one, minItems: 1 }] };
    return { ...base, ...one };
  };
  const objectOf = (section: Section | undefined): Record<string, unknown> => ({
    type: "object",
    additionalProperties: false,
    properties: Object.fromEntries([...keysOf(section)].map(([name, key]) => [name, property(schema[key])])),
  });
  const top = objectOf(undefined);
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "binship config",
    description: "binship.config.json: options shared by every command at the top level, each command's own (and its outputs) in its section.",
    ...top,
    properties: {
      $schema: { type: "string", description: "This schema, for editors." },
      ...(top.properties as object),
      ...Object.fromEntries(sections.map((s) => [s, { ...objectOf(s), description: `Options of \`binship ${s === "lambda" || s === "container" ? `pack ${s}` : s}\`${s === "lambda" ? " and `binship invoke`" : ""} (over the top level's).` }])),
    },
  };
}

export interface LoadedFile {
  contents: ConfigFile;
  file?: string; // where it came from, absent when there is no config
}

/** One command's options and the file they came from. */
export interface LoadedConfig {
  config: Config;
  file?: string; // where it came from, absent when there is no config
}

const emptyFile = (): ConfigFile => ({ shared: {}, sections: {} });

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new BinshipError("CONFIG_INVALID", `cannot read config file ${file}`, { cause: err, hint: "Check the --config path." });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BinshipError("CONFIG_INVALID", `${file} is not valid JSON: ${(err as Error).message}`, { cause: err, hint: "Fix the file: JSON has no comments or trailing commas. `binship init` in an empty directory shows a valid config." });
  }
}

/**
 * Finds the config for `cwd`: an explicit file, else binship.config.json, else the "binship"
 * key of package.json, else an empty config.
 */
export async function loadConfig(cwd: string, explicitFile?: string): Promise<LoadedFile> {
  if (explicitFile) {
    const file = isAbsolute(explicitFile) ? explicitFile : resolve(cwd, explicitFile);
    return { contents: validateConfigFile(await readJson(file), file, dirname(file)), file };
  }
  const own = join(cwd, "binship.config.json");
  try {
    const raw = await readFile(own, "utf8");
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      throw new BinshipError("CONFIG_INVALID", `${own} is not valid JSON: ${(err as Error).message}`, { cause: err, hint: "Fix the file: JSON has no comments or trailing commas. `binship init` in an empty directory shows a valid config." });
    }
    return { contents: validateConfigFile(parsed, own, cwd), file: own };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const pkgFile = join(cwd, "package.json");
  let text: string;
  try {
    text = await readFile(pkgFile, "utf8");
  } catch {
    return { contents: emptyFile() };
  }
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch (err) {
    // The project's own package.json is configuration (its "binship" key, the package name).
    throw new BinshipError("CONFIG_INVALID", `${pkgFile} is not valid JSON: ${(err as Error).message}`, { cause: err, hint: "Fix the file (npm would refuse it too)." });
  }
  const section = (pkg as { binship?: unknown }).binship;
  if (section === undefined) return { contents: emptyFile() };
  return { contents: validateConfigFile(section, `${pkgFile} ("binship" key)`, cwd), file: pkgFile };
}

/**
 * The one target CPU of a command that makes one artifact: the configured arch, else `fallback`.
 * A list of several is refused, naming the command.
 */
export function singleArch(value: Config["arch"], fallback: Arch, command: string, why = ""): Arch {
  if (value === undefined) return fallback;
  if (!Array.isArray(value)) return value;
  if (value.length === 1) return value[0]!;
  throw new BinshipError("CONFIG_INVALID", `${command} makes one architecture, but "arch" lists ${value.join(", ")}`, {
    hint: `Pass one --arch (arm64 or x64)${why}; run ${command} once per architecture for more.`,
  });
}

/**
 * Flags win over the file; undefined flags leave the file's value. Objects (`define`) merge
 * key by key, so one --define overrides one entry of the file's defines, not all of them.
 */
export function mergeConfig(file: Config, flags: Config): Config {
  const out: Record<string, unknown> = { ...file };
  for (const [k, v] of Object.entries(flags)) {
    if (v === undefined) continue;
    const record = (schema as Record<string, KeySpec | undefined>)[k]?.kind === "record";
    out[k] = record ? { ...(out[k] as object | undefined), ...(v as object) } : v;
  }
  return out as Config;
}
