// SIGTERM under load, as a rolling update sends it: 50 keep-alive clients keep sending requests
// while the server drains. Not one request may be lost: each one is either answered or refused
// at connect time (the listening socket is closed), never reset on a connection the client
// already held, and the last answer on every connection tells the client to close it.

import http from "node:http";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { appsDir, runCli, tempDir } from "../helpers/cli.js";
import { startService, type Service } from "../helpers/process.js";

const dir = tempDir("binship-shutdown-load-");
let fetchBundle: string;
let expressBundle: string;
let svc: Service | undefined;

beforeAll(async () => {
  // A few milliseconds per request, so that some are always in flight when the signal comes.
  writeFileSync(
    join(dir, "slow.ts"),
    'export default { fetch: async () => { await new Promise((r) => setTimeout(r, 3)); return new Response("ok\\n"); } };\n',
  );
  fetchBundle = join(dir, "slow.cjs");
  expressBundle = join(dir, "express.cjs");
  for (const [entry, out] of [
    [join(dir, "slow.ts"), fetchBundle],
    [join(appsDir, "express", "index.ts"), expressBundle],
  ] as const) {
    const r = await runCli(["bundle", entry, "-o", out]);
    expect(r.code, r.stderr).toBe(0);
  }
}, 120_000);

afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

interface Load {
  answered: number; // responses received
  answeredAfterSignal: number; // responses received after SIGTERM was sent
  lost: string[]; // requests that got no answer on an accepted connection (ECONNRESET, hang-ups)
  refused: number; // requests refused at connect time (the listener was closed): a client retries elsewhere
  lastConnection: (string | undefined)[]; // the Connection header of each client's last answer
}

function get(url: string, agent: http.Agent): Promise<{ status: number; connection?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      res.resume();
      res.once("end", () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
      res.once("error", reject);
    });
    req.once("error", reject);
  });
}

/** `clients` keep-alive clients, one connection each, sending until they are refused; SIGTERM once each has an answer and `signalAt` came. */
async function drainUnderLoad(service: Service, path: string, clients: number, signalAt: number): Promise<Load> {
  const load: Load = { answered: 0, answeredAfterSignal: 0, lost: [], refused: 0, lastConnection: [] };
  let signaled = false;
  const client = async (i: number) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (;;) {
        try {
          const res = await get(`${service.url}${path}`, agent);
          expect(res.status).toBe(200);
          load.answered++;
          if (signaled) load.answeredAfterSignal++;
          load.lastConnection[i] = res.connection;
          // Only once every client holds its connection: a connection still in the kernel's
          // accept queue when the listening socket closes is reset by the kernel (that is what
          // the preStop sleep of the manifests is for), and this test is about held connections.
          if (!signaled && load.answered >= signalAt && load.lastConnection.filter(Boolean).length === clients) {
            signaled = true;
            service.child.kill("SIGTERM");
          }
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === "ECONNREFUSED") load.refused++;
          else load.lost.push(code ?? String(err));
          return;
        }
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
  return load;
}

async function expectNothingLost(service: Service, path: string): Promise<void> {
  const load = await drainUnderLoad(service, path, 50, 500);
  expect(load.lost).toEqual([]);
  expect(load.refused).toBe(50); // every client ended by being refused a new connection
  expect(load.answeredAfterSignal).toBeGreaterThan(0);
  // Each client's last answer told it to close the connection: the server never had to.
  expect(load.lastConnection.filter((c) => c !== "close")).toEqual([]);
  expect(await service.exited).toEqual({ code: 0, signal: null });
  expect(service.output()).not.toContain("grace period");
}

describe("SIGTERM with 50 keep-alive clients under load", () => {
  it("loses no request of a Fetch app (node bundle.cjs)", async () => {
    svc = await startService(process.execPath, [fetchBundle]);
    await expectNothingLost(svc, "/");
  });

  it("loses no request of an Express app (node bundle.cjs)", async () => {
    svc = await startService(process.execPath, [expressBundle]);
    await expectNothingLost(svc, "/hello");
  });

  it("loses no request of the single executable", async () => {
    const exe = join(dir, "slow-app");
    const r = await runCli(["build", join(dir, "slow.ts"), "--arch", process.arch === "arm64" ? "arm64" : "x64", "-o", exe], { timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    svc = await startService(exe, []);
    await expectNothingLost(svc, "/");
  }, 300_000);
});
