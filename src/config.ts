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
export const containerLayouts = ["executable", "bundle"] as const;
export const lambdaLayoutNames = ["executable", "layer"] as const; // artifacts/lambda/layouts/index.ts has one layout per name
export type ContainerLayout = (typeof containerLayouts)[number];
export const bundleFormats = ["cjs", "esm"] as const;
export type BundleFormat = (typeof bundleFormats)[number];

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

/** Everything a config file may hold. Every field is optional; stages fill defaults. */
export interface Config {
  entry?: string; // the service's entry module, relative to the config file
  outfile?: string; // output path of the command (bundle, executable, zip or directory)
  node?: string; // Node version spec: "24", "24.21" or "24.21.0" (default "24")
  minify?: boolean; // minify the bundle (default true)
  sourcemap?: boolean; // inline source map; stack traces map back to TypeScript (default false)
  define?: Record<string, string>; // esbuild defines, K -> JS expression
  external?: string[]; // modules left out of the bundle
  format?: BundleFormat; // bundle module format; absent: CommonJS unless the code needs an ES module (top-level await)
  contract?: Contract; // service shape; "auto" detects it at startup (default "auto")
  livenessPath?: string | false; // server-mode liveness endpoint (default "/healthz"), false = off
  readinessPath?: string | false; // server-mode readiness endpoint (default "/readyz"), false = off
  shutdownGraceSeconds?: number; // drain time after SIGTERM/SIGINT (default 10)
  arch?: Arch | Arch[]; // target CPU(s); pack lambda/build take one, pack container several
  runtime?: LambdaRuntime; // Lambda OS-only runtime (default "provided.al2023")
  invokeMode?: InvokeMode; // Function URL invoke mode (default "BUFFERED")
  basePath?: string; // path prefix stripped from REST API requests, e.g. "/prod"
  nodeBinary?: string; // use this Node binary for the target instead of the registry's
  generatorNode?: string; // use this host Node (same version) to generate the SEA blob
  sysroot?: string; // libraries bundled into provided.al2 zips
  strip?: boolean; // strip debug info from the Node binary (default true)
  image?: string; // container image reference for the k8s manifests
  name?: string; // service name for the k8s manifests (default: package name)
  port?: number; // container port (default 8080)
  replicas?: number; // Deployment replicas (default 2)
  layout?: ContainerLayout; // container layout (default "executable")
  lambdaLayout?: (typeof lambdaLayoutNames)[number]; // pack lambda --layout (default "executable"; "layer": a Node layer + a function zip)
  k8s?: boolean; // write Kubernetes manifests (default true)
  zipLevel?: number; // deflate level of Lambda zips, 0-9 (default 6)
  fallbackLibraries?: boolean; // provided.al2023: ship libstdc++/libgcc_s in lib/ in case the runtime lacks them (default true)
  base?: string; // container base image (default: distroless cc, or distroless Node for layout "bundle")
}

type Kind = "string" | "boolean" | "number" | "string[]" | "record" | "path" | "string|false";

interface KeySpec {
  kind: Kind;
  values?: readonly string[]; // accepted values for enumerations
  many?: boolean; // for enumerations: one value or an array of them
  check?: (value: unknown) => string | undefined; // returns a problem, or undefined when fine
}

const positiveInt = (v: unknown) =>
  Number.isInteger(v) && (v as number) > 0 ? undefined : "a positive whole number";
const nodeSpec = (v: unknown) =>
  /^\d+(\.\d+){0,2}$/.test(String(v)) ? undefined : 'a version like "24", "24.21" or "24.21.0"';
const urlPath = (v: unknown) =>
  v === false || (typeof v === "string" && v.startsWith("/")) ? undefined : 'a path starting with "/", or false';

export const schema: Record<keyof Config, KeySpec> = {
  entry: { kind: "path" },
  outfile: { kind: "path" },
  node: { kind: "string", check: nodeSpec },
  minify: { kind: "boolean" },
  sourcemap: { kind: "boolean" },
  define: { kind: "record" },
  external: { kind: "string[]" },
  format: { kind: "string", values: bundleFormats },
  contract: { kind: "string", values: contracts },
  livenessPath: { kind: "string|false", check: urlPath },
  readinessPath: { kind: "string|false", check: urlPath },
  shutdownGraceSeconds: {
    kind: "number",
    check: (v) => ((v as number) >= 0 && (v as number) <= 3600 ? undefined : "a number of seconds from 0 to 3600"),
  },
  arch: { kind: "string", values: archs, many: true },
  runtime: { kind: "string", values: lambdaRuntimes },
  invokeMode: { kind: "string", values: invokeModes },
  basePath: { kind: "string", check: (v) => (String(v).startsWith("/") ? undefined : 'a path starting with "/"') },
  nodeBinary: { kind: "path" },
  generatorNode: { kind: "path" },
  sysroot: { kind: "path" },
  strip: { kind: "boolean" },
  image: { kind: "string" },
  name: {
    kind: "string",
    check: (v) =>
      /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(String(v)) ? undefined : "a DNS-1123 label (lowercase letters, digits, '-')",
  },
  port: { kind: "number", check: (v) => (Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536 ? undefined : "a port from 1 to 65535") },
  replicas: { kind: "number", check: positiveInt },
  layout: { kind: "string", values: containerLayouts },
  lambdaLayout: { kind: "string", values: lambdaLayoutNames },
  k8s: { kind: "boolean" },
  fallbackLibraries: { kind: "boolean" },
  zipLevel: { kind: "number", check: (v) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 9 ? undefined : "a whole number from 0 to 9") },
  base: { kind: "string" },
};

