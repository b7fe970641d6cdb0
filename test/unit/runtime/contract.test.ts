import http from "node:http";
import { describe, expect, it } from "vitest";
import { detectService, ServiceShapeError } from "../../../src/runtime/contract.js";
import { loadService } from "../../../src/runtime/load.js";
import { defaultRuntimeOptions } from "../../../src/runtime/options.js";

const fetchApp = { fetch: (_r: Request) => new Response("ok") };
const listener = (_req: http.IncomingMessage, res: http.ServerResponse) => res.end("ok");
const handler = async () => "done";

describe("detectService", () => {
  it("finds a default export with fetch (an ES module through esbuild's interop)", async () => {
    const service = await detectService({ __esModule: true, default: fetchApp }, "auto");
    expect(service.app?.kind).toBe("fetch");
  });

  it("finds a default-exported Node listener, and a CommonJS module.exports listener", async () => {
    expect((await detectService({ default: listener }, "auto")).app?.kind).toBe("listener");
    expect((await detectService(listener, "auto")).app?.kind).toBe("listener");
  });

  it("routes through a Fastify-style instance only after ready()", async () => {
    const order: string[] = [];
    const instance = { routing: () => order.push("routing"), ready: async () => void order.push("ready") };
    const service = await detectService({ default: instance }, "auto");
    expect(order).toEqual(["ready"]);
    expect(service.app?.kind).toBe("listener");
  });

  it("uses a Koa-style app's callback()", async () => {
    const koa = { use: () => {}, callback: () => listener };
    const service = await detectService({ default: koa }, "auto");
    expect(service.app).toEqual({ kind: "listener", listener });
  });

  it("finds a named handler, alone or next to an app", async () => {
    expect(await detectService({ handler }, "auto")).toEqual({ app: undefined, handler, selfListening: undefined });
    const both = await detectService({ default: fetchApp, handler }, "auto");
    expect(both.app?.kind).toBe("fetch");
    expect(both.handler).toBe(handler);
  });

  it("recognises a module that listened by itself", async () => {
    expect((await detectService({}, "auto", 3000)).selfListening).toEqual({ port: 3000 });
  });

  it("explains the four shapes when the module has none of them", async () => {
    const err = await detectService({ config: {}, version: 1 }, "auto").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceShapeError);
    expect((err as Error).name).toBe("Runtime.HandlerNotFound");
    const message = (err as Error).message;
    expect(message).toContain("it exports: config, version");
    for (const n of ["1. export default an object with fetch", "2. export default a Node request listener", "3. export const handler", "4. call listen()"]) {
      expect(message).toContain(n);
    }
  });

  it.each([
    ["fetch", { default: listener }, 'contract "fetch" needs a default export with a fetch(request) method'],
    ["listener", { default: fetchApp }, 'contract "listener" needs a default export that is a Node request listener'],
    ["handler", { default: fetchApp }, 'contract "handler" needs an exported function named handler'],
    ["listen", { default: fetchApp }, 'contract "listen" needs the module to call listen() while loading'],
  ] as const)("a forced contract %s refuses a module of another shape", async (contract, mod, message) => {
    await expect(detectService(mod, contract)).rejects.toThrow(message);
  });

  it("a forced contract picks one shape of a module that has several", async () => {
    const service = await detectService({ default: fetchApp, handler }, "handler");
    expect(service).toEqual({ handler });
  });
});

describe("loadService", () => {
  it("sees the port of a server the module starts while loading", async () => {
    let server: http.Server | undefined;
    const service = await loadService(() => {
      server = http.createServer(listener).listen(0, "127.0.0.1");
      return {};
    }, defaultRuntimeOptions);
    try {
      expect(service.selfListening?.port).toBe((server!.address() as { port: number }).port);
    } finally {
      server!.close();
    }
  });

  it("restores net.Server#listen after loading, even when the module throws", async () => {
    const before = http.Server.prototype.listen;
    await expect(loadService(() => {
      throw new Error("broken module");
    }, defaultRuntimeOptions)).rejects.toThrow("broken module");
    expect(http.Server.prototype.listen).toBe(before);
  });
});
