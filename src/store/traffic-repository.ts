// The node store's traffic history tables (migration 2): raw counter samples, rollup buckets and
// how far each tier is rolled up. What the numbers mean, and when to roll up and prune, is
// src/traffic's business; this file only stores and finds rows. Times are milliseconds since the
// Unix epoch, passed in.
//
// Durability: these writes are statistics, made every 10 s. They commit with synchronous =
// NORMAL instead of the store's FULL: in WAL mode that is still atomic and survives a killed
// process (the WAL is in the page cache), but a power cut may lose the last few samples — and
// the commit does not wait for an fsync, which on an SD card can hold the event loop (and with
// it the packet loop) for tens of milliseconds every 10 s. Every other write keeps FULL.

import type Database from "better-sqlite3";

/** One peer's counters in a sample. */
export interface TrafficPeerSample {
  readonly key: string; // node key (base64)
  readonly name: string;
  readonly rxBytes: number; // cumulative, as the device counts them
  readonly txBytes: number;
}

export interface TrafficSampleRow {
  readonly at: number;
  readonly peerKey: string;
  readonly peerName: string;
  readonly rxBytes: number;
  readonly txBytes: number;
}

/** A bucket to store: the bytes that moved in [start, start + bucketMs) over spanMs of measured time. */
export interface TrafficBucketWrite {
  readonly start: number;
  readonly peerKey: string;
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly spanMs: number;
}

export interface TrafficBucketRow extends TrafficBucketWrite {
  readonly peerName: string;
}

export interface TrafficStore {
  /** Stores every peer's counters at `at` in one transaction (again at the same `at`: replaced); each peer's name becomes the one given. */
  insertTrafficSamples(at: number, peers: readonly TrafficPeerSample[]): void;
  /** Samples with from ≤ at < to, in time order. */
  trafficSamples(from: number, to: number): TrafficSampleRow[];
  /** Stores one tier's buckets (replacing those at the same start and peer) and marks the tier rolled up through `through`, in one transaction. A bucket of a peer the store does not know is skipped. */
  saveTrafficBuckets(bucketMs: number, through: number, buckets: readonly TrafficBucketWrite[]): void;
  /** One tier's buckets with from ≤ start < to, in time order. */
  trafficBuckets(bucketMs: number, from: number, to: number): TrafficBucketRow[];
  /** The end of the tier's last rolled-up bucket; null before the first rollup. */
  trafficRolledThrough(bucketMs: number): number | null;
  /**
   * In one transaction: deletes samples before `samplesFrom`, each listed tier's buckets before
   * its `from`, rows after `until` (taken under a clock that was ahead), and then peers left with
   * no row. Returns how many rows went.
   */
  pruneTraffic(until: number, samplesFrom: number, tiers: readonly { readonly bucketMs: number; readonly from: number }[]): number;
  trafficRowCounts(): { peers: number; samples: number; buckets: number };
}

