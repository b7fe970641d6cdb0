// Bench-only loader for bench/warm-code-cache.mjs: runs a CommonJS bundle through vm.Script with
// a V8 code cache from a file, or makes that cache. Not binship's runtime.
//   node vm-cache-loader.cjs <bundle> <cache> [make-compiled | make-loaded | make-answered]
// make-compiled: the cache right after compiling (what Node's SEA and compile caches hold);
// make-loaded: after the bundle's top level ran (the service's modules evaluated);
// make-answered: after the service answered GET /hello once on $PORT.
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const [bundle, cacheFile, make] = process.argv.slice(2);
const filename = path.resolve(bundle);
const source = `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(filename, "utf8")}\n})`;
const script = new vm.Script(source, { filename, cachedData: make ? undefined : fs.readFileSync(cacheFile) });
if (!make && script.cachedDataRejected) {
  console.error(`vm-cache-loader: V8 rejected ${cacheFile}`);
  process.exit(9);
}
const save = () => {
  fs.writeFileSync(cacheFile, script.createCachedData());
  process.exit(0);
};
if (make === "make-compiled") save();
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, require, mod, filename, path.dirname(filename));
if (make === "make-loaded") save();
if (make === "make-answered") {
  const http = require("node:http");
  const poll = setInterval(() => {
    http
      .get(`http://127.0.0.1:${process.env.PORT}/hello`, (res) => {
        res.resume();
        if (res.statusCode === 200) {
          clearInterval(poll);
          save();
        }
      })
      .on("error", () => {});
  }, 20);
}
