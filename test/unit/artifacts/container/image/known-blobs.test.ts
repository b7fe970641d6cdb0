// The record of where earlier pushes left each blob: most recent repository first, per registry,
// bounded, kept across runs, and a damaged or foreign file read as "nothing known".

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadKnownBlobs } from "../../../../../src/artifacts/container/image/known-blobs.js";

const dir = () => mkdtempSync(join(tmpdir(), "binship-known-blobs-"));
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;

describe("known blobs", () => {
  it("names the repositories a blob was pushed to, most recent first, on that registry only, after a save and reload", async () => {
    const file = join(dir(), "cache", "registry-blobs.json");
    const a = await loadKnownBlobs(file);
    a.remember("r.example.com", "team/svc", [digest(1), digest(2)]);
    a.remember("r.example.com", "team/orders", [digest(1)]);
    a.remember("other.example.com", "team/x", [digest(1)]);
    await a.save();
    const b = await loadKnownBlobs(file);
    expect(b.sources("r.example.com", digest(1))).toEqual(["team/orders", "team/svc"]);
    expect(b.sources("r.example.com", digest(2))).toEqual(["team/svc"]);
    expect(b.sources("other.example.com", digest(2))).toEqual([]);
    expect(b.sources("new.example.com", digest(1))).toEqual([]);
  });

  it("keeps three repositories per blob and the 200 most recent blobs per registry", async () => {
    const file = join(dir(), "registry-blobs.json");
    const k = await loadKnownBlobs(file);
    for (const repo of ["a", "b", "c", "d"]) k.remember("r", repo, [digest(0)]);
    expect(k.sources("r", digest(0))).toEqual(["d", "c", "b"]);
    for (let i = 1; i <= 250; i++) k.remember("r", "a", [digest(i)]);
    await k.save();
    const kept = Object.keys(JSON.parse(readFileSync(file, "utf8")).registries.r);
    expect(kept).toHaveLength(200);
    expect(kept).toContain(digest(250));
    expect(kept).not.toContain(digest(0)); // the oldest went first
  });

  it("reads a damaged or foreign file as empty, and a record without a file is never written", async () => {
    const d = dir();
    for (const text of ["{not json", JSON.stringify({ format: 99, registries: {} }), JSON.stringify({ format: 1, registries: { r: { [digest(1)]: "team/svc" } } })]) {
      writeFileSync(join(d, "f.json"), text);
      expect((await loadKnownBlobs(join(d, "f.json"))).sources("r", digest(1))).toEqual([]);
    }
    const none = await loadKnownBlobs(undefined);
    none.remember("r", "team/svc", [digest(1)]);
    await none.save();
    expect(none.sources("r", digest(1))).toEqual(["team/svc"]);
  });
});
