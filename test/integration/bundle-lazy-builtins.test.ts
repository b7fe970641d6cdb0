// Lazy built-ins: a bundled package's top-level require of a heavy built-in (http2, https,
// crypto, zlib) loads the module on first use, and the package sees the same module as eager
// code does: values, instanceof, writes both ways, errors. The service's own side-effect order is
// kept. Opt-in (--lazy-builtins; --snapshot turns it on), with --eager-builtins to keep some eager.
// Checked on the bundle and the executable.

import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { startService, type Service } from "../helpers/process.js";

const project = tempDir("binship-lazy-");

// A dependency as npm installs one: CommonJS, requiring built-ins at its top level, using them later.
const dep = `
const crypto = require("node:crypto");
const http2 = require("http2");
const https = require("node:https");
const zlib = require("zlib");
require("./order").push("dep");
exports.hash = (s) => crypto.createHash("sha256").update(s).digest("hex");
exports.newHash = () => crypto.createHash("sha256");
exports.badHash = function badHash() { return crypto.createHash("no-such-digest"); };
exports.modules = { crypto, http2, https, zlib };
`;
// An ES module dependency: esbuild turns its named import into a property read at the call.
const esmDep = `import { gzipSync, gunzipSync } from "node:zlib";\nexport const roundTrip = (s) => gunzipSync(gzipSync(s)).toString();\n`;

const entry = `
import "./first";
import { hash, newHash, badHash, modules } from "dep";
import { roundTrip } from "esm-dep";
import "./last";
import { Hash } from "node:crypto";
import order from "order";

const loaded = (m: string) => process.moduleLoadList.includes("NativeModule " + m);
const atStart = { http2: loaded("http2"), https: loaded("https"), zlib: loaded("zlib") };

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/start": return Response.json({ atStart, order });
      case "/hash": return Response.json({ hash: hash(url.searchParams.get("s") ?? ""), gzip: roundTrip("round trip") });
      case "/instanceof": return Response.json({ sameClass: newHash() instanceof Hash, constants: modules.http2.constants.HTTP2_HEADER_PATH });
      case "/patch": {
        const eager = require("node:zlib");
        eager.binshipMark = "from eager code";
        modules.zlib.binshipOther = "from the package";
        const https = require("node:https");
        return Response.json({ seenByPackage: modules.zlib.binshipMark, seenByEager: eager.binshipOther, agent: modules.https.globalAgent === https.globalAgent, keys: Object.keys(modules.zlib).includes("gzipSync") });
      }
      case "/error": {
        try { badHash(); return new Response("no error"); } catch (err) { return Response.json({ message: (err as Error).message, stack: (err as Error).stack }); }
      }
    }
    return new Response("not found", { status: 404 });
  },
};
`;

function writeProject() {
  const write = (path: string, text: string) => {
    mkdirSync(join(project, path, ".."), { recursive: true });
    writeFileSync(join(project, path), text);
  };
  write("package.json", JSON.stringify({ name: "lazy-app", private: true }));
  write("node_modules/dep/package.json", JSON.stringify({ name: "dep", version: "1.0.0", main: "index.js" }));
  write("node_modules/dep/index.js", dep);
  write("node_modules/dep/order.js", 'module.exports = require("order");');
  write("node_modules/order/package.json", JSON.stringify({ name: "order", version: "1.0.0", main: "index.js" }));
  write("node_modules/order/index.js", "module.exports = [];");
  write("node_modules/esm-dep/package.json", JSON.stringify({ name: "esm-dep", version: "1.0.0", type: "module", exports: "./index.js" }));
  write("node_modules/esm-dep/index.js", esmDep);
  write("src/first.ts", 'import order from "order";\norder.push("first");\n');
  write("src/last.ts", 'import order from "order";\norder.push("last");\n');
  write("src/index.ts", entry);
}

async function bundled(name: string, flags: string[] = []): Promise<string> {
  const out = join(project, "dist", `${name}.cjs`);
  const r = await runCli(["bundle", "src/index.ts", "-o", out, ...flags], { cwd: project });
  expect(r.code, r.stderr).toBe(0);
  return out;
}

