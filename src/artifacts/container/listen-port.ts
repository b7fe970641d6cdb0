// Self-listening apps in the container recipe. The runtime serves its probe endpoints only on
// a server it starts itself; an app that calls listen() owns its port, answers 404 on /healthz,
// and may listen on a fixed port instead of $PORT. The app's own sources (not node_modules, not
// binship's runtime) are scanned for listen() calls, so the manifests can probe the app's TCP
// port and carry the port it really listens on.

import { readFileSync } from "node:fs";
import { join, sep } from "node:path";
import { diagnostic, type Diagnostic } from "../../diagnostic.js";
import { packageRoot } from "../../paths.js";
import type { Config } from "../../config.js";
import type { ContainerOptions } from "./index.js";

/** One `.listen(` call in the app's sources; `port` when its port is a number literal. */
export interface ListenCall {
  file: string; // absolute path
  line: number; // 1-based
  column: number; // 0-based
  lineText: string;
  port?: number;
}

const sourceFile = /\.(?:[cm]?[jt]s|[jt]sx)$/;
// `.listen(3000`, `.listen({ port: 3000`, `.listen(` with anything else (process.env.PORT, a variable).
const listenCall = /\.listen\s*\(/g;
const literalPort = /^\s*(\d{1,5})\s*[,)]/;
const objectPort = /^\s*\{[^}]*?\bport\s*:\s*(\d{1,5})\b/;

/** The app's own files among the bundle's inputs: not a dependency, not binship's runtime. */
function ownSources(inputs: readonly string[]): string[] {
  // binship's runtime is bundled from lib/ (src/runtime/ when run from a checkout's sources).
  const runtime = [join(packageRoot(), "lib") + sep, join(packageRoot(), "src", "runtime") + sep];
  return inputs.filter((f) => sourceFile.test(f) && !f.split(sep).includes("node_modules") && !runtime.some((r) => f.startsWith(r)));
}

/** Blanks comments (keeping line breaks and columns), so a commented-out listen() is not one. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (c) => c.replace(/[^\n]/g, " "));
}

export function findListenCalls(inputs: readonly string[], read: (file: string) => string = (f) => readFileSync(f, "utf8")): ListenCall[] {
  const calls: ListenCall[] = [];
  for (const file of ownSources(inputs)) {
    let text: string;
    try {
      text = read(file);
    } catch {
      continue; // a file esbuild read but that is gone now tells nothing
    }
    const code = withoutComments(text);
    const lines = text.split("\n");
    for (const m of code.matchAll(listenCall)) {
      const after = code.slice(m.index + m[0].length, m.index + m[0].length + 200);
      const literal = literalPort.exec(after) ?? objectPort.exec(after);
      const port = literal ? Number(literal[1]) : undefined;
      const before = code.slice(0, m.index);
      const line = before.split("\n").length;
      const column = m.index - (before.lastIndexOf("\n") + 1);
      calls.push({ file, line, column, lineText: lines[line - 1] ?? "", ...(port !== undefined && port > 0 && port < 65536 ? { port } : {}) });
    }
  }
  return calls;
}

export interface ListenAdapted {
  options: ContainerOptions;
  warnings: Diagnostic[];
}

const at = (c: ListenCall): Pick<Diagnostic, "file" | "line" | "column" | "lineText"> => ({ file: c.file, line: c.line, column: c.column, lineText: c.lineText });

/**
 * The container options for what the scan found. A self-listening app gets TCP probes on its
 * port (binship's probe endpoints exist only on binship's own server); a fixed port becomes the
 * container port, the image's PORT and the Service's target, unless `container.port` states one,
 * and either way a port that is not $PORT is a warning naming both.
 */
export function adaptToListenCalls(options: ContainerOptions, config: Config, calls: readonly ListenCall[]): ListenAdapted {
  const contract = config.contract ?? "auto";
  if (calls.length === 0 || (contract !== "auto" && contract !== "listen")) return { options, warnings: [] };
  const warnings: Diagnostic[] = [];
  const first = calls[0]!;
  const fixed = calls.find((c) => c.port !== undefined);
  let port = options.port;
  if (fixed && config.port === undefined) {
    port = fixed.port!;
    warnings.push({
      ...at(fixed),
      text: `the app listens on port ${fixed.port} itself, not on $PORT (${options.port} by default): the image's PORT, the containerPort and the Service's targetPort use ${fixed.port}`,
      hint: `Listen on Number(process.env.PORT) to follow the container's port, or set "container": { "port": ${fixed.port} } to state it.`,
    });
  } else if (fixed && fixed.port !== config.port) {
    warnings.push({
      ...at(fixed),
      text: `the app listens on port ${fixed.port}, but container.port is ${config.port}: the image's PORT, the containerPort and the probes use ${config.port}, where the app does not listen`,
      hint: `Listen on Number(process.env.PORT) in the app, or set "container": { "port": ${fixed.port} }.`,
    });
  }
  const others = calls.filter((c) => c.port !== undefined && c.port !== fixed?.port);
  if (fixed && others.length > 0) {
    const places = [fixed, ...others].map((c) => `${c.port} (line ${c.line} of ${c.file})`).join(", ");
    warnings.push({
      ...at(others[0]!),
      text: `the app listens on several fixed ports: ${places}; the recipe serves ${port}`,
      hint: `State the port Kubernetes should route to with "container": { "port": N }.`,
    });
  }
  if (options.livenessPath !== false || options.readinessPath !== false) {
    warnings.push({
      ...at(first),
      ...diagnostic(
        `the app calls listen() itself, so binship's ${[options.livenessPath, options.readinessPath].filter(Boolean).join(" and ")} are not served: the manifests probe the app's TCP port instead`,
        "Nothing to do for TCP probes; to get binship's server with its HTTP probe endpoints instead, export the app (export default app) rather than calling listen().",
      ),
    });
  }
  return { options: { ...options, port, livenessPath: false, readinessPath: false }, warnings };
}
