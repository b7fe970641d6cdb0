// The Node 24 the benches run their servers on: BENCH_NODE, or the newest Node 24 in binship's cache.
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export function findNode() {
  if (process.env.BENCH_NODE) return process.env.BENCH_NODE;
  const cache = join(homedir(), ".cache", "binship", "node");
  const dirs = existsSync(cache) ? readdirSync(cache).filter((d) => d.startsWith(`node-linux-${process.arch}@24.`)) : [];
  dirs.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  if (!dirs.length) throw new Error("no Node 24 in binship's cache: run `binship build` once, or set BENCH_NODE");
  return join(cache, dirs.at(-1), "node");
}
