// The snapshot plan (executable/snapshot-plan.ts): from the probe's record of an init, which
// modules the snapshot holds and which run at each start, and why.

import { describe, expect, it } from "vitest";
import { holdsNothing, planSnapshot, shownModule } from "../../src/executable/snapshot-plan.js";
import type { Finding, ProbeReport } from "../../src/executable/snapshot-guard.js";

const env = (module: string, name: string): Finding => ({ kind: "env", what: name, stack: "", module });
const probe = (p: Partial<ProbeReport>): ProbeReport => ({ order: [], imports: {}, threw: [], globals: {}, findings: [], ...p });

describe("planSnapshot", () => {
  it("holds everything when nothing reads what a start changes", () => {
    const plan = planSnapshot(probe({ order: ["node_modules/a/i.js", "src/app.ts"], imports: { "src/app.ts": ["node_modules/a/i.js"] } }));
    expect(plan.atBuild).toEqual(["node_modules/a/i.js", "src/app.ts"]);
    expect(plan.atStart).toEqual([]);
  });

  it("keeps a module reading the environment, and every module importing it, at the start", () => {
    const plan = planSnapshot(
      probe({
        order: ["node_modules/e/i.js", "node_modules/b/i.js", "node_modules/c/i.js", "src/app.ts"],
        imports: { "node_modules/b/i.js": ["node_modules/e/i.js"], "node_modules/c/i.js": ["node_modules/b/i.js"], "src/app.ts": ["node_modules/c/i.js"] },
        findings: [env("node_modules/e/i.js", "A"), env("node_modules/e/i.js", "B")],
      }),
    );
    expect(plan.atBuild).toEqual([]);
    expect(plan.atStart.map((s) => s.why)).toEqual(["reads process.env.A, B", "imports node_modules/e/i.js", "imports node_modules/b/i.js", "imports node_modules/c/i.js"]);
    expect(holdsNothing(plan)).toBe(true);
  });

  it("evaluates an independent package that loaded after one at the start, unless that one changed a global", () => {
    const base = { order: ["node_modules/e/i.js", "node_modules/x/i.js", "src/app.ts"], imports: { "src/app.ts": ["node_modules/e/i.js", "node_modules/x/i.js"] }, findings: [env("node_modules/e/i.js", "A")] };
    expect(planSnapshot(probe(base)).atBuild).toEqual(["node_modules/x/i.js"]);
    const barrier = planSnapshot(probe({ ...base, globals: { "node_modules/e/i.js": ["globalThis.fetch"] } }));
    expect(barrier.atBuild).toEqual([]);
    expect(barrier.atStart[1]).toEqual({ module: "node_modules/x/i.js", why: "loads after node_modules/e/i.js, which runs at the start and changes globalThis.fetch" });
  });

  it("keeps the service's own modules in order: none after one at the start is evaluated earlier", () => {
    const plan = planSnapshot(probe({ order: ["src/a.ts", "src/config.ts", "src/b.ts", "node_modules/p/i.js"], findings: [env("src/config.ts", "TABLE")] }));
    expect(plan.atBuild).toEqual(["src/a.ts", "node_modules/p/i.js"]);
    expect(plan.atStart.map((s) => s.module)).toEqual(["src/config.ts", "src/b.ts"]);
  });

  it("follows an import cycle to a module decided later in the order", () => {
    // b imports a while a is still running (a cycle): b completes first.
    const plan = planSnapshot(probe({ order: ["node_modules/b/i.js", "node_modules/a/i.js"], imports: { "node_modules/a/i.js": ["node_modules/b/i.js"], "node_modules/b/i.js": ["node_modules/a/i.js"] }, findings: [env("node_modules/a/i.js", "X")] }));
    expect(plan.atBuild).toEqual([]);
  });

  it("lists a module that threw and never completed, and keeps its importer at the start", () => {
    const plan = planSnapshot(probe({ order: ["node_modules/user/i.js"], imports: { "node_modules/user/i.js": ["node_modules/thrower/i.js"] }, threw: ["node_modules/thrower/i.js"] }));
    expect(plan.atBuild).toEqual([]);
    expect(plan.atStart).toEqual([
      { module: "node_modules/user/i.js", why: "imports node_modules/thrower/i.js" },
      { module: "node_modules/thrower/i.js", why: "its init threw at build time" },
    ]);
  });

  it("trusts nothing when binship's own code read something during the init", () => {
    const plan = planSnapshot(probe({ order: ["node_modules/a/i.js"], findings: [{ kind: "clock", what: "Date.now()", stack: "" }] }));
    expect(plan.atBuild).toEqual([]);
  });
});

describe("shownModule", () => {
  it("names a package's file by its innermost package, the service's own by its path", () => {
    expect(shownModule("node_modules/@aws-sdk/core/node_modules/@aws/lambda-invoke-store/dist-es/x.js")).toBe("@aws/lambda-invoke-store");
    expect(shownModule("node_modules/debug/src/node.js")).toBe("debug");
    expect(shownModule("src/config.ts")).toBe("src/config.ts");
  });
});
