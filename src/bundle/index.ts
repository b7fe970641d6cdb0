// Stage 1: the service and the runtime, bundled by esbuild into one CommonJS file (Node's
// single-executable blobs run CommonJS). Deterministic, written atomically, unchanged files
// keep their mtime.

import { build, type Message, type Metafile, type Plugin } from "esbuild";
import { dirname, relative, resolve } from "node:path";
import { BinshipError, type Diagnostic } from "../errors.js";
import { runtimeEntry } from "../paths.js";
import { writeFileAtomic } from "../util/atomic.js";
import { formatDepfile } from "./depfile.js";
import { nativeAddonHint, nativeAddonMarker, nativeAddonPlugin } from "./native.js";
import type { BundleOptions } from "./options.js";
import { shimNamespace, shimPath, shimSource } from "./shim.js";

export { resolveBundleOptions, type BundleOptions } from "./options.js";

export interface BundleResult {
  outfile: string;
  bytes: number;
  sha256: string;
  changed: boolean; // false when the file on disk already held these bytes
  inputs: string[]; // absolute paths of every file esbuild read (the depfile's prerequisites)
  warnings: Diagnostic[];
  metafile: Metafile;
}

function toDiagnostic(m: Message, cwd: string): Diagnostic {
  return {
    text: m.text.replace(`${nativeAddonMarker} `, ""),
    file: m.location ? resolve(cwd, m.location.file) : undefined,
    line: m.location?.line,
    column: m.location?.column,
    lineText: m.location?.lineText,
    suggestion: m.location?.suggestion || undefined,
  };
}

function shimPlugin(options: BundleOptions): Plugin {
  return {
    name: "binship-shim",
    setup(b) {
      b.onResolve({ filter: /^binship:entry$/ }, () => ({ path: shimPath, namespace: shimNamespace }));
      b.onLoad({ filter: /.*/, namespace: shimNamespace }, () => ({
        contents: shimSource(options.entry, runtimeEntry(), options.runtime, options.sourcemap),
        resolveDir: dirname(options.entry),
        loader: "js",
      }));
    },
  };
}

function failure(errors: Message[], cwd: string): BinshipError {
  // esbuild checks --define before reading any file; those are flag errors (exit 2).
  const badDefine = errors.find((m) => m.text.startsWith("Invalid define") || m.location?.file === "(define name)");
  if (badDefine) {
    const what = badDefine.location ? `the name "${badDefine.location.lineText}" is not an identifier or a.b.c` : badDefine.text.replace(/^Invalid define value \(must be an entity name or JS literal\): (.*)$/, 'the value "$1" is neither a JavaScript literal nor a name');
    return new BinshipError("CONFIG_INVALID", `invalid define: ${what}`, {
      hint: `Defines are KEY=VALUE where VALUE is JavaScript: quote strings, e.g. --define 'process.env.STAGE="prod"'.`,
    });
  }
  const diagnostics = errors.map((m) => toDiagnostic(m, cwd));
  const first = diagnostics[0];
  const shown = first?.file ? relative(cwd, first.file) : "";
  const where = first?.file ? ` in ${shown.startsWith("..") ? first.file : shown}:${first.line}:${(first.column ?? 0) + 1}` : "";
  if (errors.some((m) => m.text.startsWith(nativeAddonMarker))) {
    return new BinshipError("NATIVE_ADDON", `the service imports a native addon${where}`, { diagnostics, hint: nativeAddonHint });
  }
  const unresolved = errors.some((m) => m.text.startsWith("Could not resolve"));
  const topLevelAwait = errors.some((m) => m.text.startsWith("Top-level await"));
  return new BinshipError("BUNDLE_FAILED", `bundling failed with ${errors.length} error${errors.length === 1 ? "" : "s"}${where}`, {
    diagnostics,
    hint: unresolved
      ? "Install the missing package (npm install …), fix the import path, or mark it --external."
      : topLevelAwait
        ? "Single executables run CommonJS, which has no top-level await: do the async setup inside an async function " +
          "(awaited on the first request, or before your own listen() call)."
        : undefined,
  });
}

