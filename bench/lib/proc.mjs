// What /proc says about a live process, for the benches that report CPU and memory.

import { readdirSync, readFileSync } from "node:fs";

/** CPU time of every thread of `pid` so far, in ns (schedstat's first field). */
export function cpuNs(pid) {
  let total = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return total;
}

/** Peak resident set size of `pid` so far (VmHWM), in bytes. */
export const peakRss = (pid) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) * 1024;
