// Reading layer tars back: binship's own ustar writer round-trips, and the long-name forms other
// tools write (ustar prefix, pax path records) give the full name; a truncated layer is an error.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buffer } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { tarStream } from "../../../src/artifacts/container/image/tar.js";
import { readTar } from "../../../src/inspect/tar-read.js";
import { requireTools } from "../../helpers/tools.js";

describe("readTar", () => {
  it("reads back what binship's layer writer wrote: names, types and bytes", async () => {
    const data = Buffer.from("console.log(1)\n");
    const tar = await buffer(
      tarStream([
        { name: "app/", type: "directory", mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 },
        { name: "app/app.cjs", type: "file", mode: 0o644, uid: 0, gid: 0, mtime: 0, size: data.length, data: () => [data] },
        { name: "app/empty", type: "file", mode: 0o644, uid: 0, gid: 0, mtime: 0, size: 0, data: () => [] },
      ]),
    );
    expect([...readTar(tar)].map((e) => [e.name, e.type, e.data.toString()])).toEqual([
      ["app/", "directory", ""],
      ["app/app.cjs", "file", "console.log(1)\n"],
      ["app/empty", "file", ""],
    ]);
    expect(() => [...readTar(tar.subarray(0, 700))]).toThrow(RangeError);
  });

  it.runIf(requireTools("tar"))("gives the whole name of a long path, as GNU tar writes it in ustar (prefix) and pax form", () => {
    const dir = mkdtempSync(join(tmpdir(), "binship-tar-read-"));
    const long = `${"d".repeat(60)}/${"e".repeat(60)}/file.bin`;
    mkdirSync(join(dir, "src", long, ".."), { recursive: true });
    writeFileSync(join(dir, "src", long), "x".repeat(1000));
    for (const format of ["ustar", "pax"]) {
      const tar = execFileSync("tar", ["-C", join(dir, "src"), `--format=${format}`, "-cf", "-", long]);
      const files = [...readTar(tar)].filter((e) => e.type === "file");
      expect(files.map((e) => [e.name, e.data.length]), format).toEqual([[long, 1000]]);
    }
  });
});
