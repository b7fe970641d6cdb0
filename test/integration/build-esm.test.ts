// Top-level await in single executables and Lambda zips: the Hono fixture and the plain handler
// fixture (both await their configuration at module level) built once per arch, run as x64 and
// arm64 (qemu) executables in server mode and through `binship invoke`, and packed from those
// same executables into provided.al2023 and provided.al2 zips. Node 24 (the default) runs an ES
// module bundle through binship's CommonJS loader (src/executable/esm-main.ts).

import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appsDir, fixturesDir, runCli, tempDir } from "../helpers/cli.js";
import { expectHonoServes, expectReadinessWaited, readinessWhileAwaiting, runWithRejectedAwait } from "../helpers/top-level-await.js";
import { requirePaths, requireTools } from "../helpers/tools.js";

const work = tempDir("binship-build-esm-");
afterAll(() => rmSync(work, { recursive: true, force: true }));
const host = process.arch === "arm64" ? "arm64" : "x64";
const arm64Root = "/usr/aarch64-linux-gnu";
const canRunArm64 = host === "arm64" || (requireTools("qemu-aarch64") && requirePaths(`${arm64Root}/lib/libc.so.6`));
const slow = { timeoutMs: 600_000 };
const entries = { hono: join(appsDir, "hono-tla", "index.ts"), handler: join(fixturesDir, "lambda-apps", "tla-handler.ts") };

type App = keyof typeof entries;
const exe = (app: App, arch: string) => join(work, `${app}-${arch}`);
/** How to start an arm64 executable on this machine. */
const runner = (path: string, arch: string): [string, string[]] => (arch === host ? [path, []] : ["qemu-aarch64", ["-L", arm64Root, path]]);

async function build(app: App, arch: string): Promise<void> {
  const r = await runCli(["build", entries[app], "--arch", arch, "-o", exe(app, arch)], slow);
  expect(r.code, r.stderr).toBe(0);
}

async function packZip(app: App, arch: string, runtime: string): Promise<string> {
  const out = join(work, `${app}-${arch}-${runtime}.zip`);
  const r = await runCli(["pack", "lambda", "--executable", exe(app, arch), "--arch", arch, "--runtime", runtime, "-o", out], slow);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

const archs = canRunArm64 && host === "x64" ? ["x64", "arm64"] : [host];

beforeAll(async () => {
  // Built once for the whole file: builds are the slow part on a shared machine.
  for (const arch of archs) for (const app of ["hono", "handler"] as const) await build(app, arch);
}, 1_200_000);

describe.each(archs)("%s executables", (arch) => {
  it("serve the Hono app after its await: import.meta names the executable, import() and a CommonJS dependency work", async () => {
    const [command, args] = runner(exe("hono", arch), arch);
    await expectHonoServes(command, args, exe("hono", arch));
  });

  it("exit 1 with the error when the await rejects, before listening", async () => {
    const [command, args] = runner(exe("hono", arch), arch);
    const r = await runWithRejectedAwait(command, args);
    expect(r.code).toBe(1);
    expect(r.output).toContain("Error: secrets store unreachable");
    expect(r.output).not.toContain("listening on");
  });

  it("answer the plain handler through invoke, with the config loaded in init", async () => {
    const event = join(work, "event.json");
    writeFileSync(event, JSON.stringify({ name: arch }));
    const r = await runCli(["invoke", exe("handler", arch), "--event", event, "--env", `FIXTURE_GREETING=hi ${arch}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ greeting: `hi ${arch}`, name: arch });
  });
});

it(`a ${host} executable is not ready while a 1 s await is pending`, async () => {
  expectReadinessWaited(await readinessWhileAwaiting(exe("hono", host), []));
});

describe("Lambda zips made from those executables, run by invoke", () => {
  const cases: [App, string, string][] = [];
  for (const runtime of ["provided.al2023", "provided.al2"]) {
    for (const arch of archs) for (const app of ["hono", "handler"] as const) cases.push([app, arch, runtime]);
  }

  it.each(cases)("%s %s in a %s zip answers", async (app, arch, runtime) => {
    const zip = await packZip(app, arch, runtime);
    const r =
      app === "hono"
        ? await runCli(["invoke", zip, "--http", "GET /config", "--json", "--env", `FIXTURE_GREETING=${runtime}`])
        : await runCli(["invoke", zip, "--json", "--env", `FIXTURE_GREETING=${runtime}`]);
    expect(r.code, r.stderr).toBe(0);
    const [invocation] = JSON.parse(r.stdout).invocations;
    if (app === "hono") {
      expect(invocation.http.statusCode).toBe(200);
      expect(JSON.parse(invocation.http.body).greeting).toBe(runtime);
    } else expect(invocation.result).toMatchObject({ greeting: runtime });
  });

  it("a rejected await is an init error: invoke exits 1 naming it", async () => {
    const zip = await packZip("handler", host, "provided.al2023");
    const r = await runCli(["invoke", zip, "--env", "FIXTURE_INIT_FAIL=secrets store unreachable"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the function failed to start: Error: secrets store unreachable");
  });
});
