// Lazy built-ins (issue 22): exec -> first HTTP 200 and peak RSS of the orders fixture (Hono +
// zod + AWS SDK DynamoDB client) bundled with lazy built-ins (the default) and with
// --no-lazy-builtins, both run by `node`, interleaved.
//
//   npm run build && (cd bench && npm install) && node bench/lazy-builtins.mjs
//
// RUNS overrides the count (default 15).

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { firstOk } from "./lib/http-probe.mjs";
import { peakRss } from "./lib/proc.mjs";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "bin", "binship.js");
const entry = join(import.meta.dirname, "apps", "orders.ts");
const out = mkdtempSync(join(tmpdir(), "binship-bench-lazy-"));
const runs = Number(process.env.RUNS ?? 15);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const variants = { lazy: [], eager: ["--no-lazy-builtins"] };
const files = {};
for (const [name, flags] of Object.entries(variants)) {
  files[name] = join(out, `${name}.cjs`);
  execFileSync(process.execPath, [cli, "bundle", entry, "-o", files[name], ...flags], { stdio: "ignore" });
}
const results = Object.fromEntries(Object.keys(variants).map((n) => [n, []]));
let port = 19300;
for (let i = 0; i < runs; i++) {
  for (const name of Object.keys(variants)) {
    results[name].push(await firstOk(process.execPath, [files[name]], port++, (child) => ({ rss: peakRss(child.pid) })));
  }
}
const row = (name) => ({ ms: median(results[name].map((r) => r.ms)), rss: median(results[name].map((r) => r.rss)) / 1024 / 1024 });
const lazy = row("lazy");
const eager = row("eager");
console.log(`| variant | first 200 (median of ${runs}) | peak RSS |\n|---|---:|---:|`);
console.log(`| node bundle, --no-lazy-builtins | ${eager.ms.toFixed(1)} ms | ${eager.rss.toFixed(1)} MiB |`);
console.log(`| node bundle, lazy built-ins (default) | ${lazy.ms.toFixed(1)} ms (${(lazy.ms / eager.ms).toFixed(2)}×) | ${lazy.rss.toFixed(1)} MiB (${(lazy.rss / eager.rss).toFixed(2)}×) |`);
rmSync(out, { recursive: true, force: true });
