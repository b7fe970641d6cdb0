// Loads the user's module and works out its shape. Server.listen is watched while the module
// loads so a module that starts its own server (shape 4) is recognised and its port known.
// A module that exports nothing may start its server after some async setup (connect to a
// database, then listen), so it gets a few seconds to call listen() before it is rejected.

import net from "node:net";
import { detectService, type Service } from "./contract.js";
import type { RuntimeOptions } from "./options.js";

/** Servers the user's code started; server mode closes them on SIGTERM. */
export const userServers: net.Server[] = [];

/** How long a module without exports may take to call listen(). Lambda's init phase allows 10 s. */
export const lateListenMs = 5_000;

/** Replaces net.Server#listen with a recorder until the returned restore() is called. */
function watchListen(): { firstPort: () => Promise<number>; restore: () => void; seen: () => boolean } {
  const original = net.Server.prototype.listen;
  // Settles with the port once the first server the module starts is listening.
  let onFirst!: (port: Promise<number>) => void;
  const first = new Promise<number>((resolve) => (onFirst = resolve));
  let seen = false;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    userServers.push(this);
    if (!seen) {
      seen = true;
      onFirst(
        new Promise<number>((resolve, reject) => {
          this.once("listening", () => {
            const addr = this.address();
            resolve(typeof addr === "object" && addr ? addr.port : Number(addr));
          });
          this.once("error", reject);
        }),
      );
    }
    return (original as (...a: unknown[]) => net.Server).apply(this, args);
  } as typeof original;
  return {
    firstPort: () => first,
    restore: () => {
      net.Server.prototype.listen = original;
    },
    seen: () => seen,
  };
}

function exportsNothing(mod: unknown): boolean {
  if (mod === undefined || mod === null) return true;
  if (typeof mod !== "object") return false;
  return Object.keys(mod).every((k) => k === "__esModule" || (k === "default" && (mod as { default?: unknown }).default === undefined));
}

export async function loadService(load: () => unknown, options: RuntimeOptions): Promise<Service> {
  const watch = watchListen();
  try {
    let mod = load();
    // A module with top-level await would hand back a promise of its namespace.
    if (mod && typeof (mod as Promise<unknown>).then === "function") mod = await mod;
    const mayListenLate = exportsNothing(mod) && (options.contract === "auto" || options.contract === "listen");
    if (!watch.seen() && mayListenLate) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, lateListenMs)));
      await Promise.race([watch.firstPort(), late]);
      clearTimeout(timer);
    }
    const port = watch.seen() ? await watch.firstPort() : undefined;
    return await detectService(mod, options.contract, port);
  } finally {
    watch.restore();
  }
}
