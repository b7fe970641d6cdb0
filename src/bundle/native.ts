// A single executable cannot dlopen a .node addon from inside its blob, so importing one is
// caught at bundle time with the importer's location instead of failing on the first cold start.

import type { Plugin } from "esbuild";
import { resolve } from "node:path";
import { BinshipError } from "../errors.js";
import { shownPath } from "../util/shown-path.js";

// Loaders that find a compiled addon on disk at run time.
const nativeLoaders = new Set(["bindings", "node-gyp-build", "node-gyp-build-optional-packages", "@mapbox/node-pre-gyp", "node-pre-gyp", "prebuild-install"]);

export const nativeAddonMarker = "[native-addon]";

export const nativeAddonHint =
  "A single executable cannot load a native .node addon: Node loads addons with dlopen() from a file on disk, " +
  "and the executable carries the service inside itself. Use a pure-JavaScript or WebAssembly alternative " +
  "(bcryptjs for bcrypt, sql.js for sqlite3), or mark the package --external and ship it " +
  "(built for the target's OS and CPU) beside the executable yourself.";

export function nativeAddonPlugin(external: string[]): Plugin {
  return {
    name: "binship-native-addons",
    setup(build) {
      build.onResolve({ filter: /\.node$/ }, (args) => {
        if (external.includes(args.path)) return undefined;
        return { errors: [{ text: `${nativeAddonMarker} "${args.path}" is a native Node addon` }] };
      });
      build.onResolve({ filter: /^[@a-z]/ }, (args) => {
        const name = args.path.startsWith("@") ? args.path.split("/").slice(0, 2).join("/") : args.path.split("/")[0]!;
        if (!nativeLoaders.has(name) || external.includes(name)) return undefined;
        return { errors: [{ text: `${nativeAddonMarker} "${name}" loads a native Node addon at run time` }] };
      });
    },
  };
}

// Prisma up to 6 (and any package like it) loads its engine with process.dlopen() rather than
// require(), which the resolve-time check above never sees: it would bundle, work from the
// project root and fail once deployed. The output is searched once; only a hit reads inputs.
const dlopenCall = /\bprocess\.dlopen\s*\(/;

export interface DlopenCall {
  input: string; // metafile path, relative to the working directory
  line: number;
  column: number;
  lineText: string;
}

/** Bundled inputs (bytes in the output) that call process.dlopen, with the first call's place. */
export function dlopenCalls(js: string, inputs: Record<string, { bytesInOutput: number }>, read: (input: string) => string | undefined): DlopenCall[] {
  if (!dlopenCall.test(js)) return [];
  const calls: DlopenCall[] = [];
  for (const [input, { bytesInOutput }] of Object.entries(inputs)) {
    if (bytesInOutput === 0) continue;
    const text = read(input);
    const at = text === undefined ? -1 : text.search(dlopenCall);
    if (at === -1) continue;
    const before = text!.slice(0, at).split("\n");
    calls.push({ input, line: before.length, column: before.at(-1)!.length, lineText: text!.split("\n")[before.length - 1]!.slice(0, 200) });
  }
  return calls;
}

function dlopenHint(calls: DlopenCall[]): string {
  const prisma = calls.some((c) => /(^|\/)node_modules\/(@prisma\/client|\.prisma\/client)\//.test(c.input));
  const general = "mark the package --external and ship it, with its native library built for the target's OS, CPU and libc, beside the executable yourself.";
  if (!prisma) return `A single executable cannot load a native library from inside itself: process.dlopen() needs a file on disk. Use a pure-JavaScript or WebAssembly alternative, or ${general}`;
  return (
    "Prisma's query engine (libquery_engine-<platform>.so.node, e.g. linux-arm64-openssl-3.0.x) is a native library loaded with process.dlopen(). " +
    'Generate the client without it: Prisma 6.16+ with `engineType = "client"` in the generator block and a driver adapter (e.g. @prisma/adapter-pg); Prisma 7 does so by default. ' +
    `Or ${general}`
  );
}

/** The bundle's dlopen calls as one error, at the first call's place. */
export function dlopenError(calls: DlopenCall[], workDir: string, cwd: string): BinshipError {
  const first = calls[0]!;
  return new BinshipError("NATIVE_ADDON", `the service loads a native library with process.dlopen() in ${shownPath(cwd, resolve(workDir, first.input))}:${first.line}:${first.column + 1}`, {
    diagnostics: calls.map((c) => ({ text: "process.dlopen() loads a native library from a file on disk at run time", file: resolve(workDir, c.input), line: c.line, column: c.column, lineText: c.lineText })),
    hint: dlopenHint(calls),
  });
}
