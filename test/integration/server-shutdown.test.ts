// SIGTERM in server mode, as Kubernetes sends it: the listening socket closes (new
// connections are refused), readiness answers 503 on connections clients already hold,
// in-flight requests finish, then the process exits 0.

import http from "node:http";
import { connect } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { cookies } from "../fixtures/apps/shared/behaviour.js";
import { appsDir, runCli, tempDir } from "../helpers/cli.js";
import { httpRequest, nextChunk, openRequest, restOf, waitFor } from "../helpers/http.js";
import { startService, type Service } from "../helpers/process.js";

const dir = tempDir("binship-shutdown-");
const bundles: Record<string, string> = {};
let svc: Service | undefined;

async function bundleTo(name: string, entry: string, extra: string[] = [], cwd?: string): Promise<void> {
  bundles[name] = join(dir, `${name}.cjs`);
  const result = await runCli(["bundle", entry, "-o", bundles[name]!, ...extra], { cwd });
  expect(result.code, result.stderr).toBe(0);
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, "127.0.0.1");
    sock.once("connect", () => {
      sock.destroy();
      resolve(false);
    });
    sock.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
  });
}

/** An agent holding exactly one connection open between requests. */
const keptAlive = () => new http.Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  await bundleTo("fetch", join(appsDir, "fetch", "index.ts"));
  await bundleTo("listen", join(appsDir, "listen", "index.ts"));
  writeFileSync(join(dir, "binship.config.json"), JSON.stringify({ shutdownGraceSeconds: 0.5 }));
  await bundleTo("short-grace", join(appsDir, "fetch", "index.ts"), [], dir);
});

afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

describe("graceful shutdown of a runtime-served app", () => {
  it("finishes the in-flight request, refuses new connections, answers readiness 503, exits 0", async () => {
    svc = await startService(process.execPath, [bundles.fetch!]);
    const probeConn = keptAlive();
    const controlConn = keptAlive();
    const cookieConn = keptAlive();
    expect((await httpRequest(`${svc.url}/readyz`, { agent: probeConn })).status).toBe(200);
    expect((await httpRequest(`${svc.url}/healthz`, { agent: controlConn })).status).toBe(200);
    expect((await httpRequest(`${svc.url}/healthz`, { agent: cookieConn })).status).toBe(200);

    const { res: slow } = await openRequest(`${svc.url}/stream?gate=drain`, { agent: false });
    expect((await nextChunk(slow))?.toString()).toBe("chunk 1\n");

    const events: string[] = [];
    void svc.exited.then(() => events.push("exited"));
    svc.child.kill("SIGTERM");
    await waitFor("the drain to begin", () => (svc!.output().includes("SIGTERM: draining") ? true : undefined));

    expect(await refused(svc.port)).toBe(true);
    const ready = await httpRequest(`${svc.url}/readyz`, { agent: probeConn });
    expect(ready.status).toBe(503);
    expect(ready.headers.connection).toBe("close");
    expect(events).toEqual([]); // still running: the stream is in flight
    // A Fetch response sent while draining keeps every Set-Cookie apart (its headers join the
    // Connection: close that binship set first).
    const cookied = await httpRequest(`${svc.url}/cookies`, { agent: cookieConn });
    expect(cookied.headers["set-cookie"]).toEqual([...cookies]);
    expect(cookied.headers.connection).toBe("close");

    // The held connection still reaches the app while draining; this lets the stream end.
    expect((await httpRequest(`${svc.url}/stream/release?gate=drain`, { method: "POST", agent: controlConn })).status).toBe(204);
    // Complete, with its terminating chunk: a process that died early would have cut it.
    expect((await restOf(slow)).toString()).toBe("chunk 2\nchunk 3\n");
    expect(slow.complete).toBe(true);
    expect(await svc.exited).toEqual({ code: 0, signal: null });
    probeConn.destroy();
    controlConn.destroy();
    cookieConn.destroy();
  });

  it("exits 0 at once on SIGINT when nothing is in flight", async () => {
    svc = await startService(process.execPath, [bundles.fetch!]);
    expect((await httpRequest(`${svc.url}/hello`)).status).toBe(200);
    svc.child.kill("SIGINT");
    expect(await svc.exited).toEqual({ code: 0, signal: null });
  });

  it("cuts a request that outlives the grace period and still exits 0", async () => {
    svc = await startService(process.execPath, [bundles["short-grace"]!]);
    const { res: slow } = await openRequest(`${svc.url}/stream?gate=never`, { agent: false });
    expect((await nextChunk(slow))?.toString()).toBe("chunk 1\n");
    svc.child.kill("SIGTERM");
    const cut = restOf(slow).then(
      () => "ended",
      () => "reset",
    );
    expect(await svc.exited).toEqual({ code: 0, signal: null });
    expect(svc.output()).toContain("grace period of 500 ms is over");
    // The stream never got its other chunks: the connection was closed under it.
    expect(await cut).toMatch(/ended|reset/);
    expect(slow.complete).toBe(false);
  });
});

