// Traffic history over a store: record the sampler's counter readings, roll them up and prune
// them by age (traffic-tiers.ts), and answer the admin page's ranges as rates. Pure: the store
// comes in, `now` is an argument, and everything runs synchronously (better-sqlite3 is).
//
// 1. record(): every 10 s, each peer's cumulative counters at `at` (one transaction).
// 2. maintain(now): once a minute, each rollup tier gets the buckets that are complete — no
//    interval still to be sampled can land in them, i.e. they ended MAX_INTERVAL_MS before now —
//    computed from the raw samples by the rules of traffic-rates.ts and stored with how far the
//    tier now reaches; then everything older than its tier keeps is deleted.
// 3. history(range, now): the range's buckets, the part its tier has not reached yet computed
//    from the raw samples on the spot, so every range is live up to the last sample.
//
// A chart series is a peer name: two node keys under one name (a machine that joined again with
// a new key) are one line, their rates added.

import type { HistoryRange, TrafficHistory } from "../admin/admin-api.js";
import type { TrafficBucketWrite, TrafficSampleRow, TrafficStore } from "../store/traffic-repository.js";
import { addToBuckets, bucketStart, bytesPerSecond, intervalsOf, MAX_INTERVAL_MS, type BucketTotal } from "./traffic-rates.js";
import { RANGE_PLANS, ROLLUP_TIERS, SAMPLES_KEEP_MS } from "./traffic-tiers.js";

/** What the sampler reads: each peer's cumulative counters at `at` (ms since the Unix epoch). */
export interface TrafficSnapshot {
  readonly at: number;
  readonly peers: readonly { readonly key: string; readonly name: string; readonly rxBytes: number; readonly txBytes: number }[];
}

export interface TrafficHistoryService {
  record(snapshot: TrafficSnapshot): void;
  /** Rolls up what is complete and prunes what is too old; returns the counts, for a log. */
  maintain(now: number): { readonly bucketsWritten: number; readonly rowsPruned: number };
  history(range: HistoryRange, now: number): TrafficHistory;
}

interface PeerBuckets {
  readonly name: string;
  readonly buckets: Map<number, BucketTotal>;
}

export function createTrafficHistory(store: TrafficStore): TrafficHistoryService {
  return {
    record(snapshot) {
      checkSnapshot(snapshot);
      store.insertTrafficSamples(snapshot.at, snapshot.peers);
    },

    maintain(now) {
      let bucketsWritten = 0;
      for (const tier of ROLLUP_TIERS) {
        // From where the tier stopped: samples are pruned only after this, so after any pause
        // (the node was off for a day) the minutes before it still make their buckets. The first
        // time, or when the mark is ahead of `now` (made under a clock that was wrong), from the
        // first bucket whose samples are all still kept.
        const through = store.trafficRolledThrough(tier.bucketMs);
        const from = through === null || through > now ? bucketStart(now - SAMPLES_KEEP_MS, tier.bucketMs) + tier.bucketMs : through;
        const to = bucketStart(now - MAX_INTERVAL_MS, tier.bucketMs);
        if (to <= from) continue;
        const peers = peerBuckets(store.trafficSamples(from - MAX_INTERVAL_MS, to + MAX_INTERVAL_MS), tier.bucketMs, from, to, new Map());
        const writes: TrafficBucketWrite[] = [];
        for (const [peerKey, peer] of peers) {
          for (const [start, total] of peer.buckets) writes.push({ start, peerKey, ...total });
        }
        store.saveTrafficBuckets(tier.bucketMs, to, writes);
        bucketsWritten += writes.length;
      }
      const rowsPruned = store.pruneTraffic(
        now,
        now - SAMPLES_KEEP_MS,
        ROLLUP_TIERS.map((tier) => ({ bucketMs: tier.bucketMs, from: now - tier.keepMs })),
      );
      return { bucketsWritten, rowsPruned };
    },

    history(range, now) {
      const plan = RANGE_PLANS[range];
      const step = plan.stepMs;
      const last = bucketStart(now, step);
      const first = last - (plan.points - 1) * step;
      const end = last + step;
      const peers = new Map<string, PeerBuckets>();
      // The stored part of a rollup tier, then the raw samples from where it stops.
      let rawFrom = first;
      if (plan.tier !== null) {
        const through = store.trafficRolledThrough(plan.tier.bucketMs);
        rawFrom = through === null ? first : Math.min(Math.max(through, first), end);
        for (const row of store.trafficBuckets(plan.tier.bucketMs, first, rawFrom)) {
          peerEntry(peers, row.peerKey, row.peerName).buckets.set(row.start, { rxBytes: row.rxBytes, txBytes: row.txBytes, spanMs: row.spanMs });
        }
      }
      if (rawFrom < end) peerBuckets(store.trafficSamples(rawFrom - MAX_INTERVAL_MS, end + MAX_INTERVAL_MS), step, rawFrom, end, peers);
      return toHistory(range, first, step, plan.points, peers);
    },
  };
}

