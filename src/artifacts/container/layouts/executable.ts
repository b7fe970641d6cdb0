// The default container layout: one single executable per arch on distroless cc. The Dockerfile
// picks app-<TARGETARCH>, so one build context serves a multi-arch build.

import type { Diagnostic } from "../../../diagnostic.js";
import { checkArch, checkSea, checkTarget, type TargetHints } from "../../target.js";
import { dockerArchOf } from "../base.js";
import type { ContainerLayout } from "./types.js";

const libatomicHint =
  "Node 26 and later link libatomic.so.1. Use --layout bundle (Node from the distroless Node image), " +
  "build with --node 24, or pass --base with an image that has libatomic.so.1 (binship then skips this check).";

const hints: TargetHints = {
  arch: () => "Rebuild it for the requested --arch.",
  glibc: "Build with an older --node, or use a base with a newer glibc (--base).",
  glibcxx: "Build with an older --node, or use a base with a newer libstdc++ (--base).",
  library: (lib) =>
    lib.startsWith("libatomic.so") ? libatomicHint : `Use --layout bundle, or pass --base with an image that has ${lib} (binship then skips this check).`,
};

export const executableLayout: ContainerLayout = {
  name: "executable",
  needs: "executable",
  summary: "one single executable per arch on distroless cc (no Node in the base)",
  dockerfile: "Dockerfile.executable",
  files: (app) => app.executables.map((e) => ({ path: `app-${dockerArchOf(e.arch)}`, source: e.report.path, mode: 0o755 })),
  check(app, base) {
    const out: Diagnostic[] = [];
    for (const { arch, report } of app.executables) {
      const named = { ...report, path: `app-${dockerArchOf(arch)}` }; // messages name the file in the image
      const wrongArch = checkArch(named, arch, "the image", hints);
      // Without a table for the base (a custom --base) only the architecture can be checked.
      const system = base.contents ? checkTarget(named, { name: base.ref, ...base.contents }, hints) : [];
      out.push(...wrongArch, ...(wrongArch.length ? [] : system), ...checkSea(named));
      // The image's SBOM (artifacts/container/sbom.ts) is made from the build info inside the executable.
      if (!report.buildInfo && report.sea) {
        out.push({ text: `${named.path} carries no binship build info, so the image's SBOM cannot be written`, hint: "Rebuild the executable with this binship (binship build), and do not strip or rewrite it afterwards." });
      }
    }
    return out;
  },
};
