// The node layout: the stripped official Node binary and the bundle, as two files instead of one
// executable, so the image has two layers on distroless cc. The Node layer's bytes depend only on
// the Node release and the arch (root-owned, fixed mtime), so every service on that Node shares
// it: a registry that has it answers HEAD or a cross-repository mount, and a change to the app
// pushes only the bundle's layer (kilobytes to a few MiB instead of the whole executable).

import { basename, join } from "node:path";
import type { Diagnostic } from "../../../diagnostic.js";
import { checkArch, checkTarget, type TargetHints } from "../../target.js";
import { dockerArchOf } from "../base.js";
import type { ContainerLayout } from "./types.js";

/** Where the Node binary is in the image (as in the official Node images). */
export const nodeImagePath = "/usr/local/bin/node";

const hints: TargetHints = {
  arch: () => "Rebuild it for the requested --arch.",
  glibc: "Build with an older --node, or use a base with a newer glibc (--base).",
  glibcxx: "Build with an older --node, or use a base with a newer libstdc++ (--base).",
  library: (lib) => `Use --layout bundle, build with --node 24, or pass --base with an image that has ${lib} (binship then skips this check).`,
};

export const nodeLayout: ContainerLayout = {
  name: "node",
  needs: "node-and-bundle",
  summary: "the stripped Node binary as its own layer (shared by every service on that Node) and the bundle in a small layer, on distroless cc",
  dockerfile: "Dockerfile.node",
  files: (app) => [
    ...(app.nodes ?? []).map((n) => ({ path: `node-${dockerArchOf(n.arch)}`, source: n.report.path, mode: 0o755 })),
    ...(app.bundle ? [{ path: basename(app.bundle.path), source: app.bundle.path, mode: 0o644 }] : []),
    // Both arches' caches in one directory (Node picks its own by name), so one context builds every arch.
    ...(app.compileCache?.files ?? []).map((f) => ({ path: f, source: join(app.compileCache!.root, f), mode: 0o644 })),
  ],
  check(app, base) {
    if (!app.bundle || !app.nodes?.length) return [{ text: "no bundle or Node binary was built for --layout node (a bug in binship)" }];
    const out: Diagnostic[] = [];
    for (const { arch, report } of app.nodes) {
      const named = { ...report, path: `node-${dockerArchOf(arch)}` }; // messages name the file in the context
      const wrongArch = checkArch(named, arch, "the image", hints);
      const system = base.contents ? checkTarget(named, { name: base.ref, ...base.contents }, hints) : [];
      out.push(...wrongArch, ...(wrongArch.length ? [] : system));
    }
    return out;
  },
};