describe("a service with its own SIGTERM handler", () => {
  it("drains, then leaves the exit to the service's handler so its cleanup completes", async () => {
    const dir = tempDir("binship-own-handler-");
    writeFileSync(
      join(dir, "index.ts"),
      [
        'process.on("SIGTERM", () => {',
        '  console.error("closing the database pool");',
        "  setTimeout(() => {",
        '    console.error("database pool closed");',
        "    process.exit(0);",
        "  }, 300);",
        "});",
        'export default { fetch: () => new Response("ok") };',
        "",
      ].join("\n"),
    );
    expect((await runCli(["bundle", "index.ts", "-o", "out.cjs"], { cwd: dir })).code).toBe(0);
    svc = await startService(process.execPath, [join(dir, "out.cjs")]);
    expect((await httpRequest(`${svc.url}/`)).status).toBe(200);
    svc.child.kill("SIGTERM");
    expect(await svc.exited).toEqual({ code: 0, signal: null });
    expect(svc.output()).toContain("SIGTERM: draining");
    expect(svc.output()).toContain("database pool closed");
  });

  it("exits by itself when the handler only cleans up and nothing else keeps it alive", async () => {
    const dir = tempDir("binship-own-handler-");
    writeFileSync(join(dir, "index.ts"), 'process.on("SIGTERM", () => console.error("flushed metrics"));\nexport default { fetch: () => new Response("ok") };\n');
    expect((await runCli(["bundle", "index.ts", "-o", "out.cjs"], { cwd: dir })).code).toBe(0);
    svc = await startService(process.execPath, [join(dir, "out.cjs")]);
    const held = keptAlive(); // an idle keep-alive connection must not keep the process alive
    expect((await httpRequest(`${svc.url}/`, { agent: held })).status).toBe(200);
    svc.child.kill("SIGTERM");
    expect(await svc.exited).toEqual({ code: 0, signal: null });
    expect(svc.output()).toContain("flushed metrics");
    expect(svc.output()).not.toContain("grace period");
    held.destroy();
  });
});

describe("graceful shutdown of a module that listens by itself", () => {
  it("closes its server on SIGTERM and exits 0 once its requests are done", async () => {
    svc = await startService(process.execPath, [bundles.listen!]);
    // The request stays in flight while the client still sends its body: it ends when we say.
    // Node answers "100 Continue" once it has parsed the request head: from then on the
    // request is in flight on the server, and it stays there while we hold back the body.
    const req = http.request(`${svc.url}/echo`, {
      method: "POST",
      agent: false,
      headers: { "content-type": "text/plain", expect: "100-continue" },
    });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => req.once("response", resolve).once("error", reject));
    const continued = new Promise<void>((resolve) => req.once("continue", resolve));
    req.flushHeaders();
    await continued;
    req.write("first half, ");
    svc.child.kill("SIGTERM");
    await waitFor("the drain to begin", () => (svc!.output().includes("SIGTERM: draining") ? true : undefined));
    expect(await refused(svc.port)).toBe(true);
    expect(svc.child.exitCode).toBe(null); // still running: the request is in flight
    req.end("second half");
    const res = await response;
    const echo = JSON.parse((await restOf(res)).toString()) as { body: string };
    expect(res.complete).toBe(true);
    expect(Buffer.from(echo.body, "base64").toString()).toBe("first half, second half");
    expect(await svc.exited).toEqual({ code: 0, signal: null });
  });
});
