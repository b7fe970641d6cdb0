// --snapshot: the service's module init runs at build time (by the target's own Node) into a V8
// startup snapshot; each start deserializes it and serves. Checked on x64: server mode and Lambda
// mode (binship invoke, the emulator) answer right; the init's console output comes at each
// start, in its order; built-ins bound at init (deferred http/https/http2, lazy crypto/zlib) work
// later with the real classes and errors, and those loaded after the start take their code cache;
// the same inputs give the same bytes. A module that reads process.env, the clock or random
// values at init (or imports one that does) runs at each start instead, with that start's values,
// the service's own modules in their order; the build says which and why. When nothing of the
// service can be in the snapshot, the guard refuses in one error naming each module and what it
// read; nothing is written then.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { startService, type Service } from "../helpers/process.js";
import { requirePaths, requireTools } from "../helpers/tools.js";

const project = tempDir("binship-snapshot-");
const cache = tempDir("binship-snapshot-cache-"); // a cache of its own: the second build below is built, not found

const dep = `
const crypto = require("node:crypto");
const http2 = require("http2");
const https = require("node:https");
const zlib = require("zlib");
const { constants } = http2;
const { Agent } = https;
require("./order").push("dep");
console.log("init: dep");
const log = console.log.bind(console); // bound at init, used at a request
exports.logLater = (s) => log(s);
exports.hash = (s) => crypto.createHash("sha256").update(s).digest("hex");
exports.badHash = function badHash() { return crypto.createHash("no-such-digest"); };
exports.agent = () => new Agent({ keepAlive: true });
exports.modules = { crypto, http2, https, zlib, constants };
`;

const entry = `
import "./first";
import { hash, badHash, agent, modules, logLater } from "dep";
import "./last";
import { Hash } from "node:crypto";
import { Agent } from "node:https";
import { METHODS, Agent as HttpAgent } from "node:http";
import order from "order";

class PoolAgent extends Agent { label() { return "pool"; } } // a built-in's class extended at init
const methodCount = METHODS.length; // a built-in's constant read at init

const schema = { fields: ["id", "items"].map((f) => f.toUpperCase()) }; // init work the snapshot keeps
console.error("init: entry");

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/start": return Response.json({ order, schema, region: process.env.SNAP_REGION ?? null });
      case "/log": logLater("request: logged"); return new Response("ok");
      case "/extends": { const a = new PoolAgent({ keepAlive: true }); return Response.json({ label: a.label(), https: a instanceof Agent, http: a instanceof HttpAgent, methods: methodCount === METHODS.length && methodCount > 30 }); }
      case "/hash": return Response.json({ hash: hash(url.searchParams.get("s") ?? ""), gzip: modules.zlib.gunzipSync(modules.zlib.gzipSync("round trip")).toString() });
      case "/instanceof": return Response.json({ sameClass: modules.crypto.createHash("sha256") instanceof Hash, agent: agent() instanceof Agent, constants: modules.constants.HTTP2_HEADER_PATH });
      case "/error": {
        try { badHash(); return new Response("no error"); } catch (err) { return Response.json({ message: (err as Error).message, stack: (err as Error).stack }); }
      }
    }
    return new Response("not found", { status: 404 });
  },
};
`;

function write(path: string, text: string) {
  mkdirSync(join(project, path, ".."), { recursive: true });
  writeFileSync(join(project, path), text);
}

/** A one-file package in the project's node_modules. */
function pkg(name: string, source: string) {
  write(`node_modules/${name}/package.json`, JSON.stringify({ name, version: "1.0.0", main: "index.js" }));
  write(`node_modules/${name}/index.js`, source);
}

