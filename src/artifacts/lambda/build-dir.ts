// Where pack lambda builds what goes into a zip (the executable, or the bundle and the stripped
// Node for the layer layout): binship's cache, not the output directory, so `dist/` holds only
// artifacts (a CDK asset or a CI upload of dist/ carried 100 MB of intermediates before). One
// directory per zip path keeps a rebuild incremental; the least recently used are swept.

import { createHash } from "node:crypto";
import { readdir, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";

const keepDirs = 8; // a developer's handful of zips (arches, layouts, stages); ~100 MB each, most of it hard-linked to the executable cache

export const lambdaBuildsDir = (cacheDir: string) => join(cacheDir, "lambda-builds");

/** `<cache>/lambda-builds/<hash of the zip's absolute path>`. */
export const lambdaBuildDir = (cacheDir: string, outfile: string) => join(lambdaBuildsDir(cacheDir), createHash("sha256").update(outfile).digest("hex").slice(0, 16));

/** Marks `used` as just used and removes all but the most recently used build directories. */
export async function sweepLambdaBuilds(cacheDir: string, used: string): Promise<void> {
  const now = new Date();
  await utimes(used, now, now).catch(() => {});
  const root = lambdaBuildsDir(cacheDir);
  const names = await readdir(root).catch(() => [] as string[]);
  const dirs = await Promise.all(names.map(async (n) => ({ path: join(root, n), mtime: (await stat(join(root, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
  dirs.sort((a, b) => b.mtime - a.mtime);
  for (const d of dirs.slice(keepDirs)) if (d.path !== used) await rm(d.path, { recursive: true, force: true }).catch(() => {});
}
