// Loads the user's module and works out its shape. Server.listen is watched while the module
// loads so a module that starts its own server (shape 4) is recognised and its port known.

import net from "node:net";
import { detectService, type Service } from "./contract.js";
import type { RuntimeOptions } from "./options.js";

/** Servers the user's code started; server mode closes them on SIGTERM. */
export const userServers: net.Server[] = [];

export async function loadService(load: () => unknown, options: RuntimeOptions): Promise<Service> {
  const original = net.Server.prototype.listen;
  const listening: Promise<number>[] = [];
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    userServers.push(this);
    listening.push(
      new Promise<number>((resolve, reject) => {
        this.once("listening", () => {
          const addr = this.address();
          resolve(typeof addr === "object" && addr ? addr.port : Number(addr));
        });
        this.once("error", reject);
      }),
    );
    return (original as (...a: unknown[]) => net.Server).apply(this, args);
  } as typeof original;
  let mod: unknown;
  try {
    mod = load();
  } finally {
    net.Server.prototype.listen = original;
  }
  // A module with top-level await would hand back a promise of its namespace.
  if (mod && typeof (mod as Promise<unknown>).then === "function") mod = await mod;
  const port = listening.length ? await listening[0] : undefined;
  return detectService(mod, options.contract, port);
}