function writeProject() {
  write("package.json", JSON.stringify({ name: "snapshot-app", private: true }));
  write("node_modules/dep/package.json", JSON.stringify({ name: "dep", version: "1.0.0", main: "index.js" }));
  write("node_modules/dep/index.js", dep);
  write("node_modules/dep/order.js", 'module.exports = require("order");');
  pkg("order", "module.exports = [];");
  write("src/first.ts", 'import order from "order";\norder.push("first");\nconsole.log("init: first");\n');
  write("src/last.ts", 'import order from "order";\norder.push("last");\nconsole.log("init: last");\n');
  write("src/index.ts", entry);
  // Guard fixtures: each reads something at top level that a snapshot would freeze.
  write("src/env-config.ts", 'export const table = process.env.ORDERS_TABLE ?? "orders";\nprocess.env.LOADED_FROM_DOTENV = "1";\n');
  write("src/env-app.ts", 'import { table } from "./env-config";\nimport "envpkg";\nexport default { fetch: () => new Response(table) };\n');
  pkg("envpkg", "exports.debug = !!process.env.ENVPKG_DEBUG;\n");
  write("src/clock.ts", "export const startedAt = Date.now();\n");
  write("src/random.ts", "export const id = Math.random().toString(36).slice(2);\n");
  write("src/uuid.ts", "export const requestPrefix = crypto.randomUUID();\n");
  write("src/ticker.ts", "export let ticks = 0;\nsetInterval(() => ticks++, 1000).unref();\n");
  write("src/host.ts", 'import os from "node:os";\nexport const instance = `${os.hostname()}:${process.pid}`;\n');
  write("src/clock-app.ts", 'import { startedAt } from "./clock";\nimport { id } from "./random";\nimport { requestPrefix } from "./uuid";\nimport { ticks } from "./ticker";\nimport { instance } from "./host";\nexport default { fetch: () => new Response(String(startedAt) + id + requestPrefix + ticks + instance) };\n');
  write("src/dynamic.ts", 'export default { fetch: async () => new Response(typeof (await import("node:zlib")).gzipSync) };\n');
  write("src/dynamic-external.ts", 'export default { fetch: async () => new Response(typeof (await import("left-pad"))) };\n');
  // The partial snapshot: modules that read the environment (or whose imports do) run at the start.
  write("src/partial/first.ts", 'import order from "order";\norder.push("first");\n');
  write("src/partial/config.ts", 'import order from "order";\norder.push("config");\nexport const table = process.env.P_TABLE ?? "default";\n');
  write("src/partial/later.ts", 'import order from "order";\norder.push("later");\n');
  write("src/partial/app.ts", [
    'import "./first";',
    'import { debug } from "envpkg";', // a package reading the environment: at the start
    'import "indep";', // a package after it that does not import it: evaluated at build time
    'import { table } from "./config";', // the service's own module reading the environment
    'import "./later";', // pure, but after config.ts: the service's own modules keep their order
    'import "polyfill";', // reads the environment and sets a global: every module after it at the start
    'import { saw } from "usespoly";',
    'import { ok } from "optional-user";', // requires a package whose init throws, and catches it
    'import { store } from "als";', // loads a built-in Node does not support in a snapshot
    'import { store2 } from "als2";', // ... and a second one, after Node warned once
    'import order from "order";',
    'export default { fetch: () => Response.json({ order, table, debug, saw, ok, als: store.run(7, () => store.getStore()) + store2.run(1, () => store2.getStore()) }) };',
    "",
  ].join("\n"));
  pkg("indep", 'require("order").push("indep");\n');
  pkg("polyfill", "if (!process.env.NO_POLYFILL) globalThis.__polyfilled = 42;\n");
  pkg("usespoly", "exports.saw = globalThis.__polyfilled ?? null;\n");
  pkg("thrower", 'throw new Error("no native addon here");\n');
  pkg("als", 'const { AsyncLocalStorage } = require("node:async_hooks");\nexports.store = new AsyncLocalStorage();\n');
  pkg("als2", 'const { AsyncLocalStorage } = require("async_hooks");\nexports.store2 = new AsyncLocalStorage();\n');
  pkg("optional-user", 'let ok = true;\ntry { require("thrower"); } catch { ok = false; }\nexports.ok = ok;\n');
  write("src/throws.ts", 'export const config = JSON.parse("{ not json");\nexport default { fetch: () => new Response(String(config)) };\n');
  write("src/server-app.ts", 'import https from "node:https";\nexport const agent = new https.Agent({ keepAlive: true });\nexport default { fetch: () => new Response("x") };\n');
}

const build = (entryFile: string, out: string, extra: string[] = [], arch = "x64") =>
  runCli(["build", entryFile, "--arch", arch, "--node", "24", "--snapshot", "-o", out, "--json", ...extra], { cwd: project, env: { BINSHIP_CACHE_DIR: cache } });

async function json(svc: Service, path: string) {
  const r = await httpRequest(`${svc.url}${path}`);
  expect(r.status, r.body.toString()).toBe(200);
  return JSON.parse(r.body.toString());
}

