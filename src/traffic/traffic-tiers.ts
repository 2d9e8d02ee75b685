// How much traffic history is kept, at which resolution, and which of it each range shows.
//
// Every tier's bucket is the step of the range it serves, so a chart point is one stored bucket
// (no resolution is kept that no chart can show):
//
//   tier          bucket   kept   rows per peer   serves
//   raw samples   10 s     2 h    720             "1h":  360 points × 10 s
//   5-minute      5 min    48 h   576             "24h": 288 points × 5 min
//   30-minute     30 min   8 d    384             "7d":  336 points × 30 min
//
// At most 1,680 rows per peer that had traffic counted in the last 8 days (plus the minute of
// samples between two prunes, and one row naming the peer): 200 peers stay under 340,000 rows.
// Each tier keeps about twice what its range shows, so a range is always full even when a rollup
// ran late, and the recent end of the coarse ranges comes from raw samples (see traffic-history.ts).

import type { HistoryRange } from "../admin/admin-api.js";

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** How often the sampler reads the counters (src/jobs/traffic-sampler.ts fires on this). */
export const SAMPLE_INTERVAL_MS = 10 * SECOND_MS;
/** Raw samples are kept this long. */
export const SAMPLES_KEEP_MS = 2 * HOUR_MS;

export interface RollupTier {
  readonly bucketMs: number;
  readonly keepMs: number;
}

export const ROLLUP_TIERS: readonly RollupTier[] = [
  { bucketMs: 5 * MINUTE_MS, keepMs: 48 * HOUR_MS },
  { bucketMs: 30 * MINUTE_MS, keepMs: 8 * DAY_MS },
];

/** What a range shows: `points` buckets of `stepMs`, from raw samples or from a rollup tier. */
export interface RangePlan {
  readonly stepMs: number;
  readonly points: number;
  readonly tier: RollupTier | null; // null: computed from raw samples
}

export const RANGE_PLANS: Readonly<Record<HistoryRange, RangePlan>> = {
  "1h": { stepMs: SAMPLE_INTERVAL_MS, points: 360, tier: null },
  "24h": { stepMs: 5 * MINUTE_MS, points: 288, tier: ROLLUP_TIERS[0]! },
  "7d": { stepMs: 30 * MINUTE_MS, points: 336, tier: ROLLUP_TIERS[1]! },
};

/** The most rows one peer can hold across all tiers right after a prune. */
export const MAX_ROWS_PER_PEER = SAMPLES_KEEP_MS / SAMPLE_INTERVAL_MS + ROLLUP_TIERS.reduce((sum, tier) => sum + tier.keepMs / tier.bucketMs, 0);
