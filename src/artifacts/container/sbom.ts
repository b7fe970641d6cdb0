// The image's SBOM in the build context: one CycloneDX file per arch, from the build info recorded
// inside the executable (or, for the node layout, made for its Node binary and the bundle); the
// Dockerfile copies the image's own to imageSbomPath.

import type { BuiltApp } from "../types.js";
import { cycloneDxSbom } from "../../sbom/cyclonedx.js";
import { dockerArchOf } from "./base.js";
import type { RenderedFile } from "./k8s.js";

/** Where the executable layout's Dockerfile puts the SBOM in the image (README, pack container). */
export const imageSbomPath = (name: string) => `/usr/share/sbom/${name}.cdx.json`;

export function sbomFiles(app: BuiltApp, name: string): RenderedFile[] {
  // The executable layout's from inside each executable; the node layout's from what the pipeline
  // recorded for each Node binary and the bundle (the same record, so the same components).
  const infos = [...app.executables.map((e) => ({ arch: e.arch, info: e.report.buildInfo })), ...(app.nodes ?? []).map((n) => ({ arch: n.arch, info: n.buildInfo }))];
  return infos
    .filter((e) => e.info)
    .map((e) => ({
      path: `sbom-${dockerArchOf(e.arch)}.cdx.json`,
      text: cycloneDxSbom({ subject: { name, type: "container" }, builds: [e.info!] }),
    }));
}
