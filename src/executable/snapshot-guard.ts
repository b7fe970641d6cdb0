// The snapshot guard's verdict, in the build: runtime/snapshot.ts (inside the generator) reports
// every read of process.env, the clock or a random source, and every use of a built-in that
// cannot be in a snapshot, with V8's stack text; here each stack is mapped through the bundle's
// source map to the module that made the call (the first frame that is neither binship's runtime
// nor Node's), and all of them become one error. A build that reads the environment at init
// would ship the build machine's values in every start, so there is no way to accept a finding
// but to move the read (README "Start-up": why there is no allow-list).

import { SourceMap } from "node:module";
import { dirname, isAbsolute, resolve } from "node:path";
import type { Diagnostic } from "../diagnostic.js";
import { BinshipError } from "../errors.js";
import { shownPath } from "../util/shown-path.js";

export const reportPrefix = "binship-snapshot-report:"; // runtime/snapshot.ts writes it (the runtime imports nothing from here)

export interface Finding {
  kind: "env" | "clock" | "random" | "timer" | "builtin" | "host";
  what: string;
  stack: string;
  module?: string; // the module whose own init made it (its esbuild path), in a probe
}

/** The probe run's record of the whole init (runtime/snapshot.ts writes it; snapshot-plan.ts reads it). */
export interface ProbeReport {
  order: string[]; // modules in the order their inits completed
  imports: Record<string, string[]>;
  threw: string[];
  globals: Record<string, string[]>; // module -> shared globals its own init changed
  findings: Finding[];
  error?: string; // the service's init threw
}

interface Report {
  findings: Finding[];
  error?: string; // the module's init threw (with no finding behind it: a plain bug, or something else that needs the start)
}

export interface GuardContext {
  bundle: string; // the bundle file: the map's sources are relative to its directory
  sourceMap?: string; // the bundle's source map (JSON)
  projectDir: string; // paths are shown relative to it
}

/** The report line in the generator's output, if any. */
export function readReport(log: string): Report | undefined {
  const line = log.split("\n").find((l) => l.startsWith(reportPrefix));
  if (!line) return undefined;
  try {
    return JSON.parse(line.slice(reportPrefix.length)) as Report;
  } catch {
    return undefined;
  }
}

/** `node_modules/<pkg>` for a package's file (the innermost package), the project-relative path otherwise. */
function moduleName(file: string, projectDir: string): string {
  const parts = file.split("/");
  const at = parts.lastIndexOf("node_modules");
  if (at >= 0 && parts[at + 1]) return `node_modules/${parts[at + 1].startsWith("@") ? `${parts[at + 1]}/${parts[at + 2] ?? ""}` : parts[at + 1]}`;
  return shownPath(projectDir, file);
}

const framePattern = /\(?((?:\/|[a-z][a-z+.-]*:)[^()\s]*?):(\d+):(\d+)\)?$/;

/**
 * The user's or a package's module behind a stack, with its line, and the outermost frame of
 * another module that led there (the service's line that called into the package); undefined
 * when every frame is binship's or Node's.
 */
function attribute(stack: string, map: SourceMap | undefined, ctx: GuardContext): { module: string; at: string } | undefined {
  const frames = [...frameSources(stack, map, ctx)];
  const first = frames[0];
  if (!first) return undefined;
  const from = frames.findLast((f) => f.module !== first.module);
  return { module: first.module, at: from ? `${first.at}, reached from ${from.at}` : first.at };
}

function* frameSources(stack: string, map: SourceMap | undefined, ctx: GuardContext): Generator<{ module: string; at: string }> {
  for (const line of stack.split("\n").slice(1)) {
    const m = framePattern.exec(line.trim());
    if (!m || m[1]!.startsWith("node:")) continue;
    const entry = map?.findEntry(Number(m[2]) - 1, Number(m[3]) - 1) as { originalSource?: string; originalLine?: number } | undefined;
    const source = entry?.originalSource;
    if (!source || source.startsWith("binship-") || source.includes("binship-runtime:") || source.includes("binship-shim:")) continue;
    const path = source.startsWith("file://") ? new URL(source).pathname : isAbsolute(source) ? source : resolve(dirname(ctx.bundle), source);
    yield { module: moduleName(path, ctx.projectDir), at: `${shownPath(ctx.projectDir, path)}:${(entry.originalLine ?? 0) + 1}` };
  }
}

const kindWords: Record<Finding["kind"], string> = {
  env: "reads process.env.",
  clock: "reads the clock:",
  random: "takes random values:",
  timer: "starts a timer:",
  builtin: "uses",
  host: "reads the build machine's",
};

/** "reads process.env.X", or "writes"/"deletes" for the runtime's "X (written)"/"X (deleted)". */
function envWords(what: string): string {
  const m = /^(.*) \((written|deleted)\)$/.exec(what);
  return m ? `${m[2] === "written" ? "writes" : "deletes"} process.env.${m[1]}` : `${kindWords.env}${what}`;
}

/** What one finding says: "reads process.env.X", "reads the clock: Date.now()". */
export function findingWords(f: Pick<Finding, "kind" | "what">): string {
  return f.kind === "env" ? envWords(f.what) : `${kindWords[f.kind]} ${f.what}`;
}

/** One error for the whole report: each module with what it read, then the fix. */
export function refusal(report: Report, ctx: GuardContext): BinshipError {
  const map = ctx.sourceMap ? new SourceMap(JSON.parse(ctx.sourceMap) as ConstructorParameters<typeof SourceMap>[0]) : undefined;
  const byModule = new Map<string, { at: string; what: Set<string> }>();
  for (const f of report.findings) {
    const where = attribute(f.stack, map, ctx) ?? { module: "(module unknown: no frame of the service)", at: "" };
    const entry = byModule.get(where.module) ?? { at: where.at, what: new Set<string>() };
    entry.what.add(findingWords(f));
    byModule.set(where.module, entry);
  }
  if (byModule.size === 0) {
    return new BinshipError("EXECUTABLE_FAILED", "the service's module init failed while the startup snapshot was built", {
      diagnostics: (report.error ?? "").split("\n").slice(0, 8).map((text) => ({ text })),
      hint: "The module's top-level code runs at build time with --snapshot (with only PATH in its environment); fix the error, or build without --snapshot.",
    });
  }
  const diagnostics: Diagnostic[] = [...byModule].map(([module, { at, what }]) => ({ text: `${module}${at && at !== module ? ` (${at})` : ""}: ${[...what].join(", ")}` }));
  const kinds = new Set(report.findings.map((f) => f.kind));
  const what = [
    ...(kinds.has("env") || kinds.has("clock") || kinds.has("random") || kinds.has("host") ? ["reads values a startup snapshot would freeze at their build-time values"] : []),
    ...(kinds.has("timer") ? ["starts timers, which would run at build time instead of at each start"] : []),
    ...(kinds.has("builtin") ? ["uses built-ins that cannot be in a startup snapshot"] : []),
  ].join(", and ");
  return new BinshipError("SNAPSHOT_REFUSED", `--snapshot: the service's init ${what} (${byModule.size} module${byModule.size === 1 ? "" : "s"})`, {
    diagnostics,
    hint: "Do it inside a function that runs at the first request (read the variable there, create the client or start the timer on first use), not at module top level; or build without --snapshot.",
  });
}
