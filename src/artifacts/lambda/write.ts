// Which zip writer a Lambda zip gets (see segments in ../zip-segmented.ts once measured).

import { writeZip, type ZipOptions, type ZipResult } from "../zip.js";

export interface LambdaZipOptions extends ZipOptions {
  segmentCache?: string;
}

export async function writeLambdaZip(options: LambdaZipOptions): Promise<ZipResult> {
  const { segmentCache: _, ...rest } = options;
  return writeZip(rest);
}
