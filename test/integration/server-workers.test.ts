// BINSHIP_WORKERS: several worker processes share the port; probes, the SIGTERM drain and
// crash recovery hold across them; "auto" follows the container's CPU quota.

import http from "node:http";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../helpers/cli.js";
import { httpRequest, waitFor } from "../helpers/http.js";
import { running, startService, type Service } from "../helpers/process.js";

const dir = tempDir("binship-workers-");
let fetchBundle = "";
let listenBundle = "";
let configuredBundle = "";
let executable = "";
let svc: Service | undefined;

// /pid answers with the serving process; /slow logs its start, then answers after ?ms;
// /crash throws outside any request, which ends that worker.
const fetchApp = `
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/slow") {
      console.error("slow start " + process.pid);
      await new Promise((r) => setTimeout(r, Number(url.searchParams.get("ms") ?? 500)));
      return new Response("done " + process.pid);
    }
    if (url.pathname === "/crash") setImmediate(() => { throw new Error("worker crash on purpose"); });
    return new Response(String(process.pid));
  },
};
`;
// A module that listens itself: cluster shares its port between the workers too.
const listenApp = `
import http from "node:http";
http.createServer((req, res) => res.end(String(process.pid))).listen(Number(process.env.PORT), "127.0.0.1");
`;

async function bundle(name: string, source: string, cwd?: string): Promise<string> {
  const entry = join(cwd ?? dir, `${name}.ts`);
  writeFileSync(entry, source);
  const out = join(cwd ?? dir, `${name}.cjs`);
  const result = await runCli(["bundle", entry, "-o", out], { cwd });
  expect(result.code, result.stderr).toBe(0);
  return out;
}

/** The pids that answer `count` requests, each on a new connection (cluster hands connections round-robin). */
async function pidsOf(url: string, count = 8): Promise<Set<string>> {
  const pids = new Set<string>();
  for (let i = 0; i < count; i++) pids.add((await httpRequest(url, { agent: false })).body.toString());
  return pids;
}

beforeAll(async () => {
  fetchBundle = await bundle("fetch", fetchApp);
  listenBundle = await bundle("listen", listenApp);
  const configured = tempDir("binship-workers-config-");
  writeFileSync(join(configured, "binship.config.json"), JSON.stringify({ workers: 2 }));
  configuredBundle = await bundle("fetch", fetchApp, configured);
  // What users ship: cluster forks the single executable itself, which must start as a worker.
  executable = join(dir, "fetch-bin");
  const built = await runCli(["build", join(dir, "fetch.ts"), "-o", executable]);
  expect(built.code, built.stderr).toBe(0);
});

afterEach(async () => {
  const pids = svc ? [...(await pidsOf(`${svc.url}/pid`, 4).catch(() => new Set<string>()))] : [];
  await svc?.stop();
  svc = undefined;
  // The workers end with their primary (they see its IPC channel close).
  for (const pid of pids) await waitFor(`worker ${pid} to end`, () => (running(Number(pid)) ? undefined : true));
});

