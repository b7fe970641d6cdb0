// Checks shared by the top-level await tests (fixtures: apps/hono-tla, lambda-apps/tla-handler):
// what the service answers once its awaited configuration is in, what a slow await does to
// readiness, and what a rejected await does to the process.

import { spawn } from "node:child_process";
import { expect } from "vitest";
import { httpRequest } from "./http.js";
import { freePort, startService } from "./process.js";

/** Starts `command args` in server mode and checks the Hono fixture's answers; stops it. */
export async function expectHonoServes(command: string, args: string[], executablePath?: string): Promise<void> {
  const svc = await startService(command, args, { env: { FIXTURE_GREETING: "from config" }, timeoutMs: 120_000 });
  try {
    const config = await httpRequest(`${svc.url}/config`);
    expect(config.status, svc.output()).toBe(200);
    expect(JSON.parse(config.body.toString()).greeting).toBe("from config");
    const hello = await httpRequest(`${svc.url}/hello?name=tla`);
    expect(JSON.parse(hello.body.toString())).toEqual({ message: "hello, tla" });
    const mod = JSON.parse((await httpRequest(`${svc.url}/module`)).body.toString());
    expect(mod).toMatchObject({ dynamicImport: true, legacy: { kind: "commonjs", platform: "linux", hasDirname: true } });
    expect(mod.url).toMatch(/^file:\/\//);
    expect(mod.filename).toBe(new URL(mod.url).pathname);
    expect(mod.dirname).toBe(mod.filename.slice(0, mod.filename.lastIndexOf("/")));
    if (executablePath) expect(mod.filename).toBe(executablePath);
  } finally {
    await svc.stop();
  }
}

type Probe = number | "refused";

function probe(url: string): Promise<Probe> {
  return httpRequest(url).then(
    (r) => r.status,
    () => "refused" as const,
  );
}

/**
 * Starts the service with a configuration that takes 1 s and polls /readyz every 50 ms from the
 * moment of spawn: before the await completes it must be refused or 503, never 200.
 */
export async function readinessWhileAwaiting(command: string, args: string[], delayMs = 1000): Promise<{ probes: Probe[]; readyAfterMs: number; loadedAt: number; firstReadyAt: number }> {
  const port = await freePort();
  const spawnedAt = Date.now();
  const child = spawn(command, args, {
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), FIXTURE_INIT_DELAY_MS: String(delayMs) },
    stdio: "ignore",
  });
  try {
    const probes: Probe[] = [];
    const deadline = spawnedAt + 120_000;
    for (;;) {
      const p = await probe(`http://127.0.0.1:${port}/readyz`);
      probes.push(p);
      if (p === 200) break;
      if (Date.now() > deadline) throw new Error(`not ready after 120 s: ${probes.slice(-5).join(", ")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const firstReadyAt = Date.now();
    const config = JSON.parse((await httpRequest(`http://127.0.0.1:${port}/config`)).body.toString());
    return { probes, readyAfterMs: firstReadyAt - spawnedAt, loadedAt: config.loadedAt, firstReadyAt };
  } finally {
    child.kill("SIGKILL");
  }
}

/** Runs `command args` with a configuration that rejects; resolves with its exit code and output. */
export function runWithRejectedAwait(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, HOST: "127.0.0.1", PORT: "0", FIXTURE_INIT_FAIL: "secrets store unreachable", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** What every readiness timeline must show: not ready while awaiting, ready once loaded. */
export function expectReadinessWaited(t: { probes: Probe[]; readyAfterMs: number; loadedAt: number; firstReadyAt: number }, delayMs = 1000): void {
  const before = t.probes.slice(0, -1);
  expect(before.every((p) => p === "refused" || p === 503), before.join(",")).toBe(true);
  expect(t.readyAfterMs).toBeGreaterThanOrEqual(delayMs);
  expect(t.loadedAt).toBeLessThanOrEqual(t.firstReadyAt);
}
