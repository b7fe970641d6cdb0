// `binship invoke` on a zip nobody can vouch for: damaged offsets, bombs, hostile paths and
// modes. Each must end with a clear exit 2 naming the problem, with nothing unpacked left in
// $TMPDIR (a per-test directory, counted), and never with a stack or a runaway unpack.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../helpers/cli.js";
import { rawZip, type RawEntry } from "../helpers/raw-zip.js";

const bootstrap: RawEntry = { name: "bootstrap", data: Buffer.from("#!/bin/sh\nexit 1\n"), mode: 0o100755 };
const mb = 1024 * 1024;
let zeros: Buffer; // 300 MB of zeros, deflated (about 300 KB)

beforeAll(() => {
  zeros = deflateRawSync(Buffer.alloc(300 * mb), { level: 9 });
});

interface Hostile {
  code: number | null;
  stderr: string;
  tmp: string[]; // what is left in the run's $TMPDIR
  around: string[]; // what is left beside $TMPDIR (where a "../" entry would land)
}

async function invokeZip(bytes: Buffer, args: string[] = []): Promise<Hostile> {
  const dir = tempDir("binship-hostile-");
  const tmp = join(dir, "tmp");
  mkdirSync(tmp);
  const zip = join(dir, "fn.zip");
  writeFileSync(zip, bytes);
  const r = await runCli(["invoke", zip, ...args], { env: { TMPDIR: tmp }, timeoutMs: 60_000 });
  return { code: r.code, stderr: r.stderr, tmp: readdirSync(tmp), around: readdirSync(dir).filter((n) => n !== "tmp" && n !== "fn.zip") };
}

function expectRefused(run: Hostile, message: RegExp): void {
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/unexpected error|\n\s+at /);
  expect(run.code, run.stderr).toBe(2);
  expect(run.tmp).toEqual([]);
  expect(run.around).toEqual([]);
}

describe("binship invoke on a damaged zip", () => {
  it("refuses a central directory that points past the end of the file", async () => {
    const zip = rawZip([bootstrap]);
    zip.bytes.writeUInt32LE(zip.bytes.length + 4096, zip.eocd + 16);
    expectRefused(await invokeZip(zip.bytes), /fn\.zip is not a valid zip: the central directory \(bytes \d+ to \d+\) lies past the end/);
  });

  it("refuses a local header offset past the end of the file", async () => {
    const zip = rawZip([bootstrap]);
    zip.bytes.writeUInt32LE(0x7fff0000, zip.centralStart + 42);
    expectRefused(await invokeZip(zip.bytes), /fn\.zip is not a valid zip: the local header of bootstrap \(byte 2147418112\) lies past/);
  });

  it("refuses a truncated central directory (more entries declared than it holds)", async () => {
    const zip = rawZip([bootstrap]);
    zip.bytes.writeUInt16LE(3, zip.eocd + 8);
    zip.bytes.writeUInt16LE(3, zip.eocd + 10);
    expectRefused(await invokeZip(zip.bytes), /not a valid zip: the central directory is truncated: entry 2 of 3/);
  });

  it("refuses an entry whose data runs past its end", async () => {
    const zip = rawZip([bootstrap]);
    zip.bytes.writeUInt32LE(1 << 20, zip.centralStart + 20);
    zip.bytes.writeUInt32LE(1 << 20, zip.centralStart + 24);
    expectRefused(await invokeZip(zip.bytes), /not a valid zip: the data of bootstrap \(1048576 bytes from byte \d+\) runs past/);
  });

  it("binship inspect, which reads zips the same way, refuses it the same way", async () => {
    const zip = rawZip([bootstrap]);
    zip.bytes.writeUInt32LE(zip.bytes.length + 4096, zip.eocd + 16);
    const file = join(tempDir("binship-hostile-"), "fn.zip");
    writeFileSync(file, zip.bytes);
    const r = await runCli(["inspect", file]);
    expect(r.stderr).toMatch(/fn\.zip is not a valid zip: the central directory .* lies past the end/);
    expect(r.code, r.stderr).toBe(2);
  });

  it("refuses an entry whose content does not match its CRC-32", async () => {
    const zip = rawZip([bootstrap]);
    zip.bytes[30 + "bootstrap".length + 3]! ^= 1; // one byte of the stored script
    expectRefused(await invokeZip(zip.bytes), /fn\.zip is not a valid zip: bad CRC for bootstrap/);
  });
});

