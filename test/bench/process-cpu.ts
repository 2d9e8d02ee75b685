// CPU time of a process the benchmarks started (by pid), from /proc/<pid>/stat: how much of a
// core a WireGuard process used during a measurement.

import { readFileSync } from "node:fs";

const CLOCK_TICKS = 100; // USER_HZ on Linux

// CPU seconds a process has used so far (user + system); 0 when it is gone or unknown.
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
