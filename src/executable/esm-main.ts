// What the SEA blob runs for a bundle of each format, per target Node version:
//
// - CommonJS: the bundle itself is the main script (Node's default, "mainFormat": "commonjs").
// - An ES module on Node >= 25.7: the bundle is the main script with "mainFormat": "module"
//   (nodejs/node#61813). The main's own import() reaches only built-ins there, which is all a
//   self-contained bundle imports.
// - An ES module on older Node (22.15+, 24): SEA mains are CommonJS only. The bundle rides in the
//   blob as an asset, and a small CommonJS loader imports it through Node's default ES module
//   loader: a function compiled by `vm` with `importModuleDynamically:
//   USE_MAIN_CONTEXT_DEFAULT_LOADER` may call import() as a file on disk would (require(esm)
//   cannot: it refuses top-level await). The default loader reads no SEA asset, so module hooks
//   (module.registerHooks, Node 22.15 / 23.5) hand it the asset's text as the module at the
//   executable's own file URL: import.meta.url names the executable, as __filename does in a
//   CommonJS executable, and stack traces name it too.

import type { BundleFormat } from "../config.js";
import { BinshipError } from "../errors.js";
import { compareVersions } from "../util/versions.js";

/** The first Node whose SEA config takes "mainFormat": "module". */
export const moduleMainSince = "25.7.0";

/** The blob's asset holding the ES module bundle, for the CommonJS loader. */
export const bundleAsset = "binship/app.mjs";

export type SeaMainKind = "commonjs" | "module" | "esm-loader";

/** module.registerHooks arrived in 22.15 and 23.5. */
function hasRegisterHooks(version: string): boolean {
  return compareVersions(version, "23.5.0") >= 0 || (compareVersions(version, "22.15.0") >= 0 && compareVersions(version, "23.0.0") < 0);
}

export function seaMainKind(format: BundleFormat, nodeVersion: string): SeaMainKind {
  if (format === "cjs") return "commonjs";
  if (compareVersions(nodeVersion, moduleMainSince) >= 0) return "module";
  if (!hasRegisterHooks(nodeVersion)) {
    throw new BinshipError("CONFIG_INVALID", `an ES module bundle (top-level await, or "format": "esm") needs Node 22.15 or later in a single executable; the target is ${nodeVersion}`, {
      hint: "Use --node 24 (the default), or the latest 22.",
    });
  }
  return "esm-loader";
}

/**
 * The CommonJS loader for "esm-loader". Node warns once that the vm constant is experimental;
 * that one warning is dropped, the user's own warnings are not. The hooks go once the bundle
 * is loaded: later imports (a dynamic import of a built-in) take the default path unhooked.
 */
export const esmLoaderSource = `"use strict";
const { getAsset } = require("node:sea");
const { registerHooks } = require("node:module");
const vm = require("node:vm");
const url = require("node:url").pathToFileURL(process.execPath).href;
const hooks = registerHooks({
  resolve: (specifier, context, next) => (specifier === url ? { url, format: "module", shortCircuit: true } : next(specifier, context)),
  load: (href, context, next) => (href === url ? { format: "module", source: getAsset(${JSON.stringify(bundleAsset)}, "utf8"), shortCircuit: true } : next(href, context)),
});
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const text = typeof warning === "string" ? warning : warning && warning.message;
  if (typeof text === "string" && text.includes("USE_MAIN_CONTEXT_DEFAULT_LOADER")) return;
  return emitWarning.call(process, warning, ...rest);
};
const load = vm.compileFunction("return import(url)", ["url"], {
  filename: "binship-esm-loader",
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
const done = () => {
  process.emitWarning = emitWarning;
  hooks.deregister();
};
load(url).then(done, (err) => {
  done();
  console.error(err);
  process.exit(1);
});
`;
