// The coordinator's scheduled job: every few seconds, apply what time alone changes — keys that
// expired, nodes that went offline or came back, ephemeral nodes gone for good — so a node cut
// off by expiry disappears from everyone's netmap within seconds.

import { schedule, type ScheduledTask } from "node-cron";

export const SWEEP_SCHEDULE = "*/5 * * * * *"; // every 5 seconds

export interface SweepJob {
  stop(): Promise<void>;
}

export function startSweepJob(sweep: () => void, log: (line: string) => void): SweepJob {
  const task: ScheduledTask = schedule(SWEEP_SCHEDULE, () => {
    try {
      sweep();
    } catch (error) {
      log(`sweep failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }, { noOverlap: true });
  return {
    async stop() {
      await task.destroy();
    },
  };
}
