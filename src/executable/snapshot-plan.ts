// Which modules a startup snapshot holds (README "Start-up: a startup snapshot"). The probe run
// (runtime/snapshot.ts) evaluated the whole graph once at build time and reported, per module,
// what its own init read (environment, clock, random values), whether it threw or used a built-in
// a snapshot cannot hold, which modules it imported, and which shared globals it changed. A module
// is evaluated at build time only if none of that would differ at the start:
//   - it read nothing of the kind, threw nothing, and everything it imports is at build time too
//     (its init calls theirs: they cannot wait for the start if it does not);
//   - no module before it that runs at the start changed a global or a built-in prototype (a
//     polyfill a later module may rely on at its own load: order matters there);
//   - it is not one of the service's own modules after one of them that runs at the start: the
//     service's own modules keep their side-effect order among themselves.
// Everything else runs at each start, in its original order, exactly as without a snapshot. A
// package module that runs at the start may so run after package modules that loaded after it at
// build time; they do not import it, and it changed no global they could have read.

import type { Finding, ProbeReport } from "./snapshot-guard.js";
import { findingWords } from "./snapshot-guard.js";

export interface SnapshotPlan {
  atBuild: string[]; // evaluated into the snapshot, in their order
  atStart: { module: string; why: string }[]; // the modules that run at each start, in order, each with the first reason
}

/** A module of the service itself (not a package's, not binship's runtime). */
export function ownModule(name: string): boolean {
  return !name.includes("node_modules/") && !name.includes(":"); // binship's runtime and virtual modules are namespaced ("binship-runtime:")
}

/** The reasons of the modules that made findings themselves: "reads process.env.A, B, reads the clock: Date.now()". */
function directReasons(findings: Finding[]): Map<string, string> {
  const words = new Map<string, { env: Set<string>; other: Set<string> }>();
  for (const f of findings) {
    if (f.module === undefined) continue;
    const entry = words.get(f.module) ?? { env: new Set<string>(), other: new Set<string>() };
    if (f.kind === "env" && f.what === "(the whole environment, listed)") entry.other.add("lists the whole environment");
    else if (f.kind === "env" && !/ \((written|deleted)\)$/.test(f.what)) entry.env.add(f.what);
    else entry.other.add(findingWords(f));
    words.set(f.module, entry);
  }
  return new Map(
    [...words].map(([m, { env, other }]) => [m, [...(env.size > 0 ? [`reads process.env.${[...env].join(", ")}`] : []), ...other].join(", ")]),
  );
}

export function planSnapshot(probe: ProbeReport): SnapshotPlan {
  const why = directReasons(probe.findings);
  // A finding no module made (binship's own code): nothing can be trusted at build time.
  const unattributed = probe.findings.find((f) => f.module === undefined);
  for (const m of probe.threw) if (!why.has(m)) why.set(m, "its init threw at build time");
  const completed = new Set(probe.order);
  let barrier: string | undefined; // the first module at the start that changed a shared global
  let ownAtStart: string | undefined; // the first of the service's own modules at the start
  for (const m of probe.order) {
    if (!why.has(m)) {
      const dep = (probe.imports[m] ?? []).find((d) => why.has(d) || !completed.has(d));
      if (unattributed) why.set(m, `binship's runtime ${findingWords(unattributed)} during the init`);
      else if (dep !== undefined) why.set(m, `imports ${dep}`);
      else if (barrier !== undefined) why.set(m, `loads after ${barrier}, which runs at the start and changes ${probe.globals[barrier]!.slice(0, 3).join(", ")}`);
      else if (ownModule(m) && ownAtStart !== undefined) why.set(m, `the service's own modules keep their order: it loads after ${ownAtStart}`);
    }
    if (!why.has(m)) continue;
    if (barrier === undefined && (probe.globals[m]?.length ?? 0) > 0) barrier = m;
    if (ownAtStart === undefined && ownModule(m)) ownAtStart = m;
  }
  // An import cycle can name a module that is decided later in the order.
  for (let changed = true; changed; ) {
    changed = false;
    for (const m of probe.order) {
      if (why.has(m)) continue;
      const dep = (probe.imports[m] ?? []).find((d) => why.has(d));
      if (dep !== undefined) {
        why.set(m, `imports ${dep}`);
        changed = true;
      }
    }
  }
  // A module whose init threw and never completed has no place in the order: it is listed last.
  const unfinished = [...new Set(probe.threw)].filter((m) => !completed.has(m));
  return {
    atBuild: probe.order.filter((m) => !why.has(m)),
    atStart: [...probe.order.filter((m) => why.has(m)), ...unfinished].map((m) => ({ module: m, why: why.get(m)! })),
  };
}

/** The modules at the start that are there for a reason of their own (not only for what they import). */
export function startCauses(plan: SnapshotPlan): { module: string; why: string }[] {
  return plan.atStart.filter((s) => !s.why.startsWith("imports "));
}

/** A module as a user knows it: the package for a package's file (`@aws-sdk/core`), the path for the service's own. */
export function shownModule(name: string): string {
  const at = name.lastIndexOf("node_modules/");
  if (at < 0) return name;
  const parts = name.slice(at + "node_modules/".length).split("/");
  return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1] ?? ""}` : parts[0]!;
}

/** True when the snapshot would hold none of the service's init (only binship's own modules). */
export function holdsNothing(plan: SnapshotPlan): boolean {
  return !plan.atBuild.some((m) => !/^binship-[a-z]+:/.test(m));
}
