// The one streaming pass inspect makes over a binary: the SEA fuse and Node's release version are
// found wherever they sit, also across the 1 MiB chunks the file is read in, and the sha256 is
// the file's.

import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scanFile } from "../../../src/inspect/scan.js";
import { tempDir } from "../../helpers/cli.js";

const fuse = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1";
const release = "https://nodejs.org/download/release/v24.22.3/node-v24.22.3.tar.gz";
const chunk = 1 << 20;

function fileWith(parts: { at: number; text: string }[], size: number): { path: string; sha256: string } {
  const buf = Buffer.alloc(size, 0x2e);
  for (const p of parts) buf.write(p.text, p.at, "latin1");
  const path = join(tempDir("binship-scan-"), "bin");
  writeFileSync(path, buf);
  return { path, sha256: createHash("sha256").update(buf).digest("hex") };
}

describe("scanFile", () => {
  it.each([
    ["inside one chunk", 1000, 5000],
    ["across the first chunk boundaries", 2 * chunk - 20, chunk - 30],
    ["across a later boundary, version string cut after its prefix", 3 * chunk - 1, 2 * chunk - 25],
  ])("finds the fuse and the version %s", async (_, fuseAt, releaseAt) => {
    const f = fileWith([{ at: fuseAt, text: fuse }, { at: releaseAt, text: release }], 4 * chunk + 123);
    expect(await scanFile(f.path)).toEqual({ sha256: f.sha256, fuse: "1", nodeVersion: "24.22.3" });
  });

  it("reports neither in a file without them", async () => {
    const f = fileWith([], chunk + 5);
    expect(await scanFile(f.path)).toEqual({ sha256: f.sha256 });
  });
});
