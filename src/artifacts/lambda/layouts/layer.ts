// The layer layout: two zips. A runtime layer with the stripped official Node binary (bin/node)
// and, when the runtime needs them, libraries in lib/ (for provided.al2 the loader and a whole
// glibc). Its bytes depend only on Node, the arch and the runtime, so every service on that Node
// shares it, and it is named by its content. And a function zip of kilobytes: a `bootstrap`
// script that runs the layer's Node on app.cjs. Lambda extracts layers into /opt ("Packaging
// your layer content", https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html), so
// the Node is /opt/bin/node and the libraries /opt/lib (also on Lambda's LD_LIBRARY_PATH).

import { layerBootstrapScript } from "../bootstrap.js";
import { checkExecutable } from "../checks.js";
import { libraryEntries } from "./executable.js";
import type { LambdaLayout } from "./types.js";

export const bundleName = "app.cjs";

/** app.cjs, or app.mjs for an ES module bundle (top-level await): Node picks the format by extension. */
const bundleNameOf = (path: string) => (path.endsWith(".mjs") ? "app.mjs" : bundleName);

/** The layer's file name: `node-<version>-<arch>-<12 hex of its sha256>.zip`. */
export const layerFileName = (version: string, arch: string, sha256: string) => `node-${version}-${arch}-${sha256.slice(0, 12)}.zip`;

export const layerLayout: LambdaLayout = {
  name: "layer",
  needs: "node-and-bundle",
  summary: "two zips: a shared Node runtime layer (named by its content) and a function zip of bootstrap + app.cjs",
  zips({ bundle, node, libraries, arch }) {
    if (!bundle || !node) throw new Error("the layer layout needs the bundle and the Node binary (a bug in binship)");
    const loader = libraries?.loader?.name;
    return [
      {
        role: "function",
        entries: [
          { name: "bootstrap", source: Buffer.from(layerBootstrapScript(loader, bundleNameOf(bundle.path))), mode: 0o755 },
          { name: bundleNameOf(bundle.path), source: bundle.path, mode: 0o644 },
        ],
      },
      {
        role: "layer",
        entries: [{ name: "bin/node", source: node.report.path, mode: 0o755 }, ...libraryEntries(libraries)],
        fileName: (sha256) => layerFileName(node.version, arch, sha256),
      },
    ];
  },
  check(input, shipped) {
    return checkExecutable(input.node!.report, input, shipped);
  },
};
