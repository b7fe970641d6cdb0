// The bundle's module format: CommonJS by default (every way binship runs a bundle takes it as
// is), an ES module when the code needs one (top-level await) or the config asks for it. What
// differs between the two is here: the esbuild settings, how the shim loads the user's module,
// the file extension Node needs, and the error for top-level await in a CommonJS-forced build.

import type { BuildOptions, Message } from "esbuild";
import { shownPath } from "../util/shown-path.js";
import type { BundleFormat } from "../config.js";
import { BinshipError } from "../errors.js";
import { toDiagnostic } from "./diagnostics.js";

export type { BundleFormat } from "../config.js";

// CommonJS has no import.meta: esbuild maps import.meta.* to the CommonJS equivalents.
const cjsBanner = 'var __binship_import_meta_url = require("url").pathToFileURL(__filename).href;';
// The directory the bundle (the executable) is in: where runtime files are shipped, the root of
// every relocated module's __dirname (relocate.ts). Same line: source map lines still match.
const cjsRoot = "var __binship_root = __dirname;";

// An ES module has no require, __filename or __dirname, which bundled CommonJS dependencies use:
// esbuild's createRequire banner pattern gives them back. import.meta is the module's own.
const esmBanner = [
  'import { createRequire as __binshipCreateRequire } from "node:module";',
  'import { fileURLToPath as __binshipFileURLToPath } from "node:url";',
  'import { dirname as __binshipDirname } from "node:path";',
  "const __binship_filename = __binshipFileURLToPath(import.meta.url);",
  "const __binship_dirname = __binshipDirname(__binship_filename);",
  "const require = __binshipCreateRequire(__binship_filename);",
  "const __binship_root = __binship_dirname;",
].join("\n");

/** esbuild settings of one format; `define` is merged under the user's own defines. */
export function formatSettings(format: BundleFormat): Pick<BuildOptions, "format" | "banner" | "define"> {
  if (format === "cjs") {
    return {
      format: "cjs",
      banner: { js: cjsBanner + cjsRoot },
      define: { "import.meta.url": "__binship_import_meta_url", "import.meta.dirname": "__dirname", "import.meta.filename": "__filename" },
    };
  }
  return {
    format: "esm",
    banner: { js: esmBanner },
    define: {
      // Only unbound references are replaced: a module's own `const __dirname = …` stays its own.
      __dirname: "__binship_dirname",
      __filename: "__binship_filename",
    },
  };
}

/**
 * The bundle without the CommonJS banner when nothing reads import.meta.url: computing it is a
 * file URL conversion on every start. The line stays, empty, so source map lines still match.
 */
export function withoutUnusedBanner(js: string, format: BundleFormat): string {
  if (format !== "cjs" || !js.startsWith(cjsBanner) || js.includes("__binship_import_meta_url", cjsBanner.length)) return js;
  return js.slice(cjsBanner.length);
}

/**
 * How the shim loads the user's module. Both are lazy (esbuild turns them into a deferred init),
 * so the runtime is set up first; import() also lets that init await, and hands back a promise
 * the runtime awaits before it serves or asks Lambda for an event.
 */
export function loadExpression(format: BundleFormat, specifier: string): string {
  return format === "cjs" ? `require(${JSON.stringify(specifier)})` : `import(${JSON.stringify(specifier)})`;
}

/** The extension Node needs to load a file of this format without a package.json beside it. */
export const formatExtension: Record<BundleFormat, string> = { cjs: ".cjs", esm: ".mjs" };

/** esbuild's message for code that only an ES module can hold. */
export function needsEsm(errors: Message[]): Message | undefined {
  return errors.find((m) => m.text.startsWith("Top-level await is currently not supported"));
}

/** Top-level await in a build the config forces to CommonJS: where it is, and what forces it. */
export function forcedCjsError(message: Message, workDir: string, cwd: string): BinshipError {
  const d = toDiagnostic(message, workDir);
  const where = d.file ? `${shownPath(cwd, d.file)}:${d.line}:${(d.column ?? 0) + 1}` : "the service";
  return new BinshipError("BUNDLE_FAILED", `top-level await in ${where} needs an ES module bundle, but "format": "cjs" (or --format cjs) forces CommonJS`, {
    diagnostics: [{ ...d, text: "top-level await: CommonJS has none" }],
    hint: 'Remove "format": "cjs" from the config and --format cjs from the command (binship then bundles an ES module), or move the await into an async function.',
  });
}