async function json(svc: Service, path: string) {
  const r = await httpRequest(`${svc.url}${path}`);
  expect(r.status, r.body.toString()).toBe(200);
  return JSON.parse(r.body.toString());
}

const services: Service[] = [];
afterAll(async () => {
  for (const s of services) await s.stop();
});
async function start(command: string, args: string[]) {
  const svc = await startService(command, args, { cwd: project });
  services.push(svc);
  return svc;
}

beforeAll(writeProject);

describe.each([["the bundle"], ["the executable"]])("lazy built-ins in %s", (kind) => {
  let svc: Service;
  beforeAll(async () => {
    if (kind === "the bundle") svc = await start(process.execPath, [await bundled("lazy", ["--lazy-builtins"])]);
    else {
      const out = join(project, "dist", "lazy-x64");
      const r = await runCli(["build", "src/index.ts", "--arch", "x64", "--node", "24", "--lazy-builtins", "-o", out], { cwd: project });
      expect(r.code, r.stderr).toBe(0);
      svc = await start(out, []);
    }
  }, 300_000);

  it("does not load http2, https or zlib at start, and keeps the modules' side-effect order", async () => {
    const body = await json(svc, "/start");
    expect(body.atStart).toEqual({ http2: false, https: false, zlib: false });
    expect(body.order).toEqual(["first", "dep", "last"]);
  });

  it("loads a lazily bound built-in on its first use, from CommonJS and ES module packages", async () => {
    const body = await json(svc, "/hash?s=abc");
    expect(body.hash).toBe(createHash("sha256").update("abc").digest("hex"));
    expect(body.gzip).toBe("round trip");
  });

  it("hands out the real classes and values: instanceof across lazy and eager holds", async () => {
    expect(await json(svc, "/instanceof")).toEqual({ sameClass: true, constants: ":path" });
  });

  it("shares writes both ways with eager code (monkey-patching, globalAgent, keys)", async () => {
    expect(await json(svc, "/patch")).toEqual({ seenByPackage: "from eager code", seenByEager: "from the package", agent: true, keys: true });
  });

  it("throws the built-in's own error, with the package's frame in the stack", async () => {
    const body = await json(svc, "/error");
    expect(body.message).toMatch(/Digest method not supported/);
    expect(body.stack).toMatch(/at badHash\d* \(/);
  });
});

describe("opting in and out", () => {
  it("by default (and with --no-lazy-builtins) every required built-in loads at start", async () => {
    const svc = await start(process.execPath, [await bundled("default")]);
    expect((await json(svc, "/start")).atStart).toEqual({ http2: true, https: true, zlib: true });
    const off = await start(process.execPath, [await bundled("eager", ["--lazy-builtins", "--no-lazy-builtins"])]);
    expect((await json(off, "/start")).atStart).toEqual({ http2: true, https: true, zlib: true });
  });

  it("--eager-builtins keeps only the named ones eager", async () => {
    const svc = await start(process.execPath, [await bundled("some", ["--lazy-builtins", "--eager-builtins", "http2", "--eager-builtins", "zlib"])]);
    expect((await json(svc, "/start")).atStart).toEqual({ http2: true, https: false, zlib: true });
  });

  it('"lazyBuiltins": true in the config file is honoured', async () => {
    writeFileSync(join(project, "binship.config.json"), JSON.stringify({ bundle: { lazyBuiltins: true } }));
    try {
      const svc = await start(process.execPath, [await bundled("config-lazy")]);
      expect((await json(svc, "/start")).atStart).toEqual({ http2: false, https: false, zlib: false });
    } finally {
      writeFileSync(join(project, "binship.config.json"), "{}");
    }
  });

  it("refuses a built-in that is not on the lazy list, naming the accepted ones (exit 2)", async () => {
    const r = await runCli(["bundle", "src/index.ts", "-o", join(project, "dist", "bad.cjs"), "--eager-builtins", "http"], { cwd: project });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--eager-builtins has the value "http"');
    expect(r.stderr).toContain("http2, https");
  });
});
