// Optional requires: a dependency that `require()`s a package the project did not install (a
// knex dialect driver, a NestJS optional module) usually does so only on a code path the service
// never takes. esbuild stops on it; binship instead bundles a module in its place that throws
// Node's MODULE_NOT_FOUND with binship's message where it is required, and warns once listing
// them. Only calls (`require()`, `import()`) from inside node_modules qualify: a static import
// would fail at start anyway, and the service's own code gets the error, as a typo should.

import type { Message, Plugin } from "esbuild";
import { relative, resolve, sep } from "node:path";
import { diagnostic } from "../diagnostic.js";
import type { Diagnostic } from "../errors.js";

/** Importer (absolute path) -> the bare specifiers it requires that did not resolve. */
export type MissingRequires = Map<string, Set<string>>;

const unresolved = /^Could not resolve "([^"]+)"$/;
const bare = (s: string) => !s.startsWith(".") && !s.startsWith("/") && !s.includes(":");
const insideNodeModules = (file: string) => file.split(sep).includes("node_modules");

/**
 * Adds the unresolved bare requires from node_modules among `errors` to `missing`; true when
 * every error is one and at least one is new (then a rebuild with the plugin below succeeds or
 * shows what is left).
 */
export function collectMissing(errors: Message[], workDir: string, missing: MissingRequires): boolean {
  let added = false;
  for (const m of errors) {
    const spec = unresolved.exec(m.text)?.[1];
    if (!spec || !bare(spec) || !m.location) return false;
    const importer = resolve(workDir, m.location.file);
    if (!insideNodeModules(importer)) return false;
    const specs = missing.get(importer) ?? new Set<string>();
    if (!specs.has(spec)) added = true;
    missing.set(importer, specs.add(spec));
  }
  return added;
}

/** The stand-ins' namespace: not files, so not the depfile's inputs; their few bytes count as binship's runtime. */
export const missingNamespace = "binship-missing";

export function missingRequirePlugin(missing: MissingRequires, workDir: string): Plugin {
  return {
    name: "binship-missing-requires",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind !== "require-call" && args.kind !== "dynamic-import") return undefined;
        if (!missing.get(args.importer)?.has(args.path)) return undefined;
        const importer = relative(workDir, args.importer).split(sep).join("/");
        return { path: `${args.path} from ${importer}`, namespace: missingNamespace, pluginData: { spec: args.path, importer } };
      });
      build.onLoad({ filter: /.*/, namespace: missingNamespace }, (args) => {
        const { spec, importer } = args.pluginData as { spec: string; importer: string };
        const message =
          `Cannot find module '${spec}' (required by ${importer}): it was not installed when binship bundled this service, ` +
          `so the bundle has no copy of it. Install it (npm install ${packageName(spec)}) and rebuild.`;
        return { contents: `var e = new Error(${JSON.stringify(message)}); e.code = "MODULE_NOT_FOUND"; throw e;\n`, loader: "js" };
      });
    },
  };
}

function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** One warning naming every left-out package and who requires it. */
export function missingWarning(missing: MissingRequires, workDir: string): Diagnostic[] {
  if (missing.size === 0) return [];
  const byPackage = new Map<string, Set<string>>();
  for (const [importer, specs] of missing) {
    const from = relative(workDir, importer).split(sep);
    const at = from.lastIndexOf("node_modules");
    const owner = from[at + 1]?.startsWith("@") ? from.slice(at + 1, at + 3).join("/") : (from[at + 1] ?? importer);
    for (const spec of specs) byPackage.set(packageName(spec), (byPackage.get(packageName(spec)) ?? new Set()).add(owner));
  }
  const list = [...byPackage]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, owners]) => `${name} (required by ${[...owners].sort().join(", ")})`)
    .join(", ");
  return [
    diagnostic(
      `${byPackage.size} package${byPackage.size === 1 ? " is" : "s are"} required by dependencies but not installed, and left out of the bundle: ${list}. Requiring one at run time throws MODULE_NOT_FOUND`,
      "Nothing to do if the service never takes those code paths (an unused database dialect, an optional module). If it does, npm install the package and rebuild.",
    ),
  ];
}
