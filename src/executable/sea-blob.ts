// The SEA preparation blob, generated the way pkg generates it (pkg 6.23 lib-es5/sea.js: the
// same sea-config keys and defaults, the generator started in the main script's directory), so
// a blob re-injected into an earlier executable (reinject.ts) gives the bytes pkg would write.
//
// With a V8 code cache ("useCodeCache"), the blob also holds the main script compiled by the
// generator. V8 accepts a code cache only from its own build and flags, and Node documents the
// cache as platform-specific, so the generator is the target's own Node: for another CPU, the
// target binary under qemu-user (`emulator`).
//
// Reproducible bytes: V8 seeds its string hashes at random per process, and the cache's bytes
// depend on that seed (3 generator runs on the same bundle: 3 blobs, sizes differing by up to
// 130 bytes); with a fixed --hash-seed they are identical. But V8 records a hash of every
// non-default flag in the cache's header and rejects a cache whose flags differ from the running
// process's, and --hash-seed is one of them. A cache never depends on which seed made it (every
// Node process picks its own random seed, and caches are used across processes: strings are
// re-hashed on the way in), so the header's flag hash is set to what the same Node computes
// without the seed: read from a one-line vm.Script cache made by the same generator.
import { readFile, rm, symlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { BinshipError } from "../errors.js";
import { seaBlobFacts } from "../inspect/sea-blob.js";
import { logTail, recordedMainPath, runGrouped } from "./pkg.js";
import { shapesProbe } from "../bundle/lazy-builtins.js";
import { readReport, refusal, type GuardContext, type ProbeReport } from "./snapshot-guard.js";
import { holdsNothing, planSnapshot, type SnapshotPlan } from "./snapshot-plan.js";

/** pkg's defaults under the caller's keys; part of the executable cache key (executable/index.ts). */
export const seaDefaults = { disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false };

/**
 * The generator's V8 seeds when it builds a snapshot: the heap's layout follows the string hash
 * seed and the random seed (two builds: thousands of bytes apart; with both fixed, the same). A
 * start does not keep them: V8 rehashes the snapshot's tables on deserialization and seeds
 * Math.random per process (checked: 3 starts of one snapshot, 3 different values).
 */
export const snapshotSeeds = [`--hash-seed=${0x62696e73}`, `--random-seed=${0x62696e73}`];

/** The generator's V8 hash seed when it writes a code cache: any fixed value makes the bytes reproducible. */
export const codeCacheHashSeed = 0x62696e73; // "bins"

export interface SeaBlobInput {
  generator: string; // Node of exactly the target's version; with codeCache, the target's own (see emulator)
  emulator?: string[]; // the command the generator runs under when it is a foreign-arch binary: qemu-<arch> -L <root>
  codeCache?: boolean; // compile the main into a V8 code cache inside the blob (default false, pkg's)
  main: string; // the main script, in a directory of its own
  seaConfig?: Record<string, unknown>; // keys beyond pkg's defaults (mainFormat, assets)
  workDir: string; // scratch: the config and the blob
  snapshot?: GuardContext; // build a V8 startup snapshot by running the main (useSnapshot); the guard's findings are mapped with it
  onPlan?: (plan: SnapshotPlan) => void; // told which modules the snapshot holds and which run at each start
}

// The probe's report and the plan, beside the main: the generator runs there, and their names
// (relative, the same on every build) are what its environment holds.
const probeName = "snapshot-probe.json";
const planName = "snapshot-plan.json";

export async function generateSeaBlob(input: SeaBlobInput): Promise<Buffer> {
  // A snapshot records the generator's argv: the config's path is the same on every build.
  const config = input.snapshot ? join(dirname(input.main), "sea-config.json") : join(input.workDir, "sea-config.json");
  const output = join(input.workDir, "sea-prep.blob");
  // A snapshot holds the compiled code itself: no code cache beside it.
  const cache = input.snapshot ? { useSnapshot: true } : input.codeCache ? { useCodeCache: true } : {};
  await writeFile(config, JSON.stringify({ main: recordedMainPath(input.main), output, ...seaDefaults, ...input.seaConfig, ...cache }));
  const seeds = input.snapshot ? snapshotSeeds : input.codeCache ? [`--hash-seed=${codeCacheHashSeed}`] : [];
  const nodeArgs = [...seeds, "--experimental-sea-config", input.snapshot ? basename(config) : config];
  // A snapshot's heap keeps the generator's argv[0] (its path in binship's cache): a fixed name
  // instead, qemu's -0 or a link beside the main.
  const emulator = input.snapshot && input.emulator ? [...input.emulator, "-0", "node"] : input.emulator;
  let generator = input.generator;
  if (input.snapshot && !input.emulator) {
    await symlink(input.generator, join(dirname(input.main), "node"));
    generator = "./node";
  }
  // ... and its process id: in a PID namespace of its own (when this machine allows one) it is always 1.
  const pidNamespace = input.snapshot ? await pidNamespacePrefix() : [];
  const [file, ...prefix] = [...pidNamespace, ...(emulator ?? []), generator];
  const env: NodeJS.ProcessEnv = { PATH: "/usr/bin:/bin", NO_COLOR: "1" };
  if (input.snapshot) {
    env.BINSHIP_SNAPSHOT_SHAPES = join(input.workDir, "snapshot-shapes.json");
    await writeFile(env.BINSHIP_SNAPSHOT_SHAPES, await probe(input, shapesProbe, "the deferred built-ins' shapes"));
    const plan = await snapshotPlan(file!, [...prefix, ...nodeArgs], env, input.main, input.snapshot);
    if (plan) {
      input.onPlan?.(plan);
      await writeFile(join(dirname(input.main), planName), JSON.stringify(plan.atBuild));
      env.BINSHIP_SNAPSHOT_PLAN = planName;
    }
  }
  const { err, log } = await runGrouped(file!, [...prefix, ...nodeArgs], { cwd: dirname(input.main), env });
  const report = input.snapshot && err ? readReport(log) : undefined;
  if (report) throw refusal(report, input.snapshot!);
  if (err && input.snapshot) {
    throw new BinshipError("EXECUTABLE_FAILED", `building the startup snapshot failed: ${err.message}`, {
      cause: err,
      diagnostics: logTail(log.split("\n").filter((l) => !/^\s+(-|0x|\d+:)/.test(l)).map((l) => (l.length > 240 ? `${l.slice(0, 240)}…` : l)).join("\n"), 12),
      hint: "Something the module's init created cannot be serialized by V8 (a handle: a server, a socket, a timer); create it on first use, or build without --snapshot.",
    });
  }
  if (err) {
    throw new BinshipError("EXECUTABLE_FAILED", `generating the SEA blob${input.codeCache ? " (with its V8 code cache)" : ""} failed: ${err.message}`, {
      cause: err,
      diagnostics: logTail(log),
      hint: input.codeCache ? "Run with --verbose for details; --no-code-cache builds without the cache." : "Run with --verbose for details.",
    });
  }
  const blob = await readFile(output);
  if (input.codeCache) await withDefaultFlagHash(blob, await defaultCacheHeader(input));
  if (input.snapshot) withDefaultBuiltinFlagHashes(blob, await defaultCacheHeader(input), await defaultCacheHeader(input, snapshotSeeds));
  return blob;
}

/**
 * The probe run (runtime/snapshot.ts): the generator evaluates the whole init, module by module,
 * and writes what it saw instead of a snapshot; the plan says which modules are safe at build
 * time. Undefined for a bundle without module initialisers (the whole init is then one step).
 */
async function snapshotPlan(file: string, args: string[], env: NodeJS.ProcessEnv, main: string, guard: GuardContext): Promise<SnapshotPlan | undefined> {
  const at = join(dirname(main), probeName);
  const { err, log } = await runGrouped(file, args, { cwd: dirname(main), env: { ...env, BINSHIP_SNAPSHOT_PROBE: probeName } });
  const text = await readFile(at, "utf8").catch(() => undefined);
  await rm(at, { force: true });
  if (text === undefined) {
    const report = err ? readReport(log) : undefined;
    if (report) throw refusal(report, guard);
    if (err) throw new BinshipError("EXECUTABLE_FAILED", `probing the service's init for the startup snapshot failed: ${err.message}`, { cause: err, diagnostics: logTail(log) });
    return undefined;
  }
  const probe = JSON.parse(text) as ProbeReport;
  // An init that fails with nothing behind it that differs at the start would fail there too.
  if (probe.error !== undefined && probe.findings.length === 0) throw refusal({ findings: [], error: probe.error }, guard);
  const plan = planSnapshot(probe);
  if (holdsNothing(plan)) throw refusal({ findings: probe.findings, error: probe.error }, guard);
  return plan;
}

// V8's code cache header (SerializedCodeData, V8 12-13): u32 magic, u32 version hash, u32 source
// hash, u32 flag hash, ... all little-endian.
const flagHashAt = 12;

let pidNamespaceProbe: Promise<string[]> | undefined;

/**
 * `unshare` into a new user + PID namespace, if it works here (util-linux, and a kernel that lets
 * this user make one); else nothing, and snapshot bytes differ between builds where Node keeps
 * the generator's pid (README "Start-up"). --kill-child: the generator never outlives it.
 */
function pidNamespacePrefix(): Promise<string[]> {
  // With a user namespace any user may; without one (user namespaces disabled), root still may.
  const candidates = [
    ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child"],
    ["unshare", "--pid", "--fork", "--kill-child"],
  ];
  pidNamespaceProbe ??= (async () => {
    for (const prefix of candidates) {
      const { err } = await runGrouped("unshare", [...prefix.slice(1), "true"], { cwd: "/", env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" } });
      if (!err) return prefix;
    }
    return [];
  })();
  return pidNamespaceProbe;
}

/** What a one-line script prints under the generator (the target's own Node), run with `flags`. */
async function probe(input: SeaBlobInput, script: string, what: string, flags: string[] = [], hint?: string): Promise<string> {
  const [file, ...prefix] = [...(input.emulator ?? []), input.generator];
  const { err, log } = await runGrouped(file!, [...prefix, ...flags, "-e", script], { cwd: input.workDir, env: { PATH: "/usr/bin:/bin", NO_COLOR: "1" } });
  if (err) throw new BinshipError("EXECUTABLE_FAILED", `reading ${what} from ${input.generator} failed: ${err.message}`, { cause: err, diagnostics: logTail(log), ...(hint ? { hint } : {}) });
  return log;
}

/** The first 16 bytes of a code cache made by the generator with default flags (or with `flags`). */
async function defaultCacheHeader(input: SeaBlobInput, flags: string[] = []): Promise<Buffer> {
  const script = `process.stdout.write(new (require("node:vm").Script)("0").createCachedData().subarray(0, 16).toString("hex"))`;
  const hint = "Run with --verbose; --no-code-cache builds without the cache.";
  const log = await probe(input, script, "V8's code cache header", flags, hint);
  if (!/^[0-9a-f]{32}$/.test(log)) throw new BinshipError("EXECUTABLE_FAILED", `reading V8's code cache header from ${input.generator} failed: ${log.slice(0, 200)}`, { hint });
  return Buffer.from(log, "hex");
}

/**
 * A startup snapshot carries Node's code cache for each of its built-in modules (the http, fs,
 * crypto... that load after the start), made by the generator, so with the seeds' flag hash:
 * V8 rejected every one of them at the start and compiled the built-ins from source (node:https
 * 27-40 ms instead of 4-9 ms). Each cache header with the seeded hash gets the default one, as the
 * main's code cache does above; a header is found by V8's magic and version hash (8 bytes).
 */
function withDefaultBuiltinFlagHashes(blob: Buffer, header: Buffer, seeded: Buffer): void {
  const prefix = header.subarray(0, 8);
  const seededHash = seeded.subarray(flagHashAt, flagHashAt + 4);
  for (let at = blob.indexOf(prefix); at >= 0; at = blob.indexOf(prefix, at + 1)) {
    if (blob.subarray(at + flagHashAt, at + flagHashAt + 4).equals(seededHash)) header.copy(blob, at + flagHashAt, flagHashAt, flagHashAt + 4);
  }
}

/** Puts the default-flags hash into the blob's code cache header, after checking it is the same V8's cache. */
async function withDefaultFlagHash(blob: Buffer, header: Buffer): Promise<void> {
  const range = (await seaBlobFacts(blob))?.codeCache;
  const cache = range && blob.subarray(range.offset, range.offset + range.bytes);
  if (!cache || cache.length < 16 || !cache.subarray(0, 8).equals(header.subarray(0, 8))) {
    throw new BinshipError("EXECUTABLE_FAILED", "the SEA blob's V8 code cache is not laid out as this binship expects (magic or V8 version differ)", { hint: "This is a binship bug with this Node version; --no-code-cache builds without the cache." });
  }
  header.copy(cache, flagHashAt, flagHashAt, flagHashAt + 4);
}
