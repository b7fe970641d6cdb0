// The bundle layout: app.cjs (app.mjs for an ES module bundle) on the distroless Node image;
// the base brings Node, so one file serves every arch.

import { basename } from "node:path";
import type { ContainerLayout } from "./types.js";

export const bundleLayout: ContainerLayout = {
  name: "bundle",
  needs: "bundle",
  summary: "the bundle (app.cjs) on the distroless Node image",
  dockerfile: "Dockerfile.bundle",
  files: (app) => (app.bundle ? [{ path: basename(app.bundle.path), source: app.bundle.path, mode: 0o644 }] : []),
  check: (app) => (app.bundle ? [] : [{ text: "no bundle was built for --layout bundle (a bug in binship)" }]),
};
