// The app layer: what GNU tar (a real reader) sees in it, and that its digests depend only on
// the file and the fixed settings (owner, mode, mtime).

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import type { Diagnostic } from "../../../../../src/diagnostic.js";
import { buildLayer } from "../../../../../src/artifacts/container/image/layer.js";
import { buildLayerCached, keptLayers } from "../../../../../src/artifacts/container/image/layer-cache.js";
import { requireTools } from "../../../../helpers/tools.js";

const dir = mkdtempSync(join(tmpdir(), "binship-layer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const app = join(dir, "app-bin");
writeFileSync(app, Buffer.concat([Buffer.from("\x7fELF"), Buffer.alloc(70_000, 7)]));
const layer = (name: string, mtime = 0, source = app) => buildLayer({ files: [{ source, path: "app/svc", mode: 0o755 }], uid: 65532, gid: 65532, mtime, outfile: join(dir, name) });

describe("buildLayer", () => {
  it.runIf(requireTools("tar"))("holds /app (root's) and the file owned by 65532, mode 0755, at the given mtime, as GNU tar lists it", async () => {
    const l = await layer("a.tar.gz", 1_700_000_000);
    const listing = execFileSync("tar", ["--numeric-owner", "--full-time", "-tvzf", l.path], { env: { ...process.env, TZ: "UTC" } }).toString().trim().split("\n");
    expect(listing).toHaveLength(2);
    expect(listing[0]).toMatch(/^drwxr-xr-x 0\/0 +0 2023-11-14 22:13:20 app\/$/);
    expect(listing[1]).toMatch(/^-rwxr-xr-x 65532\/65532 +70004 2023-11-14 22:13:20 app\/svc$/);
    execFileSync("tar", ["-xzf", l.path, "-C", dir]);
    expect(readFileSync(join(dir, "app", "svc")).equals(readFileSync(app))).toBe(true);
  });

  it("reports the blob digest of the gzip'd bytes and the diff ID of the tar inside", async () => {
    const l = await layer("b.tar.gz");
    const gz = readFileSync(l.path);
    expect(l.digest).toBe(`sha256:${createHash("sha256").update(gz).digest("hex")}`);
    expect(l.diffId).toBe(`sha256:${createHash("sha256").update(gunzipSync(gz)).digest("hex")}`);
    expect(l.size).toBe(gz.length);
  });

  it("gives the same digest for the same file, another for another mtime or another file", async () => {
    const [a, b, c] = [await layer("c1.tar.gz"), await layer("c2.tar.gz"), await layer("c3.tar.gz", 86_400)];
    expect(a.digest).toBe(b.digest);
    expect(c.digest).not.toBe(a.digest);
    const other = join(dir, "other-bin");
    writeFileSync(other, Buffer.alloc(70_004, 8));
    expect((await layer("c4.tar.gz", 0, other)).diffId).not.toBe(a.diffId);
  });
});

describe("buildLayerCached", () => {
  const cache = join(dir, "cache");
  const opts = (name: string, mtime = 0) => ({ files: [{ source: app, path: "app/svc", mode: 0o755 }], uid: 65532, gid: 65532, mtime, outfile: join(dir, name) });

  it("builds once, then returns the kept layer with the same digests", async () => {
    const a = await buildLayerCached(opts("k1.tar.gz"), cache, []);
    const built = statSync(a.path).mtimeMs;
    const b = await buildLayerCached(opts("k2.tar.gz"), cache, []);
    expect(b).toEqual(a);
    expect(statSync(b.path).mtimeMs).toBe(built);
    expect(a.digest).toBe((await layer("plain.tar.gz")).digest);
  });

  it("rebuilds a damaged entry instead of using it", async () => {
    const a = await buildLayerCached(opts("d1.tar.gz", 5), cache, []);
    writeFileSync(a.path, "damaged");
    const b = await buildLayerCached(opts("d2.tar.gz", 5), cache, []);
    expect(b.digest).toBe(a.digest);
    expect(readFileSync(b.path).length).toBe(a.size);
  });

  it("rebuilds an entry with one byte changed in place (size and mtime kept), with one warning naming it", async () => {
    const a = await buildLayerCached(opts("f1.tar.gz", 6), cache, []);
    const clean = readFileSync(a.path);
    const st = statSync(a.path);
    const bytes = Buffer.from(clean);
    bytes[bytes.length >> 1] ^= 0x01;
    writeFileSync(a.path, bytes);
    utimesSync(a.path, st.atime, st.mtime);
    const warnings: Diagnostic[] = [];
    const b = await buildLayerCached(opts("f2.tar.gz", 6), cache, warnings);
    expect(warnings.map((w) => w.text)).toEqual([`cached image layer ${a.path} is corrupt (sha256 mismatch); building it again`]);
    expect(readFileSync(b.path).equals(clean)).toBe(true);
    const again: Diagnostic[] = [];
    expect(await buildLayerCached(opts("f3.tar.gz", 6), cache, again)).toEqual(b);
    expect(again).toEqual([]);
  });

  it("treats a record whose digest changed as a miss, never handing out the changed digest", async () => {
    const a = await buildLayerCached(opts("r1.tar.gz", 7), cache, []);
    const record = a.path.replace(/\.tar\.gz$/, ".json");
    const text = readFileSync(record, "utf8");
    const flipped = text.replace(/"diffId":"sha256:(.)/, (_m, c: string) => `"diffId":"sha256:${c === "0" ? "1" : "0"}`);
    expect(flipped).not.toBe(text);
    writeFileSync(record, flipped);
    const warnings: Diagnostic[] = [];
    const b = await buildLayerCached(opts("r2.tar.gz", 7), cache, warnings);
    expect(b).toEqual(a);
    expect(warnings.map((w) => w.text)).toEqual([`cached image layer record ${record} is corrupt (sha256 mismatch); building the layer again`]);
  });

  it(`keeps the ${keptLayers} most recently used layers`, async () => {
    for (let i = 0; i < keptLayers + 3; i++) await buildLayerCached(opts(`p${i}.tar.gz`, 100 + i), cache, []);
    expect(readdirSync(cache).filter((n) => n.endsWith(".json"))).toHaveLength(keptLayers);
    expect(readdirSync(cache).filter((n) => n.endsWith(".tar.gz"))).toHaveLength(keptLayers);
  });
});
