// What a function's process sees under `binship invoke`, as on Lambda: Lambda's own variables
// (the emulator's, plus the unreserved PATH/LANG/LD_LIBRARY_PATH Lambda sets for provided.*
// runtimes), the region, the host's AWS credentials in the variables SAM passes, and the user's
// variables. No other host variable: a function that works here because of the developer's
// shell would fail on Lambda. "Defined runtime environment variables":
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime

import { BinshipError } from "../errors.js";
import { registerSecret } from "../util/redact.js";

/** Lambda's unreserved variables for provided.* runtimes; the zip launcher appends the task root (and /opt) to LD_LIBRARY_PATH. */
export const lambdaBaseEnv: Readonly<Record<string, string>> = {
  PATH: "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
  LANG: "en_US.UTF-8",
  LD_LIBRARY_PATH: "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib",
};

/** The credential variables passed from the host when set, as `sam local invoke` passes them. */
export const credentialVariables = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] as const;

/** Lambda's reserved keys: a function's configuration cannot set them (Lambda refuses it too). */
const reserved = new Set([
  "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
  "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
]);

const keyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

function reservedHint(key: string): string {
  if (key.endsWith("REGION")) return "Pass the region with --region (or set AWS_REGION in the shell that runs binship).";
  if (key === "AWS_LAMBDA_FUNCTION_MEMORY_SIZE") return "Use --memory (or \"memory\" in the config's lambda section).";
  if (key === "AWS_LAMBDA_FUNCTION_NAME") return "Use --function-name (or \"functionName\" in the config's lambda section).";
  if (key.includes("KEY") || key === "AWS_SESSION_TOKEN") return "Credentials come from the shell that runs binship: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.";
  return "Lambda sets it itself.";
}

/** Checks the user's variables: names Lambda accepts, none of its reserved keys. */
export function checkUserVariables(vars: Record<string, string>, where: string): void {
  for (const key of Object.keys(vars)) {
    if (!keyPattern.test(key)) throw new BinshipError("USAGE", `${where}: "${key}" is not a valid environment variable name`, { hint: "Names are letters, digits and underscores, not starting with a digit." });
    if (reserved.has(key)) throw new BinshipError("USAGE", `${where}: ${key} is one of Lambda's reserved variables, which a function's configuration cannot set`, { hint: reservedHint(key) });
  }
}

/** `--env KEY=VALUE` flags as variables. */
export function parseEnvFlags(flags: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf("=");
    if (eq <= 0) throw new BinshipError("USAGE", `--env takes KEY=VALUE, got "${flag}"`, { hint: "Example: --env TABLE_NAME=orders (repeatable)." });
    out[flag.slice(0, eq)] = flag.slice(eq + 1);
  }
  checkUserVariables(out, "--env");
  return out;
}

/**
 * An env file: SAM's `--env-vars` JSON ({"Parameters": {...}, "<FunctionName>": {...}}:
 * Parameters apply to every function, the function's own section over them), or a dotenv file
 * (KEY=VALUE lines, `#` comments, optional `export ` and quotes). `sections` lists the JSON's
 * function sections, so the caller can say when none is this function's.
 */
export function parseEnvFile(text: string, file: string, functionName: string): { vars: Record<string, string>; sections: string[] } {
  if (text.trimStart().startsWith("{")) return samEnvVars(text, file, functionName);
  const vars: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const m = /^(?:export\s+)?([^=\s]+)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new BinshipError("USAGE", `${file}:${i + 1}: expected KEY=VALUE, got "${line}"`, { hint: "A dotenv file holds KEY=VALUE lines and # comments; SAM's --env-vars JSON works too." });
    vars[m[1]!] = dotenvValue(m[2]!);
  });
  checkUserVariables(vars, file);
  return { vars, sections: [] };
}

function dotenvValue(value: string): string {
  const q = value[0];
  if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) {
    const inner = value.slice(1, -1);
    // Double quotes take the usual escapes; single quotes are literal.
    return q === '"' ? inner.replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: "\n", r: "\r", t: "\t" })[c] ?? c) : inner;
  }
  return value.replace(/\s+#.*$/, ""); // an unquoted value ends at a comment
}

function samEnvVars(text: string, file: string, functionName: string): { vars: Record<string, string>; sections: string[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new BinshipError("USAGE", `${file} is not valid JSON: ${(err as Error).message}`, { hint: 'SAM\'s --env-vars shape: {"Parameters": {"KEY": "value"}, "MyFunction": {"KEY": "value"}}.' });
  }
  const sectionOf = (name: string): Record<string, string> => {
    const section = (doc as Record<string, unknown>)[name];
    if (section === undefined) return {};
    if (typeof section !== "object" || section === null || Array.isArray(section)) throw new BinshipError("USAGE", `${file}: "${name}" must be an object of variables`, { hint: '{"Parameters": {"KEY": "value"}}' });
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(section)) {
      if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") throw new BinshipError("USAGE", `${file}: "${name}.${k}" must be a string, a number or a boolean`);
      out[k] = String(v);
    }
    return out;
  };
  const vars = { ...sectionOf("Parameters"), ...sectionOf(functionName) };
  checkUserVariables(vars, file);
  return { vars, sections: Object.keys(doc as object).filter((k) => k !== "Parameters") };
}

/** The host's region (AWS_REGION, else AWS_DEFAULT_REGION), us-east-1 when it has none; `flag` wins. */
export function regionOf(host: NodeJS.ProcessEnv, flag?: string): string {
  return flag ?? (host.AWS_REGION || host.AWS_DEFAULT_REGION || "us-east-1");
}

/**
 * The function's variables before the emulator adds Lambda's reserved ones: Lambda's unreserved
 * defaults, the host's credentials (registered as secrets, never logged), the user's variables.
 */
export function functionEnvironment(host: NodeJS.ProcessEnv, user: Record<string, string>): Record<string, string> {
  const credentials: Record<string, string> = {};
  for (const key of credentialVariables) {
    const value = host[key];
    if (!value) continue;
    credentials[key] = value;
    if (key !== "AWS_ACCESS_KEY_ID") registerSecret(value);
  }
  return { ...lambdaBaseEnv, ...user, ...credentials };
}