export function createTrafficRepository(db: Database.Database): TrafficStore {
  const sql = {
    peerUpsert: db.prepare<[string, string]>(`INSERT INTO traffic_peers (key, name) VALUES (?, ?)
      ON CONFLICT (key) DO UPDATE SET name = excluded.name WHERE name IS NOT excluded.name`),
    sampleInsert: db.prepare<[number, number, number, string]>(`INSERT INTO traffic_samples (at, peer_id, rx_bytes, tx_bytes)
      SELECT ?, id, ?, ? FROM traffic_peers WHERE key = ?
      ON CONFLICT (at, peer_id) DO UPDATE SET rx_bytes = excluded.rx_bytes, tx_bytes = excluded.tx_bytes`),
    samples: db.prepare<[number, number], TrafficSampleRow>(`SELECT s.at, p.key AS peerKey, p.name AS peerName, s.rx_bytes AS rxBytes, s.tx_bytes AS txBytes
      FROM traffic_samples s JOIN traffic_peers p ON p.id = s.peer_id WHERE s.at >= ? AND s.at < ? ORDER BY s.at, s.peer_id`),
    bucketUpsert: db.prepare<[number, number, number, number, number, string]>(`INSERT INTO traffic_buckets (bucket_ms, start, peer_id, rx_bytes, tx_bytes, span_ms)
      SELECT ?, ?, id, ?, ?, ? FROM traffic_peers WHERE key = ?
      ON CONFLICT (bucket_ms, start, peer_id) DO UPDATE SET rx_bytes = excluded.rx_bytes, tx_bytes = excluded.tx_bytes, span_ms = excluded.span_ms`),
    buckets: db.prepare<[number, number, number], TrafficBucketRow>(`SELECT b.start, p.key AS peerKey, p.name AS peerName, b.rx_bytes AS rxBytes, b.tx_bytes AS txBytes, b.span_ms AS spanMs
      FROM traffic_buckets b JOIN traffic_peers p ON p.id = b.peer_id WHERE b.bucket_ms = ? AND b.start >= ? AND b.start < ? ORDER BY b.start, b.peer_id`),
    rolledThrough: db.prepare<[number], number>("SELECT through FROM traffic_rollups WHERE bucket_ms = ?").pluck(),
    rolledThroughSet: db.prepare<[number, number]>(`INSERT INTO traffic_rollups (bucket_ms, through) VALUES (?, ?)
      ON CONFLICT (bucket_ms) DO UPDATE SET through = excluded.through`),
    samplesPrune: db.prepare<[number, number]>("DELETE FROM traffic_samples WHERE at < ? OR at > ?"),
    bucketsPrune: db.prepare<[number, number, number]>("DELETE FROM traffic_buckets WHERE bucket_ms = ? AND (start < ? OR start > ?)"),
    peersPrune: db.prepare(`DELETE FROM traffic_peers WHERE id NOT IN (SELECT peer_id FROM traffic_samples)
      AND id NOT IN (SELECT peer_id FROM traffic_buckets)`),
    counts: db.prepare<[], { peers: number; samples: number; buckets: number }>(`SELECT
      (SELECT count(*) FROM traffic_peers) AS peers, (SELECT count(*) FROM traffic_samples) AS samples, (SELECT count(*) FROM traffic_buckets) AS buckets`),
  };

  // Runs `work` in one transaction committed without an fsync (see the top of this file).
  const statisticsWrite = <A extends unknown[], T>(work: (...args: A) => T): ((...args: A) => T) => {
    const transaction = db.transaction(work);
    return (...args) => {
      db.pragma("synchronous = NORMAL");
      try {
        return transaction.immediate(...args);
      } finally {
        db.pragma("synchronous = FULL");
      }
    };
  };

  return {
    insertTrafficSamples: statisticsWrite((at: number, peers: readonly TrafficPeerSample[]) => {
      for (const peer of peers) {
        sql.peerUpsert.run(peer.key, peer.name);
        sql.sampleInsert.run(at, peer.rxBytes, peer.txBytes, peer.key);
      }
    }),
    trafficSamples: (from, to) => sql.samples.all(from, to),
    saveTrafficBuckets: statisticsWrite((bucketMs: number, through: number, buckets: readonly TrafficBucketWrite[]) => {
      for (const bucket of buckets) sql.bucketUpsert.run(bucketMs, bucket.start, bucket.rxBytes, bucket.txBytes, bucket.spanMs, bucket.peerKey);
      sql.rolledThroughSet.run(bucketMs, through);
    }),
    trafficBuckets: (bucketMs, from, to) => sql.buckets.all(bucketMs, from, to),
    trafficRolledThrough: (bucketMs) => sql.rolledThrough.get(bucketMs) ?? null,
    pruneTraffic: statisticsWrite((until: number, samplesFrom: number, tiers: readonly { readonly bucketMs: number; readonly from: number }[]) => {
      let deleted = sql.samplesPrune.run(samplesFrom, until).changes;
      for (const tier of tiers) deleted += sql.bucketsPrune.run(tier.bucketMs, tier.from, until).changes;
      return deleted + sql.peersPrune.run().changes;
    }),
    trafficRowCounts: () => sql.counts.get()!,
  };
}