// Buckets of `sizeMs` with from ≤ start < to, per peer key, from raw samples in time order.
function peerBuckets(rows: readonly TrafficSampleRow[], sizeMs: number, from: number, to: number, into: Map<string, PeerBuckets>): Map<string, PeerBuckets> {
  const byPeer = new Map<string, TrafficSampleRow[]>();
  for (const row of rows) {
    const samples = byPeer.get(row.peerKey);
    if (samples === undefined) byPeer.set(row.peerKey, [row]);
    else samples.push(row);
  }
  for (const [key, samples] of byPeer) {
    for (const [start, total] of addToBuckets(intervalsOf(samples), sizeMs, new Map())) {
      if (start < from || start >= to) continue;
      peerEntry(into, key, samples[0]!.peerName).buckets.set(start, total);
    }
  }
  return into;
}

function peerEntry(peers: Map<string, PeerBuckets>, key: string, name: string): PeerBuckets {
  let entry = peers.get(key);
  if (entry === undefined) {
    entry = { name, buckets: new Map() };
    peers.set(key, entry);
  }
  return entry;
}

type Series = (number | null)[];

function addInto(sum: Series, rates: Series): void {
  rates.forEach((rate, i) => {
    if (rate !== null) sum[i] = (sum[i] ?? 0) + rate;
  });
}

function toHistory(range: HistoryRange, first: number, step: number, points: number, peers: ReadonlyMap<string, PeerBuckets>): TrafficHistory {
  const starts = Array.from({ length: points }, (_, i) => first + i * step);
  const byName = new Map<string, { rx: Series; tx: Series }>();
  const total = { rx: new Array<number | null>(points).fill(null), tx: new Array<number | null>(points).fill(null) };
  for (const peer of peers.values()) {
    const rx = starts.map((start) => rate(peer.buckets.get(start), "rxBytes"));
    const tx = starts.map((start) => rate(peer.buckets.get(start), "txBytes"));
    let series = byName.get(peer.name);
    if (series === undefined) {
      series = { rx: new Array<number | null>(points).fill(null), tx: new Array<number | null>(points).fill(null) };
      byName.set(peer.name, series);
    }
    addInto(series.rx, rx);
    addInto(series.tx, tx);
    addInto(total.rx, rx);
    addInto(total.tx, tx);
  }
  return {
    range,
    stepSeconds: step / 1000,
    times: starts.map((start) => start / 1000),
    total,
    peers: [...byName].sort(([a], [b]) => a.localeCompare(b)).map(([name, series]) => ({ name, ...series })),
  };
}

function rate(bucket: BucketTotal | undefined, direction: "rxBytes" | "txBytes"): number | null {
  return bucket === undefined ? null : bytesPerSecond(bucket[direction], bucket.spanMs);
}

// The sampler is our own code: a wrong reading is a bug to report, not data to store.
function checkSnapshot(snapshot: TrafficSnapshot): void {
  if (!Number.isSafeInteger(snapshot.at)) throw new Error(`traffic sample: at must be an integer of milliseconds, got ${snapshot.at}`);
  for (const peer of snapshot.peers) {
    for (const [field, value] of [["rxBytes", peer.rxBytes], ["txBytes", peer.txBytes]] as const) {
      if (!Number.isSafeInteger(value) || value < 0) throw new Error(`traffic sample: peer ${peer.name} ${field} must be a byte count, got ${value}`);
    }
  }
}