// esbuild maps import.meta.url to this variable; CommonJS has no import.meta of its own.
const importMetaBanner = 'var __binship_import_meta_url = require("url").pathToFileURL(__filename).href;';

const writeProblems: Record<string, string> = {
  EEXIST: "a part of its directory path is a file", // mkdir -p over a file
  ENOTDIR: "a part of its directory path is a file",
  EISDIR: "it is a directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the file system is read-only",
  ENOSPC: "the disk is full",
};

/** writeFileAtomic with a failure the user can act on (a read-only dir, a full disk). */
async function write(path: string, data: string) {
  try {
    return await writeFileAtomic(path, data);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "";
    throw new BinshipError("IO_FAILED", `cannot write ${path}: ${writeProblems[code] ?? (err as Error).message}${code ? ` (${code})` : ""}`, {
      cause: err,
      hint: "Choose an output path in a writable directory.",
    });
  }
}

export async function bundle(options: BundleOptions): Promise<BundleResult> {
  let result;
  try {
    result = await build({
      entryPoints: ["binship:entry"],
      absWorkingDir: options.cwd,
      outfile: options.outfile,
      bundle: true,
      write: false,
      platform: "node",
      format: "cjs",
      target: `node${options.nodeMajor}`,
      minify: options.minify,
      keepNames: options.minify, // Error names become Lambda errorTypes; keep them readable
      sourcemap: options.sourcemap ? "external" : false,
      sourcesContent: false,
      // CommonJS has no import.meta; ES module code that reads it gets the CommonJS equivalents.
      define: { "import.meta.url": "__binship_import_meta_url", "import.meta.dirname": "__dirname", "import.meta.filename": "__filename", ...options.define },
      banner: { js: importMetaBanner },
      external: options.external,
      metafile: true,
      logLevel: "silent",
      charset: "utf8",
      plugins: [shimPlugin(options), nativeAddonPlugin(options.external)],
    });
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    if (errors?.length) throw failure(errors, options.cwd);
    throw new BinshipError("BUNDLE_FAILED", `esbuild failed: ${(err as Error).message}`, { cause: err });
  }
  const js = result.outputFiles.find((f) => f.path.endsWith(".map") === false)!;
  let code = js.text;
  if (options.sourcemap) {
    const map = JSON.parse(result.outputFiles.find((f) => f.path.endsWith(".map"))!.text) as { mappings: string; sources: string[] };
    // One line is prepended, so every mapping moves down one generated line (a leading ';').
    map.mappings = `;${map.mappings}`;
    // Stack traces name sources relative to the project (src/index.ts:3:9), as the developer
    // sees them, wherever the bundle ends up (the map's own location is meaningless there).
    map.sources = map.sources.map((s) => (s.startsWith(`${shimNamespace}:`) ? s : relative(options.cwd, resolve(dirname(options.outfile), s))));
    code = `globalThis.__binshipSourceMap = ${JSON.stringify(map)};\n${code.replace(/\n\/\/# sourceMappingURL=.*\n?$/, "\n")}`;
  }
  const inputs = Object.keys(result.metafile.inputs)
    .filter((p) => !p.startsWith(`${shimNamespace}:`))
    .map((p) => resolve(options.cwd, p));
  for (const out of [options.outfile, options.metafile, options.depfile]) {
    if (out && inputs.includes(out)) {
      throw new BinshipError("USAGE", `the output ${out} is one of the bundle's own sources`, { hint: "Write outputs outside the source tree, e.g. under dist/." });
    }
  }
  const written = await write(options.outfile, code);
  if (options.metafile) await write(options.metafile, `${JSON.stringify(result.metafile, null, 2)}\n`);
  if (options.depfile) await write(options.depfile, formatDepfile(options.depfileTarget ?? options.outfile, inputs, options.cwd));
  return {
    outfile: options.outfile,
    bytes: written.bytes,
    sha256: written.sha256,
    changed: written.changed,
    inputs,
    warnings: result.warnings.map((m) => toDiagnostic(m, options.cwd)),
    metafile: result.metafile,
  };
}