describe("server workers", () => {
  it("BINSHIP_WORKERS=2 answers from two processes of the single executable, none of them the primary", async () => {
    svc = await startService(executable, [], { env: { BINSHIP_WORKERS: "2" } });
    const pids = await waitFor("both workers to answer", async () => {
      const seen = await pidsOf(`${svc!.url}/pid`);
      return seen.size === 2 ? seen : undefined;
    });
    expect(pids.has(String(svc.child.pid))).toBe(false);
    expect((await httpRequest(`${svc.url}/healthz`)).status).toBe(200);
    expect(svc.output()).toContain("binship: starting 2 workers");
  });

  it("SIGTERM: requests in flight on both workers are all answered, readiness says 503, the process exits 0", async () => {
    svc = await startService(process.execPath, [fetchBundle], { env: { BINSHIP_WORKERS: "2" } });
    await waitFor("both workers", async () => ((await pidsOf(`${svc!.url}/pid`)).size === 2 ? true : undefined));
    // A client holding a kept-alive connection to a worker from before the signal.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await httpRequest(`${svc.url}/readyz`, { agent })).status).toBe(200);
    const inFlight = Array.from({ length: 4 }, () => httpRequest(`${svc!.url}/slow?ms=1500`, { agent: false }));
    await waitFor("four requests to reach the app", () => ((svc!.output().match(/slow start/g) ?? []).length >= 4 ? true : undefined));
    svc.child.kill("SIGTERM");
    const ready = await waitFor("readiness to turn 503", async () => {
      const r = await httpRequest(`${svc!.url}/readyz`, { agent });
      return r.status === 503 ? r : undefined;
    });
    expect(ready.headers.connection).toBe("close");
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.toString().split(" ")[1])).size).toBe(2);
    expect(await svc.exited).toEqual({ code: 0, signal: null });
    agent.destroy();
  });

  it("a crashed worker is replaced, with a log line naming it", async () => {
    svc = await startService(process.execPath, [fetchBundle], { env: { BINSHIP_WORKERS: "2" } });
    const before = await waitFor("both workers", async () => {
      const seen = await pidsOf(`${svc!.url}/pid`);
      return seen.size === 2 ? seen : undefined;
    });
    const crashed = (await httpRequest(`${svc.url}/crash`, { agent: false })).body.toString();
    expect(before.has(crashed)).toBe(true);
    await waitFor("the replacement log line", () => (svc!.output().includes(`worker ${crashed} exited (code 1); starting a new one`) ? true : undefined));
    const after = await waitFor("two workers again", async () => {
      const seen = await pidsOf(`${svc!.url}/pid`);
      return seen.size === 2 && !seen.has(crashed) ? seen : undefined;
    });
    expect([...after].filter((p) => before.has(p))).toHaveLength(1);
  });

  it("BINSHIP_WORKERS=auto follows the cgroup CPU quota", async () => {
    const half = join(dir, "cpu.max.half");
    writeFileSync(half, "50000 100000\n");
    svc = await startService(process.execPath, [fetchBundle], { env: { BINSHIP_WORKERS: "auto", BINSHIP_CGROUP_CPU_MAX: half } });
    // Half a core: one process, serving itself (no primary).
    expect((await pidsOf(`${svc.url}/pid`, 4)).size).toBe(1);
    expect([...(await pidsOf(`${svc.url}/pid`, 1))][0]).toBe(String(svc.child.pid));
    await svc.stop();
    const two = join(dir, "cpu.max.two");
    writeFileSync(two, "200000 100000\n");
    svc = await startService(process.execPath, [fetchBundle], { env: { BINSHIP_WORKERS: "auto", BINSHIP_CGROUP_CPU_MAX: two } });
    // Two cores of quota, but never more workers than the CPUs the process may run on.
    const expected = Math.min(2, os.availableParallelism());
    await waitFor(`${expected} workers`, async () => ((await pidsOf(`${svc!.url}/pid`)).size === expected ? true : undefined));
    if (expected === 2) expect(svc.output()).toContain("binship: starting 2 workers");
  });

  it('the "workers" config key is baked into the bundle, and BINSHIP_WORKERS overrides it', async () => {
    svc = await startService(process.execPath, [configuredBundle]);
    await waitFor("two workers", async () => ((await pidsOf(`${svc!.url}/pid`)).size === 2 ? true : undefined));
    await svc.stop();
    svc = await startService(process.execPath, [configuredBundle], { env: { BINSHIP_WORKERS: "1" } });
    expect([...(await pidsOf(`${svc.url}/pid`, 4))]).toEqual([String(svc.child.pid)]);
  });

  it("a bad \"workers\" in the config file is refused at bundle time", async () => {
    const bad = tempDir("binship-workers-bad-");
    writeFileSync(join(bad, "binship.config.json"), JSON.stringify({ workers: 0 }));
    writeFileSync(join(bad, "app.ts"), fetchApp);
    const result = await runCli(["bundle", join(bad, "app.ts"), "-o", join(bad, "app.cjs")], { cwd: bad });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/workers.*a whole number from 1 to 1024, or "auto"/);
  });

  it("a self-listening app gets the workers too", async () => {
    svc = await startService(process.execPath, [listenBundle], { env: { BINSHIP_WORKERS: "2" } });
    await waitFor("both workers", async () => ((await pidsOf(svc!.url)).size === 2 ? true : undefined));
  });

  it("a bad BINSHIP_WORKERS stops the start with a message naming it", async () => {
    await expect(startService(process.execPath, [fetchBundle], { env: { BINSHIP_WORKERS: "lots" }, timeoutMs: 5_000 })).rejects.toThrow(
      /BINSHIP_WORKERS must be a whole number from 1 to 1024 or "auto", got "lots"/,
    );
  });
});
