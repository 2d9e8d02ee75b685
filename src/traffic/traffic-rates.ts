// From cumulative byte counters to rates. The device counts each peer's received and sent bytes
// from the moment the peer was added; a sampler reads those counters every few seconds. Rates
// are the difference between two consecutive samples of one peer over the time between them:
//
// 1. Pair each sample with the one before it (same peer, in time order).
// 2. A pair further apart than MAX_INTERVAL_MS is a gap (the sampler or the node was not
//    running): nobody measured what moved in between, so no rate is made of it; the later
//    sample starts again. A pair with no time between them (or a clock set back) likewise.
// 3. A counter lower than before means the counters were reset (the peer was removed and added
//    again, the node restarted): both count from zero, so the bytes of the interval are the new
//    values themselves. Both directions reset together, so one dropping resets both.
// 4. Each interval belongs to the bucket holding its midpoint: a sampler that fires just after
//    every 10-second boundary puts the interval 10.003 s → 20.002 s in the bucket starting at
//    10 s, however the boundaries jitter.
// 5. A bucket sums the bytes and the measured time of its intervals; its rate is bytes / time,
//    the time-weighted average over what was measured, and no rate at all where nothing was.
//
// Times are milliseconds since the Unix epoch; nothing here reads a clock.

/** Pairs further apart than this are a gap, not an interval: three missed 10 s samples and more. */
export const MAX_INTERVAL_MS = 60_000;

/** One peer's counters at one moment. */
export interface CounterSample {
  readonly at: number;
  readonly rxBytes: number;
  readonly txBytes: number;
}

/** What moved between two samples of one peer: the time (from, to] and the bytes. */
export interface CounterInterval {
  readonly from: number;
  readonly to: number;
  readonly rxBytes: number;
  readonly txBytes: number;
}

/** The bytes that moved in a bucket, and over how much measured time (ms). */
export interface BucketTotal {
  rxBytes: number;
  txBytes: number;
  spanMs: number;
}

/** Steps 1–3: `samples` of one peer, in time order. */
export function intervalsOf(samples: readonly CounterSample[]): CounterInterval[] {
  const intervals: CounterInterval[] = [];
  for (let i = 1; i < samples.length; i++) {
    const before = samples[i - 1]!;
    const after = samples[i]!;
    const span = after.at - before.at;
    if (span <= 0 || span > MAX_INTERVAL_MS) continue;
    const reset = after.rxBytes < before.rxBytes || after.txBytes < before.txBytes;
    intervals.push({
      from: before.at,
      to: after.at,
      rxBytes: reset ? after.rxBytes : after.rxBytes - before.rxBytes,
      txBytes: reset ? after.txBytes : after.txBytes - before.txBytes,
    });
  }
  return intervals;
}

/** The start of the bucket of `sizeMs` holding `time` (buckets are aligned to the epoch). */
export function bucketStart(time: number, sizeMs: number): number {
  return Math.floor(time / sizeMs) * sizeMs;
}

/** Steps 4–5: adds each interval to the bucket of `sizeMs` holding its midpoint, keyed by bucket start. */
export function addToBuckets(intervals: readonly CounterInterval[], sizeMs: number, buckets: Map<number, BucketTotal>): Map<number, BucketTotal> {
  for (const interval of intervals) {
    const start = bucketStart((interval.from + interval.to) / 2, sizeMs);
    const bucket = buckets.get(start);
    const spanMs = interval.to - interval.from;
    if (bucket === undefined) buckets.set(start, { rxBytes: interval.rxBytes, txBytes: interval.txBytes, spanMs });
    else {
      bucket.rxBytes += interval.rxBytes;
      bucket.txBytes += interval.txBytes;
      bucket.spanMs += spanMs;
    }
  }
  return buckets;
}

/** Bytes per second over `spanMs` of measured time. */
export function bytesPerSecond(bytes: number, spanMs: number): number {
  return (bytes * 1000) / spanMs;
}