describe("binship invoke on a zip bomb", () => {
  it("stops inflating a bomb declared small at its declared size", async () => {
    const zip = rawZip([bootstrap, { name: "data.bin", deflate: zeros, size: 1000 }]);
    expectRefused(await invokeZip(zip.bytes), /not a valid zip: data\.bin inflates to more than its declared 1000 bytes/);
  });

  it("refuses a package declared over Lambda's 250 MB unzipped limit before unpacking a byte", async () => {
    const zip = rawZip([bootstrap, { name: "data.bin", deflate: zeros, size: 300 * mb }]);
    expectRefused(await invokeZip(zip.bytes), /cannot be unpacked as a Lambda deployment package: its entries declare 314572\d\d\d bytes .* unzipped, more than Lambda's 262144000-byte \(250 MB\) unzipped limit/);
  });

  it("binship inspect refuses the same package instead of inflating it", async () => {
    const file = join(tempDir("binship-hostile-"), "fn.zip");
    writeFileSync(file, rawZip([bootstrap, { name: "data.bin", deflate: zeros, size: 300 * mb }]).bytes);
    const r = await runCli(["inspect", file]);
    expect(r.stderr).toMatch(/fn\.zip cannot be unpacked as a Lambda deployment package: its entries declare 314572\d\d\d bytes/);
    expect(r.code, r.stderr).toBe(2);
  });

  it("counts a --layer against the same limit as the function", async () => {
    const dir = tempDir("binship-hostile-layer-");
    const layer = join(dir, "layer.zip");
    writeFileSync(layer, rawZip([{ name: "bin/node", deflate: zeros, size: 200 * mb }]).bytes); // refused before it inflates
    // A function of 100 MB and a layer of 200 MB: each fits alone, not together.
    const fn = rawZip([{ name: "bootstrap", data: Buffer.from("#!/bin/sh\n# BINSHIP_OPT\nexec \"$BINSHIP_OPT/bin/node\"\n"), mode: 0o100755 }, { name: "big", data: Buffer.alloc(100 * mb), deflate: true }]);
    const run = await invokeZip(fn.bytes, ["--layer", layer]);
    expectRefused(run, /layer\.zip cannot be unpacked as a Lambda deployment package: its entries declare 209715200 bytes .* more than the 157286\d+ bytes left of Lambda's 262144000-byte \(250 MB\) unzipped limit/);
  });
});

describe("binship invoke on a zip with hostile entries", () => {
  for (const [what, name] of [
    ["a ../ path", "../escaped"],
    ["an absolute path", "/tmp/binship-escaped"],
    ["a backslash path", "..\\..\\escaped"],
  ] as const) {
    it(`refuses ${what} and writes nothing outside the task root`, async () => {
      const zip = rawZip([bootstrap, { name, data: Buffer.from("x") }]);
      expectRefused(await invokeZip(zip.bytes), /cannot be unpacked as a Lambda deployment package: entry ".*escaped" has .* so it would land outside the task root/);
    });
  }

  it("refuses a device entry", async () => {
    const zip = rawZip([bootstrap, { name: "disk", mode: 0o060644 }]);
    expectRefused(await invokeZip(zip.bytes), /entry disk is a device, fifo or socket/);
  });

  it("refuses a symlink out of the task root, directly or through another symlink", async () => {
    const direct = rawZip([bootstrap, { name: "etc", data: Buffer.from("/etc"), mode: 0o120777 }]);
    expectRefused(await invokeZip(direct.bytes), /symlink etc points to \/etc, outside the task root/);
    // "here" -> "." is harmless alone; "up" -> "here/.." looks inside but resolves to the task root's parent.
    const chained = rawZip([bootstrap, { name: "here", data: Buffer.from("."), mode: 0o120777 }, { name: "sub/up", data: Buffer.from("../here/.."), mode: 0o120777 }]);
    expectRefused(await invokeZip(chained.bytes), /symlink sub\/up points to \.\.\/here\/\.\., which is outside the task root/);
  });

  it("drops set-uid, set-gid and sticky bits: bootstrap is unpacked 0755", async () => {
    const seen = join(tempDir("binship-hostile-mode-"), "mode");
    const script = `#!/bin/sh\nstat -c %a "$LAMBDA_TASK_ROOT/bootstrap" > '${seen}'\nexit 1\n`;
    const zip = rawZip([{ name: "bootstrap", data: Buffer.from(script), mode: 0o107755 }]);
    const run = await invokeZip(zip.bytes, ["--timeout", "5"]);
    expect(run.code, run.stderr).toBe(1); // the bootstrap ran, and exited 1 during init
    expect(readFileSync(seen, "utf8").trim()).toBe("755");
    expect(run.tmp).toEqual([]);
  });
});
