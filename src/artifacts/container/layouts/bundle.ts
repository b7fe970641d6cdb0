// The bundle layout: app.cjs on the distroless Node image; the base brings Node, so one file
// serves every arch.

import type { ContainerLayout } from "./types.js";

export const bundleLayout: ContainerLayout = {
  name: "bundle",
  needs: "bundle",
  summary: "the bundle (app.cjs) on the distroless Node image",
  dockerfile: "Dockerfile.bundle",
  files: (app) => (app.bundle ? [{ path: "app.cjs", source: app.bundle.path, mode: 0o644 }] : []),
  check: (app) => (app.bundle ? [] : [{ text: "no bundle was built for --layout bundle (a bug in binship)" }]),
};
