// A single executable cannot dlopen a .node addon from inside its blob, so importing one is
// caught at bundle time with the importer's location instead of failing on the first cold start.

import type { Plugin } from "esbuild";

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
