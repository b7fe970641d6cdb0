// What emitDecoratorMetadata costs at bundle time (bundle/decorators.ts): `binship bundle` of the
// NestJS fixture as it is (its decorated files compiled by the project's TypeScript) against the
// same files with a tsconfig without the setting (all of it on esbuild's path), interleaved, one
// CLI process per run, medians and their ratio.
//
//   npm run build && node bench/bundle-decorators.mjs        (RUNS=9 by default)

import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "bin", "binship.js");
const runs = Number(process.env.RUNS ?? 9);
const fixture = join(root, "test", "fixtures", "apps", "nestjs");
// Inside the repository, so the copy resolves the fixture's packages from node_modules.
const plain = join(root, ".tmp", `bench-nest-${process.pid}`);
mkdirSync(plain, { recursive: true });
cpSync(fixture, plain, { recursive: true });
writeFileSync(join(plain, "tsconfig.json"), JSON.stringify({ compilerOptions: { experimentalDecorators: true } }));

const time = (entry, out) => {
  const t = process.hrtime.bigint();
  execFileSync(process.execPath, [cli, "bundle", join(entry, "index.ts"), "-o", out], { stdio: "ignore" });
  return Number(process.hrtime.bigint() - t) / 1e6;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const withMeta = [];
const without = [];
try {
  for (let i = 0; i < runs; i++) {
    withMeta.push(time(fixture, join(plain, "a.cjs")));
    without.push(time(plain, join(plain, "b.cjs")));
  }
} finally {
  rmSync(plain, { recursive: true, force: true });
}
console.log(`machine: ${cpus().length}× ${cpus()[0].model}, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}, Node ${process.version}, ${runs} runs`);
console.log(`| variant | median ms | ratio |\n|---|---:|---:|`);
console.log(`| esbuild only (no emitDecoratorMetadata) | ${median(without).toFixed(0)} | 1.00 |`);
console.log(`| emitDecoratorMetadata: decorated files through TypeScript | ${median(withMeta).toFixed(0)} | ${(median(withMeta) / median(without)).toFixed(2)} |`);
