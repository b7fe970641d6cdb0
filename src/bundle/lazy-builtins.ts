// Lazy built-ins: a bundled package's `require("node:http2")` (or `import … from "http2"`) of a
// built-in on the list below gets an object that loads the real module on first use, so a
// service does not pay at start for http2/tls/crypto/… that its dependencies only use later
// (the AWS SDK pulls in ~60 of Node's internal modules at require time this way).
//
// How: the plugin marks those imports external under a marker specifier of its own, so esbuild
// prints them as plain `require("binship-lz:x")` (a named import of an external is not wrapped
// in __toESM, whose key copy would load the module). After the build each one is rewritten, in
// place and to the same length (source map columns stay right), to `__binshipLazy("node:x")`,
// a helper defined on the banner line. The helper returns one Proxy per module that forwards
// every operation (get, set, has, keys, descriptors, defineProperty, prototype) to the real
// module, loading it on the first; so reads, writes and monkey-patching are shared with eager
// users of the same module, and values (classes for instanceof) are the real ones.
//
// Rules (README "Lazy built-ins"): only files inside node_modules (the service's own code and
// binship's runtime stay eager); only CommonJS bundles; only the modules listed in config.ts
// (objects, present in every official Node >= 18, no load side effects); `import * as x` and
// default imports still load at import time (esbuild copies their keys).

import type { Plugin } from "esbuild";
import { lazyBuiltinModules } from "../config.js";
import { BinshipError } from "../errors.js";

const marker = "binship-lz:"; // `require("binship-lz:` and `__binshipLazy("node:` have the same length
const helperName = "__binshipLazy";

const names = new Set<string>(lazyBuiltinModules);
const pattern = new RegExp(`^(node:)?(${lazyBuiltinModules.map((n) => n.replace("/", "\\/")).join("|")})$`);

/** The modules made lazy: the list, less those the config keeps eager; none when turned off. */
export function lazyModules(enabled: boolean, eager: readonly string[]): Set<string> {
  if (!enabled) return new Set();
  const keep = new Set(eager.map((n) => n.replace(/^node:/, "")));
  return new Set([...names].filter((n) => !keep.has(n)));
}

const inNodeModules = (file: string) => /[\\/]node_modules[\\/]/.test(file);

export function lazyBuiltinsPlugin(lazy: Set<string>): Plugin {
  return {
    name: "binship-lazy-builtins",
    setup(b) {
      b.onResolve({ filter: pattern }, (args) => {
        if (args.kind !== "require-call" && args.kind !== "import-statement") return undefined;
        if (!inNodeModules(args.importer)) return undefined;
        const name = args.path.replace(/^node:/, "");
        if (!lazy.has(name)) return undefined;
        return { path: marker + name, external: true };
      });
    },
  };
}

/**
 * The helper, one line (it is appended to the banner line). Non-configurable properties of the
 * real module are mirrored onto the Proxy's target: the Proxy invariants require the target to
 * report them. util.inspect shows the target, so it carries an inspect hook showing the module.
 */
export const lazyHelper =
  `var ${helperName}=((req)=>{const all=new Map();return(id)=>{let p=all.get(id);if(p)return p;let real;const t={};` +
  `const sync=(k,d)=>{if(d&&!d.configurable)Reflect.defineProperty(t,k,d)};` +
  `const load=()=>{if(real===undefined){real=req(id);for(const k of Reflect.ownKeys(real))sync(k,Reflect.getOwnPropertyDescriptor(real,k))}return real};` +
  `Object.defineProperty(t,Symbol.for("nodejs.util.inspect.custom"),{value:(d,o,i)=>i(load(),o),configurable:true});` +
  `p=new Proxy(t,{get:(_,k)=>Reflect.get(load(),k),set:(_,k,v)=>Reflect.set(load(),k,v),has:(_,k)=>Reflect.has(load(),k),` +
  `deleteProperty:(_,k)=>Reflect.deleteProperty(load(),k),ownKeys:()=>Reflect.ownKeys(load()),` +
  `getOwnPropertyDescriptor:(_,k)=>{const d=Reflect.getOwnPropertyDescriptor(load(),k);sync(k,d);return d},` +
  `defineProperty:(_,k,d)=>{const ok=Reflect.defineProperty(load(),k,d);if(ok)sync(k,Reflect.getOwnPropertyDescriptor(real,k));return ok},` +
  `getPrototypeOf:()=>Reflect.getPrototypeOf(load()),setPrototypeOf:(_,v)=>Reflect.setPrototypeOf(load(),v),` +
  `preventExtensions:()=>{Reflect.preventExtensions(load());for(const k of Reflect.ownKeys(real))Reflect.defineProperty(t,k,Reflect.getOwnPropertyDescriptor(real,k));Reflect.setPrototypeOf(t,Reflect.getPrototypeOf(real));return Reflect.preventExtensions(t)}});` +
  `all.set(id,p);return p}})(require);`;

/**
 * The bundle with every marked require rewritten to the helper, and the helper dropped from the
 * banner line when nothing was made lazy.
 */
export function withLazyBuiltins(js: string): string {
  let count = 0;
  const out = js.replace(/require\("binship-lz:([a-z_/0-9]+)"\)/g, (_, name: string) => {
    count++;
    return `${helperName}("node:${name}")`;
  });
  if (out.includes(marker)) {
    throw new BinshipError("BUNDLE_FAILED", `internal error: a lazy built-in import was printed in an unexpected form (${marker}…)`, {
      hint: "Turn lazy built-ins off (--no-lazy-builtins, or \"lazyBuiltins\": false) and report this to binship.",
    });
  }
  return count > 0 ? out : out.replace(lazyHelper, "");
}
