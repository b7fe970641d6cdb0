// The SBOM of an inspected artifact: its executables' build info plus the libraries it ships,
// matched to Debian packages through this machine's dpkg database.

import { basename } from "node:path";
import type { ArtifactInspection } from "../inspect/artifact.js";
import type { BuildInfo } from "../inspect/build-info.js";
import { BinshipError } from "../errors.js";
import { cycloneDxSbom } from "./cyclonedx.js";
import { debianPackagesByMd5 } from "./debian.js";
import { vendoredPackagesBySha256 } from "./vendored.js";

export { cycloneDxSbom, npmPurl, type SbomInput } from "./cyclonedx.js";

/** The build info of every executable in the artifact; an error when one has none. */
export function buildInfos(a: ArtifactInspection): BuildInfo[] {
  const missing = a.executables.filter((e) => !e.report.buildInfo).map((e) => e.name);
  if (a.executables.length === 0 || missing.length > 0) {
    throw new BinshipError("USAGE", `${a.path} holds no binship build info${missing.length ? ` (${missing.join(", ")})` : ""}`, {
      hint: "Build it with this binship (binship build / pack); a file that was stripped or rewritten after the build loses the record.",
    });
  }
  return a.executables.map((e) => e.report.buildInfo!);
}

export async function sbomOfArtifact(a: ArtifactInspection, sourceDateEpoch?: string, dpkgDir?: string): Promise<string> {
  const builds = buildInfos(a);
  // binship's own vendored libraries first (known everywhere), then what this machine's dpkg installed.
  const vendored = vendoredPackagesBySha256();
  const debian = await debianPackagesByMd5(new Set(a.libraries.filter((l) => !vendored.has(l.sha256)).map((l) => l.md5)), dpkgDir);
  const packageOf = (l: { sha256: string; md5: string }) => vendored.get(l.sha256) ?? debian.get(l.md5);
  const app = builds[0]!.app;
  return cycloneDxSbom({
    subject: {
      name: app?.name ?? basename(a.path),
      ...(app?.version ? { version: app.version } : {}),
      type: a.kind === "container" || a.kind === "oci-layout" ? "container" : "application",
      ...(a.sha256 ? { sha256: a.sha256 } : {}),
    },
    builds,
    libraries: a.libraries.map((l) => {
      const deb = packageOf(l);
      return { file: l.file, sha256: l.sha256, ...(deb ? { debian: deb } : {}) };
    }),
    sourceDateEpoch,
  });
}
