// Which writer a Lambda zip gets. A zip holding a large binary (the executable, the layer's Node)
// is written with segmented deflate, whose segments are reused across packs, so a pack after a
// one-line change compresses only what changed; everything else goes through archiver (zip.ts).
// Both give the same kind of archive; the numbers behind the switch are in BENCHMARKS.md.

import { stat } from "node:fs/promises";
import { diagnostic, type Diagnostic } from "../../diagnostic.js";
import { defaultSegmentCacheBytes } from "../deflate-segments.js";
import { writeSegmentedZip } from "../zip-segmented.js";
import { writeZip, type ZipOptions, type ZipResult } from "../zip.js";

export interface LambdaZipOptions extends ZipOptions {
  segmentCache?: string; // directory of reusable compressed segments; absent: archiver
}

/** From this size on, an entry is worth segmenting (smaller zips deflate in milliseconds anyway). */
export const segmentedFrom = 8 << 20;

async function largest(options: ZipOptions): Promise<number> {
  // A missing file is reported by the writer that reads it.
  const sizes = await Promise.all(options.entries.map(async (e) => (typeof e.source === "string" ? (await stat(e.source).catch(() => ({ size: 0 }))).size : e.source.length)));
  return Math.max(0, ...sizes);
}

/** The one line for cached segments that failed their check (compressed again, so the zip is right). */
function corruptSegments(paths: string[]): Diagnostic[] {
  if (paths.length === 0) return [];
  const which = paths.length === 1 ? `zip segment ${paths[0]}` : `zip segments ${paths[0]} and ${paths.length - 1} more`;
  return [diagnostic(`cached ${which} ${paths.length === 1 ? "is" : "are"} corrupt (sha256 mismatch); compressing ${paths.length === 1 ? "it" : "them"} again`)];
}

export async function writeLambdaZip(options: LambdaZipOptions): Promise<ZipResult & { warnings: Diagnostic[] }> {
  const { segmentCache, ...rest } = options;
  if (segmentCache && options.level > 0 && (await largest(rest)) >= segmentedFrom) {
    const { deflate, ...result } = await writeSegmentedZip({ ...rest, cache: { dir: segmentCache, maxBytes: defaultSegmentCacheBytes } });
    return { ...result, warnings: corruptSegments(deflate.corrupt) };
  }
  return { ...(await writeZip(rest)), warnings: [] };
}
