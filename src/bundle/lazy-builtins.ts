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

/**
 * Built-ins whose bindings V8 cannot put in a startup snapshot (Node 22-26: http's parser, http2's
 * session state, tls's secure context; https loads http). In a snapshot build every file's
 * require of one is deferred, the service's own and binship's runtime included.
 */
export const unserializableBuiltins = ["http", "https", "http2", "tls"] as const;

const names = new Set<string>(lazyBuiltinModules);
const pattern = new RegExp(`^(node:)?(${[...lazyBuiltinModules, "http"].map((n) => n.replace("/", "\\/")).join("|")})$`);

/** The modules made lazy: the list, less those the config keeps eager; none when turned off. */
export function lazyModules(enabled: boolean, eager: readonly string[]): Set<string> {
  if (!enabled) return new Set();
  const keep = new Set(eager.map((n) => n.replace(/^node:/, "")));
  return new Set([...names].filter((n) => !keep.has(n)));
}

const inNodeModules = (file: string) => /[\\/]node_modules[\\/]/.test(file);

/** `everywhere`: of `lazy`, the modules deferred in every file, not only packages' (a snapshot build's). */
export function lazyBuiltinsPlugin(lazy: Set<string>, everywhere: ReadonlySet<string> = new Set()): Plugin {
  return {
    name: "binship-lazy-builtins",
    setup(b) {
      b.onResolve({ filter: pattern }, (args) => {
        if (args.kind !== "require-call" && args.kind !== "import-statement") return undefined;
        const name = args.path.replace(/^node:/, "");
        if (!everywhere.has(name) && !inNodeModules(args.importer)) return undefined;
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
  return count > 0 || !out.includes(lazyHelper) ? out : out.replace(lazyHelper, "");
}


/**
 * The helper of a snapshot build (runtime/snapshot.ts). After deserialization it is the helper
 * above. While the snapshot is being built, the deferred built-ins are not loaded: a property
 * read gives the build's copy of a constant (arrays, objects of primitives: `http.METHODS`,
 * `http2.constants`; from the file BINSHIP_SNAPSHOT_SHAPES names, which the generator's own Node wrote) or a
 * deferred value (classes, functions) that resolves on its first use after the start (an object
 * made with one as its prototype takes writes as its own properties, as it would from the real
 * prototype without a setter for the key; a class that extends one is relinked to the real class
 * and prototype at its first `new`, so `instanceof` and the built-in's own `this instanceof`
 * checks hold); keys and
 * the prototype come from the same shapes, so esbuild's default-import copy works. Any other use
 * at build time (a call, `new`, a write) is recorded as a finding, with its stack, and throws.
 */
export const snapshotLazyHelper = (
  `var ${helperName}=((req)=>{const eager=${helperName}0(req);const v8=req("node:v8");let building=v8.startupSnapshot.isBuildingSnapshot();
if(!building)return eager;v8.startupSnapshot.addDeserializeCallback(()=>{building=false});
const deferred=new Set(${JSON.stringify(unserializableBuiltins.map((n) => `node:${n}`))});
const sf=process.env.BINSHIP_SNAPSHOT_SHAPES;const shapes=sf?JSON.parse(req("node:fs").readFileSync(sf,"utf8")):{};
const fail=(id,path,op)=>{const what=id+(path.length?"."+path.join("."):"")+" "+op;
const f=globalThis[Symbol.for("binship.snapshot.findings")]??=[];const l=Error.stackTraceLimit;Error.stackTraceLimit=40;
f.push({kind:"builtin",what,stack:new Error().stack??""});Error.stackTraceLimit=l;
throw new Error("binship --snapshot: "+what+" while the snapshot was built: "+id+" cannot be in a startup snapshot")};
const real=new WeakMap();
const resolve=(id,path)=>path.reduce((o,k)=>o[k],eager(id));
const unwrap=(v)=>real.has(v)?real.get(v)():v;
const relink=(c)=>{for(const o of [c,c.prototype])for(let x=o;x;x=Reflect.getPrototypeOf(x)){const q=Reflect.getPrototypeOf(x);if(q&&real.has(q))Reflect.setPrototypeOf(x,real.get(q)())}};
const later=(id,path)=>{const r=()=>resolve(id,path);const p=new Proxy(function(){},{
get:(_,k,rcv)=>building?(typeof k==="symbol"||k==="then"?undefined:later(id,[...path,k])):Reflect.get(r(),k,rcv===p?r():rcv),
set:(_,k,v,rcv)=>building?(rcv!==p&&Object.isExtensible(rcv)?Reflect.defineProperty(rcv,k,{value:v,writable:true,enumerable:true,configurable:true}):fail(id,path,"written ("+String(k)+")")):Reflect.set(r(),k,v,rcv===p?r():rcv),
has:(_,k)=>building?fail(id,path,"tested ("+String(k)+" in)"):Reflect.has(r(),k),
apply:(_,self,args)=>building?fail(id,path,"called"):Reflect.apply(r(),unwrap(self),args),
construct:(_,args,nt)=>{if(building)fail(id,path,"constructed (new)");if(nt!==p)relink(nt);return Reflect.construct(r(),args,nt===p?r():nt)},
ownKeys:()=>building?fail(id,path,"listed"):Reflect.ownKeys(r()),
getOwnPropertyDescriptor:(t,k)=>{if(k==="prototype")return Reflect.getOwnPropertyDescriptor(t,k);if(building)return undefined;const d=Reflect.getOwnPropertyDescriptor(r(),k);return d&&{...d,configurable:true}},
getPrototypeOf:()=>building?Function.prototype:Reflect.getPrototypeOf(r())});real.set(p,r);return p};
const mods=new Map();
return(id)=>{if(!deferred.has(id))return eager(id);let m=mods.get(id);if(m)return m;const shape=shapes[id];
m=new Proxy({},{get:(_,k)=>{if(!building)return Reflect.get(eager(id),k);if(typeof k==="symbol"||k==="__esModule"||k==="then")return undefined;
if(shape&&Object.hasOwn(shape.values,k))return structuredClone(shape.values[k]);return later(id,[k])},
set:(_,k,v)=>building?fail(id,[],"written ("+String(k)+")"):Reflect.set(eager(id),k,v),
has:(_,k)=>building?(shape?shape.keys.includes(k):fail(id,[],"tested")):Reflect.has(eager(id),k),
ownKeys:()=>building?(shape?shape.keys:fail(id,[],"listed")):Reflect.ownKeys(eager(id)),
getOwnPropertyDescriptor:(_,k)=>building?(shape&&shape.keys.includes(k)?{value:undefined,writable:true,enumerable:true,configurable:true}:undefined):Reflect.getOwnPropertyDescriptor(eager(id),k),
defineProperty:(_,k,d)=>building?fail(id,[],"patched ("+String(k)+")"):Reflect.defineProperty(eager(id),k,d),
deleteProperty:(_,k)=>building?fail(id,[],"patched ("+String(k)+")"):Reflect.deleteProperty(eager(id),k),
getPrototypeOf:()=>building?Object.prototype:Reflect.getPrototypeOf(eager(id))});mods.set(id,m);return m}})(require);`
).replace(/\n/g, "");

/** The eager helper under another name, for the snapshot helper to wrap. */
const eagerHelperAs0 = lazyHelper.replace(`var ${helperName}=((req)=>`, `var ${helperName}0=((req)=>`).replace(/\}\)\(require\);$/, "});");

/** Both helpers on one line: the snapshot build's banner addition. */
/**
 * A snapshot build's `require` goes through a hook runtime/snapshot.ts sets while the init is
 * watched: Node warns once per built-in it does not support in a snapshot (async_hooks,
 * worker_threads, perf_hooks, ...), and every later require of one is recorded too.
 */
const requireWatch = `require=((r)=>{const w=function(id){const h=globalThis[Symbol.for("binship.snapshot.require")];return h?h(id,r):r(id)};return w})(require);`;

export const snapshotHelpers = requireWatch + eagerHelperAs0 + snapshotLazyHelper;

/** The node -e script that prints BINSHIP_SNAPSHOT_SHAPES for the deferred built-ins: keys, and copies of their JSON-able constants. */
export const shapesProbe =
  `const out={};for(const n of ${JSON.stringify(unserializableBuiltins)}){const m=require("node:"+n);const values={};` +
  `for(const k of Object.keys(m)){const v=m[k];if(v===null||typeof v!=="object"&&typeof v!=="function"||(typeof v==="object"&&JSON.stringify(v)!==undefined&&Object.values(v).every(x=>x===null||typeof x!=="object"&&typeof x!=="function"))){try{values[k]=JSON.parse(JSON.stringify(v)??"null")}catch{}}}` +
  `out["node:"+n]={keys:Object.getOwnPropertyNames(m),values}}process.stdout.write(JSON.stringify(out))`;
