// Packages bundled from their ES module build (package.json "module") instead of their CommonJS
// "main": esbuild can then drop what the service never imports (the AWS SDK's CommonJS build is
// one file per package that defines every command and schema at require time). Only for
// packages without an "exports" map (a map decides by itself) and named by the rule, since a
// "module" field may point at a browser build in packages that were never tested under Node.

import { readFileSync } from "node:fs";
import type { Plugin } from "esbuild";

/** The AWS SDK v3 and its Smithy runtime: their ES builds are the ones AWS ships for Node too. */
export const defaultEsmPackages = ["@aws-sdk/*", "@smithy/*", "@aws-crypto/*"];

const bare = /^(?:@[^/]+\/)?[^./@][^/]*$/; // a package name alone, no subpath
const inner = Symbol("module-builds");

export function matchesPackage(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => p === "*" || (p.endsWith("/*") ? name.startsWith(p.slice(0, -1)) : name === p));
}

export function moduleBuildsPlugin(patterns: readonly string[]): Plugin {
  return {
    name: "binship-module-builds",
    setup(build) {
      if (!patterns.length) return;
      build.onResolve({ filter: bare }, async (args) => {
        if (args.pluginData === inner || !matchesPackage(args.path, patterns)) return undefined;
        const plain = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: inner });
        if (plain.errors.length || plain.external) return undefined; // esbuild's own error, or --external
        const manifest = await build.resolve(`${args.path}/package.json`, { resolveDir: args.resolveDir, kind: args.kind, pluginData: inner });
        if (manifest.errors.length) return undefined;
        const pkg = JSON.parse(readFileSync(manifest.path, "utf8")) as { exports?: unknown; module?: unknown };
        if (pkg.exports !== undefined || typeof pkg.module !== "string") return undefined;
        // Resolved as a subpath, so esbuild still applies the package's sideEffects and browser rules.
        const entry = await build.resolve(`${args.path}/${pkg.module.replace(/^\.\//, "")}`, { resolveDir: args.resolveDir, kind: args.kind, pluginData: inner });
        return entry.errors.length ? undefined : { path: entry.path, sideEffects: entry.sideEffects };
      });
    },
  };
}
