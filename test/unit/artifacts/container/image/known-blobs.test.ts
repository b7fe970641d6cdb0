// The record of where earlier pushes left each blob: per registry host, most recent repository
// first, bounded, kept across runs and merged with another run's save, and a damaged or foreign
// file read as "nothing known".

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { knownBlobsFile, loadKnownBlobs } from "../../../../../src/artifacts/container/image/known-blobs.js";

const dir = () => join(mkdtempSync(join(tmpdir(), "binship-known-blobs-")), "registry-blobs");
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;

describe("known blobs", () => {
  it("names the repositories a blob was pushed to, most recent first, on that registry only, after a save and reload", async () => {
    const d = dir();
    const a = await loadKnownBlobs(d, "r.example.com");
    a.remember("team/svc", [digest(1), digest(2)]);
    a.remember("team/orders", [digest(1)]);
    await a.save();
    const other = await loadKnownBlobs(d, "127.0.0.1:5000");
    other.remember("team/x", [digest(1)]);
    await other.save();
    const b = await loadKnownBlobs(d, "r.example.com");
    expect(b.sources(digest(1))).toEqual(["team/orders", "team/svc"]);
    expect(b.sources(digest(2))).toEqual(["team/svc"]);
    expect((await loadKnownBlobs(d, "127.0.0.1:5000")).sources(digest(1))).toEqual(["team/x"]);
    expect((await loadKnownBlobs(d, "new.example.com")).sources(digest(1))).toEqual([]);
  });

  it("keeps another run's save: this run's pushes are merged into the file as it is when saving", async () => {
    const d = dir();
    const one = await loadKnownBlobs(d, "r");
    const two = await loadKnownBlobs(d, "r"); // read before one saved
    one.remember("team/a", [digest(1)]);
    await one.save();
    two.remember("team/b", [digest(2)]);
    await two.save();
    const after = await loadKnownBlobs(d, "r");
    expect([after.sources(digest(1)), after.sources(digest(2))]).toEqual([["team/a"], ["team/b"]]);
  });

  it("keeps three repositories per blob and the 200 most recent blobs per registry", async () => {
    const d = dir();
    const k = await loadKnownBlobs(d, "r");
    for (const repo of ["a", "b", "c", "d"]) k.remember(repo, [digest(0)]);
    expect(k.sources(digest(0))).toEqual(["d", "c", "b"]);
    for (let i = 1; i <= 250; i++) k.remember("a", [digest(i)]);
    await k.save();
    const kept = Object.keys(JSON.parse(readFileSync(knownBlobsFile(d, "r"), "utf8")).blobs);
    expect(kept).toHaveLength(200);
    expect(kept).toContain(digest(250));
    expect(kept).not.toContain(digest(0)); // the oldest went first
  });

  it("reads a damaged or foreign file as empty, and a record without a directory is never written", async () => {
    const d = dir();
    mkdirSync(d, { recursive: true });
    for (const text of ["{not json", JSON.stringify({ format: 99, blobs: {} }), JSON.stringify({ format: 1, blobs: { [digest(1)]: "team/svc" } })]) {
      writeFileSync(knownBlobsFile(d, "r"), text);
      expect((await loadKnownBlobs(d, "r")).sources(digest(1))).toEqual([]);
    }
    const none = await loadKnownBlobs(undefined, "r");
    none.remember("team/svc", [digest(1)]);
    await none.save();
    expect(none.sources(digest(1))).toEqual(["team/svc"]);
  });
});