export const configKeys = Object.keys(schema) as (keyof Config)[];

/** Flags are named as the user typed them (--shutdown-grace-seconds), file keys as written. */
export const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function invalid(where: string, key: string, problem: string, hint?: string): BinshipError {
  const name = where === commandLine ? flagName(key) : `"${key}"`;
  return new BinshipError("CONFIG_INVALID", `${where === commandLine ? "" : `${where}: `}${name} ${problem}`, { hint });
}

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
    case "record":
      return typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((x) => typeof x === "string");
    case "string|false":
      return value === false || (typeof value === "string" && value.length > 0);
  }
}

const kindNames: Record<Kind, string> = {
  string: "a non-empty string",
  path: "a file path (string)",
  boolean: "true or false",
  number: "a number",
  "string[]": "an array of strings",
  record: "an object of string values",
  "string|false": "a string or false",
};

/** Closest known key by edit distance, for "did you mean". */
function suggest(key: string): string | undefined {
  const distance = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length]![b.length]!;
  };
  const best = configKeys
    .map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 3 ? best.k : undefined;
}

/**
 * Checks a loose object against the schema and returns it typed. `where` names the source
 * in messages ("binship.config.json", "--arch"). Path values are made absolute against `baseDir`.
 */
export function validateConfig(raw: unknown, where: string, baseDir: string): Config {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new BinshipError("CONFIG_INVALID", `${where}: the configuration must be a JSON object`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const spec = (schema as Record<string, KeySpec | undefined>)[key];
    if (!spec) {
      const near = suggest(key);
      throw invalid(where, key, "is not a known key", `${near ? `Did you mean "${near}"? ` : ""}Known keys: ${configKeys.join(", ")}.`);
    }
    if (value === undefined) continue;
    const values = spec.many && Array.isArray(value) ? value : [value];
    if (spec.many && Array.isArray(value) && value.length === 0) throw invalid(where, key, "must not be an empty list");
    for (const v of values) {
      if (!typeOk(spec.kind, v)) {
        throw invalid(where, key, `must be ${kindNames[spec.kind]}${spec.many ? " (or a list of them)" : ""}, got ${JSON.stringify(v)}`,
          spec.values ? `Accepted values: ${spec.values.join(", ")}.` : undefined);
      }
      if (spec.values && !spec.values.includes(v as string)) {
        throw invalid(where, key, `has the value ${JSON.stringify(v)}, which is not accepted`, `Accepted values: ${spec.values.join(", ")}.`);
      }
      const problem = spec.check?.(v);
      if (problem) throw invalid(where, key, `must be ${problem}, got ${JSON.stringify(v)}`);
    }
    out[key] = spec.kind === "path" ? resolve(baseDir, value as string) : value;
  }
  return out as Config;
}

export interface LoadedConfig {
  config: Config;
  file?: string; // where it came from, absent when there is no config
}

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
    throw new BinshipError("CONFIG_INVALID", `${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Finds the config for `cwd`: an explicit file, else binship.config.json, else the "binship"
 * key of package.json, else an empty config.
 */
export async function loadConfig(cwd: string, explicitFile?: string): Promise<LoadedConfig> {
  if (explicitFile) {
    const file = isAbsolute(explicitFile) ? explicitFile : resolve(cwd, explicitFile);
    return { config: validateConfig(await readJson(file), file, dirname(file)), file };
  }
  const own = join(cwd, "binship.config.json");
  try {
    const raw = await readFile(own, "utf8");
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      throw new BinshipError("CONFIG_INVALID", `${own} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    return { config: validateConfig(parsed, own, cwd), file: own };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const pkgFile = join(cwd, "package.json");
  let text: string;
  try {
    text = await readFile(pkgFile, "utf8");
  } catch {
    return { config: {} };
  }
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch (err) {
    // The project's own package.json is configuration (its "binship" key, the package name).
    throw new BinshipError("CONFIG_INVALID", `${pkgFile} is not valid JSON: ${(err as Error).message}`, { cause: err, hint: "Fix the file (npm would refuse it too)." });
  }
  const section = (pkg as { binship?: unknown }).binship;
  if (section === undefined) return { config: {} };
  return { config: validateConfig(section, `${pkgFile} ("binship" key)`, cwd), file: pkgFile };
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
