// The image's SBOM in the build context: one CycloneDX file per executable, from the build info
// recorded inside it; the Dockerfile copies the image's own to imageSbomPath.

import type { BuiltApp } from "../types.js";
import { cycloneDxSbom } from "../../sbom/cyclonedx.js";
import { dockerArchOf } from "./base.js";
import type { RenderedFile } from "./k8s.js";

/** Where the executable layout's Dockerfile puts the SBOM in the image (README, pack container). */
export const imageSbomPath = (name: string) => `/usr/share/sbom/${name}.cdx.json`;

export function sbomFiles(app: BuiltApp, name: string): RenderedFile[] {
  return app.executables
    .filter((e) => e.report.buildInfo)
    .map((e) => ({
      path: `sbom-${dockerArchOf(e.arch)}.cdx.json`,
      text: cycloneDxSbom({ subject: { name, type: "container" }, builds: [e.report.buildInfo!] }),
    }));
}
