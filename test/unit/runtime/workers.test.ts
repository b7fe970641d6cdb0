// How many server workers a process starts: BINSHIP_WORKERS over the baked option, and "auto"
// from the cgroup v2 CPU quota (a container's cpu limit), capped by the CPUs it may run on.

import { writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { availableCores, workerCount } from "../../../src/runtime/server/workers.js";
import { tempDir } from "../../helpers/cli.js";

const dir = tempDir("binship-workers-unit-");
function cpuMax(text: string): string {
  const file = join(dir, `cpu.max.${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, text);
  return file;
}
const cpus = os.availableParallelism();

describe("availableCores", () => {
  it("rounds the cgroup quota up to whole cores, capped by the CPUs the process may use", () => {
    expect(availableCores({ BINSHIP_CGROUP_CPU_MAX: cpuMax("50000 100000\n") })).toBe(1);
    expect(availableCores({ BINSHIP_CGROUP_CPU_MAX: cpuMax("150000 100000\n") })).toBe(Math.min(2, cpus));
    expect(availableCores({ BINSHIP_CGROUP_CPU_MAX: cpuMax("6400000 100000\n") })).toBe(Math.min(64, cpus));
  });

  it("falls back to os.availableParallelism() with no quota or no cgroup v2 file", () => {
    expect(availableCores({ BINSHIP_CGROUP_CPU_MAX: cpuMax("max 100000\n") })).toBe(cpus);
    expect(availableCores({ BINSHIP_CGROUP_CPU_MAX: join(dir, "absent") })).toBe(cpus);
    expect(availableCores({ BINSHIP_CGROUP_CPU_MAX: cpuMax("garbage") })).toBe(cpus);
  });
});

describe("workerCount", () => {
  it("is 1 unless asked, the baked option otherwise, and BINSHIP_WORKERS over both", () => {
    expect(workerCount(undefined, {})).toBe(1);
    expect(workerCount(3, {})).toBe(3);
    expect(workerCount(3, { BINSHIP_WORKERS: "2" })).toBe(2);
    expect(workerCount("auto", { BINSHIP_WORKERS: "1" })).toBe(1);
    expect(workerCount(undefined, { BINSHIP_WORKERS: "auto", BINSHIP_CGROUP_CPU_MAX: cpuMax("50000 100000") })).toBe(1);
    expect(workerCount("auto", { BINSHIP_CGROUP_CPU_MAX: cpuMax("150000 100000") })).toBe(Math.min(2, cpus));
  });

  it("refuses a value that is not a worker count, naming the variable", () => {
    for (const bad of ["0", "-1", "1.5", "two", "99999"]) {
      expect(() => workerCount(undefined, { BINSHIP_WORKERS: bad })).toThrow(`BINSHIP_WORKERS must be a whole number from 1 to 1024 or "auto", got "${bad}"`);
    }
  });
});
