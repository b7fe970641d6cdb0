// --sourcemap must map stacks inside a single executable too, where the running script is
// not __filename but whatever name the SEA loader compiled the blob under.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { startService, type Service } from "../helpers/process.js";

let svc: Service | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

describe("binship build --sourcemap", () => {
  it("a thrown error's stack in the executable points at the TypeScript file and line", async () => {
    const dir = tempDir("binship-smx-");
    mkdirSync(join(dir, "src"));
    writeFileSync(
      join(dir, "src", "index.ts"),
      [
        "function explode(): never {",
        '  throw new Error("exploded inside the executable");',
        "}",
        "export default {",
        "  fetch(request: Request): Response {",
        '    if (new URL(request.url).pathname === "/boom") explode();',
        '    return new Response("ok");',
        "  },",
        "};",
        "",
      ].join("\n"),
    );
    const r = await runCli(["build", "src/index.ts", "--arch", "x64", "--sourcemap", "-o", "app"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    svc = await startService(join(dir, "app"), []);
    expect((await httpRequest(`${svc.url}/boom`)).status).toBe(500);
    const out = svc.output();
    expect(out).toContain("Error: exploded inside the executable");
    expect(out).toMatch(/^ {4}at explode \(src\/index\.ts:2:9\)$/m);
    expect(out).toMatch(/^ {4}at .*src\/index\.ts:6:\d+\)?$/m);
  });
});
