// The snapshot guard's verdict from the runtime's report: each finding's stack mapped through the
// bundle's source map to the module behind it, binship's runtime and Node's frames skipped, one
// error for all; an init that threw with nothing found is a plain build failure.

import { describe, expect, it } from "vitest";
import { readReport, refusal, reportPrefix } from "../../../src/executable/snapshot-guard.js";

// One bundle line; columns 0, 10 and 20 come from a package, binship's runtime and the service.
const sourceMap = JSON.stringify({
  version: 3,
  sources: ["../project/node_modules/@scope/pkg/lib/index.js", "binship-runtime:snapshot.ts", "../project/src/app.ts"],
  names: [],
  mappings: "AAAA,UCAA,UCIA",
});
const ctx = { bundle: "/build/sea/app.cjs", sourceMap, projectDir: "/build/project" };
const stack = (...columns: number[]) => ["Error", ...columns.map((c) => `    at f (/proc/self/cwd/app.cjs:1:${c + 1})`)].join("\n");

describe("snapshot guard", () => {
  it("names the package (scope included) and the service's line that reached it, skipping binship's frames", () => {
    const err = refusal({ findings: [{ kind: "env", what: "AWS_REGION", stack: `Error\n    at get (node:internal/x:1:1)\n${stack(10, 0, 20).split("\n").slice(1).join("\n")}` }] }, ctx);
    expect(err.code).toBe("SNAPSHOT_REFUSED");
    expect(err.exitCode).toBe(1);
    expect(err.diagnostics.map((d) => d.text)).toEqual(["node_modules/@scope/pkg (node_modules/@scope/pkg/lib/index.js:1, reached from src/app.ts:5): reads process.env.AWS_REGION"]);
  });

  it("lists every module once with all it did, in words per kind", () => {
    const err = refusal(
      {
        findings: [
          { kind: "env", what: "TABLE", stack: stack(20) },
          { kind: "env", what: "TABLE", stack: stack(20) },
          { kind: "env", what: "SET_ME (written)", stack: stack(20) },
          { kind: "clock", what: "Date.now()", stack: stack(0) },
          { kind: "timer", what: "setInterval()", stack: stack(0) },
        ],
      },
      ctx,
    );
    expect(err.diagnostics.map((d) => d.text)).toEqual([
      "src/app.ts (src/app.ts:5): reads process.env.TABLE, writes process.env.SET_ME",
      "node_modules/@scope/pkg (node_modules/@scope/pkg/lib/index.js:1): reads the clock: Date.now(), starts a timer: setInterval()",
    ]);
    expect(err.message).toContain("reads values a startup snapshot would freeze");
    expect(err.message).toContain("starts timers");
    expect(err.message).toContain("(2 modules)");
  });

  it("says so when no frame belongs to the service or a package", () => {
    const err = refusal({ findings: [{ kind: "random", what: "Math.random()", stack: stack(10) }] }, ctx);
    expect(err.diagnostics[0]!.text).toMatch(/^\(module unknown/);
  });

  it("reports an init that threw, with nothing found, as a build failure with its error", () => {
    const err = refusal({ findings: [], error: "SyntaxError: Unexpected token n in JSON\n    at JSON.parse" }, ctx);
    expect(err.code).toBe("EXECUTABLE_FAILED");
    expect(err.diagnostics[0]!.text).toContain("SyntaxError");
  });

  it("finds the report line among the generator's other output, and nothing in output without one", () => {
    const report = { findings: [{ kind: "env", what: "X", stack: "" }] };
    expect(readReport(`(node:1) ExperimentalWarning: ...\n${reportPrefix}${JSON.stringify(report)}\n`)).toEqual(report);
    expect(readReport("Fatal error in , line 0\n")).toBeUndefined();
  });
});
