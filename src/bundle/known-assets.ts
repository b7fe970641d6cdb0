// What binship knows packages read at run time, so they work with no config. Two sources: the
// packages in the bundle that read their own files (swagger-ui-dist's dist folder, which its
// `absolutePath()` names; @fastify/swagger-ui's static/; a generated Prisma client's
// schema.prisma), and the folders the service hands to a package that serves or loads them
// (file-refs.ts: an @fastify/static `root`, an @fastify/autoload `dir`, `express.static`).
// Prisma's query engine stays refused by native.ts: it is a native library for one platform.

import { sep } from "node:path";
import type { Metafile } from "esbuild";
import { shownPath } from "../util/shown-path.js";
import type { AssetRequest } from "./assets.js";
import type { FileRef } from "./file-refs.js";

interface KnownPackage {
  name: string;
  files: (dir: string) => string[]; // absolute globs under the package's directory
}

const knownPackages: KnownPackage[] = [
  // swagger-ui-dist: absolutePath() is its own directory; the UI is its HTML, CSS, JS and icons (no source maps).
  { name: "swagger-ui-dist", files: (dir) => [`${dir}/*.{html,css,js,png}`] },
  // @fastify/swagger-ui serves swagger-ui-dist's files copied into static/ at its install.
  { name: "@fastify/swagger-ui", files: (dir) => [`${dir}/static/**`] },
  // The generated client reads its schema beside it (node_modules/.prisma/client).
  { name: "@prisma/client", files: (dir) => [`${dir.slice(0, dir.lastIndexOf(`${sep}@prisma${sep}`))}/.prisma/client/schema.prisma`] },
];

/** The directory of each known package some bundled module comes from. */
function packageDirs(metafile: Metafile, root: string): Map<KnownPackage, string> {
  const out = new Map<KnownPackage, string>();
  for (const input of Object.keys(metafile.inputs)) {
    if (input.includes(":")) continue;
    for (const pkg of knownPackages) {
      const marker = `node_modules/${pkg.name}/`;
      const at = input.lastIndexOf(marker);
      if (at >= 0 && !out.has(pkg)) out.set(pkg, `${root}/${input.slice(0, at + marker.length - 1)}`.split("/").join(sep));
    }
  }
  return out;
}

/** The asset requests binship adds by itself: known packages' files and served or autoloaded folders. */
export function knownAssetRequests(metafile: Metafile, root: string, refs: FileRef[], cwd: string): AssetRequest[] {
  const out: AssetRequest[] = [];
  for (const [pkg, dir] of packageDirs(metafile, root)) {
    for (const pattern of pkg.files(dir)) out.push({ pattern, origin: `${pkg.name} (built in)`, optional: true });
  }
  for (const ref of refs) {
    if (ref.kind === "read") continue;
    const what = ref.kind === "autoload-dir" ? "@fastify/autoload dir" : "static folder";
    out.push({ pattern: ref.target, origin: `${what} at ${shownPath(cwd, ref.file)}:${ref.line} (built in)`, optional: true });
  }
  return out;
}
