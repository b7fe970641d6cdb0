// Stage 1: the service and the runtime, bundled by esbuild into one CommonJS file (Node's
// single-executable blobs run CommonJS). Deterministic, written atomically, unchanged files
// keep their mtime.

import { build, type Message, type Metafile, type Plugin } from "esbuild";
import { dirname, resolve } from "node:path";
import { BinshipError, type Diagnostic } from "../errors.js";
import { runtimeEntry, runtimeFetchGlobals } from "../paths.js";
import { writeFileAtomic } from "../util/atomic.js";
import { formatDepfile } from "../util/depfile.js";
import { bundleFailure, toDiagnostic } from "./diagnostics.js";
import { embedSourceMap } from "./embed-map.js";
import { nativeAddonPlugin } from "./native.js";
import { bundleContents, type BundleContents } from "./packages.js";
import type { BundleOptions } from "./options.js";
import { shimNamespace, shimPath, shimSource } from "./shim.js";

export { resolveBundleOptions, type BundleOptions } from "./options.js";
export type { BundleContents, BundledPackage } from "./packages.js";

export interface BundleResult {
  outfile: string;
  bytes: number;
  sha256: string;
  changed: boolean; // false when the file on disk already held these bytes
  inputs: string[]; // absolute paths of every file esbuild read (the depfile's prerequisites)
  warnings: Diagnostic[];
  metafile: Metafile;
  contents: BundleContents; // the bundle's bytes by npm package, source file and runtime
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
      // Request/Response/Headers in the bundle are the runtime's light classes: Node's own
      // load undici on first touch (src/runtime/fetch/undici.ts).
      inject: [runtimeFetchGlobals()],
      external: options.external,
      metafile: true,
      logLevel: "silent",
      charset: "utf8",
      plugins: [shimPlugin(options), nativeAddonPlugin(options.external)],
    });
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    if (errors?.length) throw bundleFailure(errors, options.cwd);
    throw new BinshipError("BUNDLE_FAILED", `esbuild failed: ${(err as Error).message}`, { cause: err });
  }
  const js = result.outputFiles.find((f) => !f.path.endsWith(".map"))!.text;
  const map = result.outputFiles.find((f) => f.path.endsWith(".map"))?.text;
  const code = map ? embedSourceMap(js, map, options.cwd, dirname(options.outfile)) : js;
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
    contents: bundleContents(result.metafile, options.cwd, dirname(options.entry), (p) => p.startsWith(`${shimNamespace}:`)),
  };
}
