// The start-up warning for a module that listens itself on another port than $PORT: said
// once with both ports and the fix, and never when the ports agree or PORT is unset.

import { describe, expect, it } from "vitest";
import { warnForeignPort } from "../../../../src/runtime/server/index.js";

const lines = (port: number, env: NodeJS.ProcessEnv) => {
  const out: string[] = [];
  warnForeignPort(port, env, (l) => out.push(l));
  return out;
};

describe("warnForeignPort", () => {
  it("names the app's port, $PORT and the fix when they differ", () => {
    const out = lines(3000, { PORT: "8080" });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/listens on port 3000 itself, but PORT is 8080/);
    expect(out[0]).toMatch(/Number\(process\.env\.PORT\).*PORT=3000/);
  });

  it("says nothing when the app listens on $PORT, or when PORT is not set", () => {
    expect(lines(8080, { PORT: "8080" })).toEqual([]);
    expect(lines(3000, {})).toEqual([]);
    expect(lines(3000, { PORT: "" })).toEqual([]);
  });
});
