// Official Node binaries carry a full symbol table and some DWARF (~18-20 MB). `--strip-all`
// removes .symtab/.strtab and .debug_*; the dynamic symbol table stays, so native addons still
// link. Stripping happens before injection: postject then adds the blob's note to the stripped
// file, and a strip after injection could not be trusted to keep it. The result is cached next
// to the official binary, keyed by the source's sha256.

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { commitCached, readCached, sha256File, type CachedFile } from "../node-dist/cache.js";

const run = promisify(execFile);

export interface StripInput {
  tool: string; // llvm-strip or a strip for the target
  source: CachedFile; // the official binary in the cache
  outfile?: string; // default: <source dir>/node-stripped (cached)
}

/** Returns the stripped copy, from the cache when it is there. Throws when the tool fails. */
export async function stripBinary(input: StripInput): Promise<CachedFile> {
  const out = input.outfile ?? join(dirname(input.source.path), "node-stripped");
  const hit = await readCached(out);
  if (hit && hit.source === `sha256:${input.source.sha256}`) return hit;
  const tmp = join(dirname(out), `.${randomBytes(4).toString("hex")}.stripping.tmp`);
  try {
    await run(input.tool, ["--strip-all", "-o", tmp, input.source.path]);
    const bytes = (await stat(tmp)).size;
    return await commitCached(tmp, out, { version: input.source.version, bytes, sha256: await sha256File(tmp), source: `sha256:${input.source.sha256}` });
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
