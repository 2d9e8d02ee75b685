// The node's traffic sampler: every 10 seconds, read each peer's byte counters and record them;
// once a minute (the first sample of each new minute), roll the history up and prune it. The
// readings and the history come in as arguments (src/traffic does the work); the time is the
// reading's own `at`, so this file never reads a clock.

import { schedule, type ScheduledTask } from "node-cron";
import type { TrafficHistoryService, TrafficSnapshot } from "../traffic/traffic-history.js";

export const TRAFFIC_SAMPLE_SCHEDULE = "*/10 * * * * *"; // every 10 seconds (SAMPLE_INTERVAL_MS)
const MAINTAIN_EVERY_MS = 60_000;

export interface TrafficSamplerOptions {
  readonly sample: () => TrafficSnapshot;
  readonly history: Pick<TrafficHistoryService, "record" | "maintain">;
  readonly log: (line: string) => void;
  /** node-cron expression, seconds first; tests pass a faster one. */
  readonly schedule?: string;
}

export interface TrafficSampler {
  stop(): Promise<void>;
}

/**
 * One run of the job, without the schedule: sample, record, and maintain when the reading is in
 * a minute not yet maintained. Never throws: a failure is logged once, until it changes or ends.
 */
export function trafficSamplerTick(options: Omit<TrafficSamplerOptions, "schedule">): () => void {
  let maintainedPeriod: number | null = null;
  let lastFailure: string | null = null;
  const failed = (what: string, error: unknown): void => {
    const line = `traffic history: ${what} failed: ${error instanceof Error ? error.message : String(error)}`;
    if (line !== lastFailure) options.log(line);
    lastFailure = line;
  };
  return () => {
    let snapshot: TrafficSnapshot;
    try {
      snapshot = options.sample();
      options.history.record(snapshot);
    } catch (error) {
      failed("sampling", error);
      return;
    }
    const period = Math.floor(snapshot.at / MAINTAIN_EVERY_MS);
    if (period !== maintainedPeriod) {
      try {
        options.history.maintain(snapshot.at);
        maintainedPeriod = period;
      } catch (error) {
        failed("rollup", error);
        return;
      }
    }
    if (lastFailure !== null) options.log("traffic history: recording again");
    lastFailure = null;
  };
}

export function startTrafficSampler(options: TrafficSamplerOptions): TrafficSampler {
  const task: ScheduledTask = schedule(options.schedule ?? TRAFFIC_SAMPLE_SCHEDULE, trafficSamplerTick(options), { noOverlap: true });
  return {
    async stop() {
      await task.destroy();
    },
  };
}
