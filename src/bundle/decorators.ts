// Decorator metadata: esbuild compiles decorators but never emits `design:paramtypes` /
// `design:type`, which NestJS's dependency injection, class-validator DTOs, TypeORM entities and
// tsyringe read at run time. When the file's tsconfig sets `emitDecoratorMetadata`, the service's
// own files that use decorators are compiled by the project's TypeScript (`transpileModule`, a
// file at a time) and handed to esbuild as JavaScript with an inline source map; every other file
// stays on esbuild's path. Without the setting, a decorated class with constructor parameters
// gets a warning: injection would find `undefined` for each of them.

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import type { Plugin } from "esbuild";
import { BinshipError, type Diagnostic } from "../errors.js";
import { relocateSource } from "./relocate.js";

// `@Name` or `@ns.Name(` at the start of a line or after `(`/`,`/space: a decorator, not an email.
const decorator = /(^|[\s(,])@[A-Za-z_$][\w$.]*\s*[(\s]/m;
// A constructor with at least one parameter.
const constructorWithParams = /\bconstructor\s*\(\s*[^)\s]/;

interface TsConfigInfo {
  path: string;
  emitDecoratorMetadata: boolean;
}

type TypeScript = typeof import("typescript");

/** JSON with comments and trailing commas, as tsconfig.json allows; undefined when unreadable. */
function readJsonc(path: string): Record<string, unknown> | undefined {
  try {
    const text = readFileSync(path, "utf8")
      .replace(/("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (m, str: string | undefined) => str ?? "")
      .replace(/,(\s*[}\]])/g, "$1");
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** emitDecoratorMetadata of a tsconfig, following relative `extends` (TypeScript's own rule: the child wins). */
function emitsMetadata(path: string, depth = 0): boolean | undefined {
  const json = readJsonc(path);
  if (!json || depth > 8) return undefined;
  const own = (json.compilerOptions as Record<string, unknown> | undefined)?.emitDecoratorMetadata;
  if (typeof own === "boolean") return own;
  const parents = ([] as unknown[]).concat(json.extends ?? []).filter((e): e is string => typeof e === "string");
  for (const parent of parents.reverse()) {
    const file = parent.startsWith(".") ? join(dirname(path), parent.endsWith(".json") ? parent : `${parent}.json`) : undefined;
    const inherited = file && existsSync(file) ? emitsMetadata(file, depth + 1) : undefined;
    if (inherited !== undefined) return inherited;
  }
  return undefined;
}

export interface DecoratorState {
  warnings: Diagnostic[];
  relocate?: { cwd: string; root: string }; // set when module locations are relocated (relocate.ts): a compiled file is too
}

export function decoratorMetadataPlugin(workDir: string, state: DecoratorState): Plugin {
  const configs = new Map<string, TsConfigInfo | undefined>();
  const configFor = (dir: string): TsConfigInfo | undefined => {
    if (configs.has(dir)) return configs.get(dir);
    const path = join(dir, "tsconfig.json");
    const info = existsSync(path) ? { path, emitDecoratorMetadata: emitsMetadata(path) ?? false } : dirname(dir) === dir ? undefined : configFor(dirname(dir));
    configs.set(dir, info);
    return info;
  };
  let ts: TypeScript | undefined;
  const typescript = (tsconfig: string): TypeScript => {
    if (ts) return ts;
    try {
      ts = createRequire(tsconfig)("typescript") as TypeScript;
    } catch {
      throw new BinshipError("BUNDLE_FAILED", `${relative(workDir, tsconfig)} sets emitDecoratorMetadata, and binship compiles decorated files with the project's own TypeScript, which is not installed`, {
        hint: "npm install --save-dev typescript",
      });
    }
    if (typeof ts.transpileModule !== "function") {
      throw new BinshipError("BUNDLE_FAILED", `the project's typescript package has no transpileModule (needed for emitDecoratorMetadata)`, {
        hint: "Install a TypeScript with the JavaScript API (npm install --save-dev typescript@5).",
      });
    }
    return ts;
  };
  const parsed = new Map<string, import("typescript").CompilerOptions>();

  return {
    name: "binship-decorator-metadata",
    setup(build) {
      build.onLoad({ filter: /\.[cm]?tsx?$/ }, (args) => {
        if (args.path.split(sep).includes("node_modules") || args.path.endsWith(".d.ts")) return undefined;
        const source = readFileSync(args.path, "utf8");
        if (!decorator.test(source)) return undefined;
        const config = configFor(dirname(args.path));
        if (!config?.emitDecoratorMetadata) {
          if (constructorWithParams.test(source)) {
            const line = source.slice(0, source.search(constructorWithParams)).split("\n").length;
            state.warnings.push({
              text: `decorators with constructor parameters, but ${config ? relative(workDir, config.path) : "no tsconfig.json"} does not set emitDecoratorMetadata: dependency injection (NestJS, tsyringe, TypeORM) finds no parameter types`,
              file: args.path,
              line,
              hint: 'Set "experimentalDecorators": true and "emitDecoratorMetadata": true in tsconfig.json; binship then compiles files with decorators with TypeScript.',
            });
          }
          return undefined;
        }
        let tsc: TypeScript;
        try {
          tsc = typescript(config.path);
        } catch (err) {
          const e = err as BinshipError;
          return { errors: [{ text: `${e.message}: ${e.hint}` }] };
        }
        let options = parsed.get(config.path);
        if (!options) {
          const read = tsc.readConfigFile(config.path, tsc.sys.readFile);
          options = tsc.parseJsonConfigFileContent(read.config ?? {}, tsc.sys, dirname(config.path)).options;
          parsed.set(config.path, options);
        }
        const out = tsc.transpileModule(source, {
          fileName: args.path,
          compilerOptions: {
            ...options,
            experimentalDecorators: true,
            emitDecoratorMetadata: true,
            // esbuild takes it from here: ES modules in, the bundle's own format and target out.
            module: tsc.ModuleKind.ESNext,
            target: tsc.ScriptTarget.ES2022,
            importHelpers: false,
            sourceMap: false,
            inlineSourceMap: true,
            inlineSources: false,
            declaration: false,
            noEmit: false,
          },
        });
        const contents = state.relocate ? (relocateSource(out.outputText, args.path, state.relocate.cwd, state.relocate.root) ?? out.outputText) : out.outputText;
        return { contents, loader: args.path.endsWith("x") ? "jsx" : "js" };
      });
    },
  };
}
