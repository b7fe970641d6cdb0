// The official Node binary alone, stripped as the executable stage strips it, for layouts that
// ship Node beside the bundle instead of injecting the bundle into it (the Lambda layer). It
// comes from the same registry cache and the same strip cache as the executable's, so a layer
// holds exactly the Node the executable layout would have built on. The file it names goes into
// the layer as it is, so a cached one is checked in full first (util/cache-object.ts).

import { join } from "node:path";
import { diagnostic, type Diagnostic } from "../diagnostic.js";
import { BinshipError } from "../errors.js";
import { inspectFile, type ElfReport } from "../inspect/index.js";
import { provisionNode, type CachedFile } from "../node-dist/index.js";
import { CorruptEntry, retryOnCorrupt, verifyDigest } from "../util/cache-object.js";
import type { ExecutableOptions } from "./options.js";
import { stripCached, stripFile } from "./strip.js";

export interface NodeBinary {
  version: string; // exact, "24.21.0"
  report: ElfReport; // the binary to ship, inspected; report.path is the file
  stripped: boolean;
  published: { sha256: string; source: string }; // the binary as published, before stripping (what an SBOM names), and where it came from
  warnings: Diagnostic[]; // e.g. it could not be stripped
}

/** The registry's (or --node-binary's) Node for options.arch, stripped unless --no-strip; `scratch` holds a stripped --node-binary. */
export async function prepareNodeBinary(options: ExecutableOptions, scratch: string): Promise<NodeBinary> {
  const warnings: Diagnostic[] = [];
  const result = await retryOnCorrupt(() => prepareOnce(options, scratch, warnings));
  return { ...result, warnings: warnings.filter((w, i) => warnings.findIndex((o) => o.text === w.text) === i) };
}

async function prepareOnce(options: ExecutableOptions, scratch: string, warnings: Diagnostic[]): Promise<NodeBinary> {
  const given = options.nodeBinary ? await inspectFile(options.nodeBinary) : undefined;
  if (given && (given.arch !== options.arch || given.sea || !given.nodeVersion)) {
    throw new BinshipError("CONFIG_INVALID", `--node-binary ${options.nodeBinary} is not an official Node binary for linux-${options.arch}`, {
      hint: `Pass package/bin/node of the npm package node-linux-${options.arch}.`,
    });
  }
  const dist = given ? undefined : await provisionNode({ spec: options.node, arch: options.arch, cacheDir: options.cacheDir, registry: options.registry, logger: options.logger });
  const version = given?.nodeVersion ?? dist!.version;
  let path = given?.path ?? dist!.target.path;
  let cached: CachedFile | undefined = dist?.target;
  const published = dist ? { sha256: dist.target.sha256, source: `npm:node-linux-${options.arch}@${version}` } : { sha256: given!.sha256, source: "file" };
  let stripped = false;
  if (options.strip && !options.stripTool) {
    warnings.push(diagnostic("no llvm-strip on PATH: the Node binary is not stripped (about 18 MiB larger)", "Install llvm or binutils, or pass --no-strip."));
  } else if (options.strip && options.stripTool) {
    try {
      if (dist) {
        cached = await stripCached(options.stripTool, dist.target, warnings);
        path = cached.path;
      } else {
        const out = join(scratch, "node-stripped");
        await stripFile(options.stripTool, path, out);
        path = out;
        cached = undefined;
      }
      stripped = true;
    } catch (err) {
      if (err instanceof CorruptEntry) throw err;
      warnings.push(diagnostic(`${options.stripTool} failed, the Node binary is not stripped: ${(err as Error).message.split("\n")[0]}`));
    }
  }
  // The inspection reads every byte anyway: its sha256 is the full check of a cached binary.
  const report = await inspectFile(path);
  const entry = cached && { path: cached.path, record: `${cached.path}.json`, expected: cached, what: stripped ? "stripped Node binary" : "Node binary", instead: stripped ? "stripping it again" : "downloading it again" };
  if (entry && !(await verifyDigest(entry, report, warnings))) throw new CorruptEntry(entry.path);
  return { version, report, stripped, published, warnings };
}