const exe = join(project, "dist", "snap-x64");
let svc: Service;
beforeAll(async () => {
  writeProject();
  const r = await build("src/index.ts", exe);
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout).snapshot).toBe(true);
  expect(JSON.parse(r.stdout).snapshotModules).toMatchObject({ atStart: 0, causes: [] }); // nothing here reads what a start changes
  svc = await startService(exe, [], { cwd: project, env: { ...process.env, SNAP_REGION: "eu-west-1" } });
}, 300_000);
afterAll(async () => {
  await svc?.stop();
});

describe("a snapshot executable", () => {
  it("serves from the init it was built with, and reads the environment of its own start", async () => {
    const body = await json(svc, "/start");
    expect(body.order).toEqual(["first", "dep", "last"]);
    expect(body.schema).toEqual({ fields: ["ID", "ITEMS"] });
    expect(body.region).toBe("eu-west-1");
  });

  it("is reported as one by inspect (the blob's snapshot flag), with no code cache beside it", async () => {
    const r = await runCli(["inspect", exe, "--json"], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.seaSnapshot).toBe(true);
    expect(report.seaCodeCacheBytes ?? 0).toBe(0);
  });

  it("writes the init's console output at its start, in the order the modules ran; a console method bound at init prints later", async () => {
    const lines = svc.output().split("\n").filter((l) => l.startsWith("init: "));
    expect(lines).toEqual(["init: first", "init: dep", "init: last", "init: entry"]);
    expect((await httpRequest(`${svc.url}/log`)).status).toBe(200);
    for (let i = 0; i < 50 && !svc.output().includes("request: logged"); i++) await new Promise((r) => setTimeout(r, 100)); // stdout is a pipe: let it arrive
    expect(svc.output()).toContain("request: logged");
  });

  it("binds built-ins at init that load on first use: deferred http2/https and lazy crypto/zlib", async () => {
    expect((await json(svc, "/hash?s=abc")).hash).toBe(createHash("sha256").update("abc").digest("hex"));
    expect(await json(svc, "/instanceof")).toEqual({ sameClass: true, agent: true, constants: ":path" });
    expect(await json(svc, "/extends")).toEqual({ label: "pool", https: true, http: true, methods: true });
  });

  it("loads the built-ins it did not hold with their code cache, accepted (V8 rejected every one before)", async () => {
    const traced = await startService(exe, [], { cwd: project, env: { ...process.env, NODE_DEBUG_NATIVE: "CODE_CACHE" } });
    try {
      expect(await json(traced, "/extends")).toMatchObject({ https: true }); // loads node:https and node:http now
      expect(traced.output()).toMatch(/Code cache of https \S+ is accepted/);
      expect(traced.output()).not.toMatch(/is rejected/);
    } finally {
      await traced.stop();
    }
  }, 60_000);

  it("throws the built-in's own error, with the package's frame in the stack", async () => {
    const body = await json(svc, "/error");
    expect(body.message).toMatch(/Digest method not supported|Invalid digest/);
    expect(body.stack).toContain("badHash");
  });

  it("serves with two worker processes (each restores the snapshot)", async () => {
    const workers = await startService(exe, [], { cwd: project, env: { ...process.env, BINSHIP_WORKERS: "2" } });
    try {
      expect((await json(workers, "/start")).order).toEqual(["first", "dep", "last"]);
      expect(workers.output()).toContain("starting 2 workers");
    } finally {
      await workers.stop();
    }
  }, 60_000);

  it("answers in Lambda mode too (binship invoke, the emulator)", async () => {
    const r = await runCli(["invoke", exe, "--http", "GET /start", "--json"], { cwd: project, env: { BINSHIP_CACHE_DIR: cache }, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const [invocation] = JSON.parse(r.stdout).invocations;
    expect(invocation.status).toBe("ok");
    const payload = invocation.http;
    expect(payload.statusCode).toBe(200);
    expect(JSON.parse(payload.body).order).toEqual(["first", "dep", "last"]);
  }, 90_000);

  // Two caches, so both are built: the generator's path and pid differ (sea-blob.ts fixes both).
  it("is the same bytes when built again from the same inputs", async () => {
    const again = join(project, "dist", "snap-x64-again");
    const r = await build("src/index.ts", again, ["--no-strip"]);
    expect(r.code, r.stderr).toBe(0);
    const r2 = await runCli(["build", "src/index.ts", "--arch", "x64", "--node", "24", "--snapshot", "--no-strip", "-o", `${again}-2`, "--json"], { cwd: project, env: { BINSHIP_CACHE_DIR: tempDir("binship-snapshot-cache2-") } });
    expect(r2.code, r2.stderr).toBe(0);
    expect(createHash("sha256").update(readFileSync(again)).digest("hex")).toBe(createHash("sha256").update(readFileSync(`${again}-2`)).digest("hex"));
  }, 300_000);
});

describe("a partial snapshot: what must run at the start runs there", () => {
  const out = join(project, "dist", "partial-x64");
  let built: { snapshotModules: { atBuild: number; atStart: number; causes: { module: string; why: string }[] } };
  beforeAll(async () => {
    const r = await build("src/partial/app.ts", out);
    expect(r.code, r.stdout).toBe(0);
    built = JSON.parse(r.stdout);
  }, 300_000);

  const serve = async (env: Record<string, string>) => {
    const s = await startService(out, [], { cwd: project, env: { ...process.env, ...env } });
    try {
      return await json(s, "/");
    } finally {
      await s.stop();
    }
  };

  it("reads the environment of each start where a module reads it at its top level (the service's and a package's)", async () => {
    expect(await serve({ P_TABLE: "orders-prod", ENVPKG_DEBUG: "1" })).toMatchObject({ table: "orders-prod", debug: true });
    expect(await serve({})).toMatchObject({ table: "default", debug: false });
  }, 60_000);

  it("keeps the service's own modules in their order; an independent package may load earlier", async () => {
    const { order } = await serve({});
    // first.ts and indep at build time; config.ts, and later.ts after it, at the start.
    expect(order).toEqual(["first", "indep", "config", "later"]);
  }, 60_000);

  it("runs a module that loads after one setting a global at the start, after it: it sees the global as without a snapshot", async () => {
    expect((await serve({})).saw).toBe(42);
    expect((await serve({ NO_POLYFILL: "1" })).saw).toBe(null);
  }, 60_000);

  it("runs an import whose init threw at build time (caught by its importer) at the start again", async () => {
    expect((await serve({})).ok).toBe(false);
  }, 60_000);

  it("runs a module loading a built-in Node does not support in a snapshot (async_hooks) at the start, with no warning there", async () => {
    const s = await startService(out, [], { cwd: project });
    try {
      expect((await json(s, "/")).als).toBe(8);
      expect(s.output()).not.toMatch(/not yet fully verified/);
    } finally {
      await s.stop();
    }
    const why = Object.fromEntries(built.snapshotModules.causes.map((c) => [c.module, c.why]));
    expect(why["node_modules/als/index.js"]).toMatch(/uses node:async_hooks, which Node does not support in a snapshot/);
    expect(why["node_modules/als2/index.js"]).toMatch(/uses node:async_hooks, which Node does not support in a snapshot/);
  }, 60_000);

  it("says which modules run at each start and why, in --json and in inspect", async () => {
    const { atBuild, atStart, causes } = built.snapshotModules;
    expect(atBuild).toBeGreaterThan(0);
    expect(atStart).toBeGreaterThanOrEqual(causes.length);
    const why = Object.fromEntries(causes.map((c) => [c.module, c.why]));
    expect(why["src/partial/config.ts"]).toBe("reads process.env.P_TABLE");
    expect(why["node_modules/envpkg/index.js"]).toBe("reads process.env.ENVPKG_DEBUG");
    expect(why["node_modules/polyfill/index.js"]).toBe("reads process.env.NO_POLYFILL");
    expect(why["node_modules/thrower/index.js"]).toBe("its init threw at build time");
    expect(why["src/partial/later.ts"]).toMatch(/own modules keep their order.*config\.ts/);
    expect(why["node_modules/usespoly/index.js"]).toMatch(/after node_modules\/polyfill\/index\.js.*globalThis\.__polyfilled/);
    expect(Object.keys(why)).not.toContain("node_modules/indep/index.js");
    expect(Object.keys(why)).not.toContain("src/partial/first.ts");
    const r = await runCli(["inspect", out], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/at start\s+src\/partial\/config\.ts: reads process\.env\.P_TABLE/);
  });
});

describe.runIf(requireTools("qemu-aarch64") && requirePaths("/usr/aarch64-linux-gnu"))("an arm64 snapshot, built by the arm64 Node under qemu-user", () => {
  it("serves the same answer under qemu-aarch64", async () => {
    const arm = join(project, "dist", "snap-arm64");
    const r = await build("src/index.ts", arm, [], "arm64");
    expect(r.code, r.stderr).toBe(0);
    const armSvc = await startService("qemu-aarch64", ["-L", "/usr/aarch64-linux-gnu", arm], { cwd: project, timeoutMs: 60_000 });
    try {
      expect((await json(armSvc, "/start")).order).toEqual(["first", "dep", "last"]);
      expect(armSvc.output()).toContain("init: first\ninit: dep\ninit: last\n");
    } finally {
      await armSvc.stop();
    }
  }, 180_000);
});

describe("the snapshot guard", () => {
  it("refuses a dynamic import() of an --external, which a snapshot executable cannot load, naming the file", async () => {
    const out = join(project, "dist", "dynamic-x64");
    const r = await build("src/dynamic-external.ts", out, ["--external", "left-pad"]);
    expect(r.code).toBe(1);
    const { error } = JSON.parse(r.stdout);
    expect(error.code).toBe("SNAPSHOT_REFUSED");
    expect(error.diagnostics.map((d: { text: string }) => d.text)).toEqual(['src/dynamic-external.ts: import("left-pad")']);
    expect(existsSync(out)).toBe(false);
  });

  it("takes a built-in's import() (as the AWS SDK's ES build has): it works after the start", async () => {
    const out = join(project, "dist", "dynamic-builtin-x64");
    const r = await build("src/dynamic.ts", out);
    expect(r.code, r.stdout).toBe(0);
    const dyn = await startService(out, [], { cwd: project });
    try {
      const res = await httpRequest(dyn.url);
      expect(res.body.toString()).toBe("function");
    } finally {
      await dyn.stop();
    }
  }, 120_000);

  it("reports an init that throws at build time with its error, exit 1, nothing written", async () => {
    const out = join(project, "dist", "throws-x64");
    const r = await build("src/throws.ts", out);
    expect(r.code).toBe(1);
    const { error } = JSON.parse(r.stdout);
    expect(error.message).toContain("module init failed while the startup snapshot was built");
    expect(error.diagnostics.map((d: { text: string }) => d.text).join("\n")).toContain("SyntaxError");
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it("refuses a module reading process.env at top level, naming the module and the variable, and writes nothing", async () => {
    const out = join(project, "dist", "env-x64");
    const r = await build("src/env-app.ts", out);
    expect(r.code).toBe(1);
    const { error } = JSON.parse(r.stdout);
    expect(error.code).toBe("SNAPSHOT_REFUSED");
    const lines = error.diagnostics.map((d: { text: string }) => d.text);
    expect(lines).toContainEqual(expect.stringMatching(/^src\/env-config\.ts.*reads process\.env\.ORDERS_TABLE, writes process\.env\.LOADED_FROM_DOTENV/));
    expect(lines).toContainEqual(expect.stringMatching(/^node_modules\/envpkg.*process\.env\.ENVPKG_DEBUG/));
    expect(error.hint).toMatch(/first request.*without --snapshot/s);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it("refuses clock and random reads and timers likewise, each module named with what it did", async () => {
    const r = await build("src/clock-app.ts", join(project, "dist", "clock-x64"));
    expect(r.code).toBe(1);
    const lines = JSON.parse(r.stdout).error.diagnostics.map((d: { text: string }) => d.text);
    expect(lines).toContainEqual(expect.stringMatching(/^src\/clock\.ts.*Date\.now\(\)/));
    expect(lines).toContainEqual(expect.stringMatching(/^src\/random\.ts.*Math\.random\(\)/));
    expect(lines).toContainEqual(expect.stringMatching(/^src\/uuid\.ts.*crypto\.randomUUID\(\)/));
    // A timer started at init would be dropped from the snapshot: refused the same way.
    expect(lines).toContainEqual(expect.stringMatching(/^src\/ticker\.ts.*starts a timer: setInterval\(\)/));
    // A logger's hostname and pid taken at init would be the build machine's (pid 1 there).
    expect(lines).toContainEqual(expect.stringMatching(/^src\/host\.ts.*os\.hostname\(\).*process\.pid/));
  }, 120_000);

  it("refuses a use at init of a built-in a snapshot cannot hold (new https.Agent), naming it", async () => {
    const r = await build("src/server-app.ts", join(project, "dist", "server-x64"));
    expect(r.code).toBe(1);
    const { error } = JSON.parse(r.stdout);
    expect(error.code).toBe("SNAPSHOT_REFUSED");
    expect(error.diagnostics.map((d: { text: string }) => d.text)).toContainEqual(expect.stringMatching(/^src\/server-app\.ts.*node:https\.Agent constructed/));
  }, 120_000);
});
