// Traffic history over a real node store, driven by an explicit clock: what each range shows,
// resets, gaps, peers coming and going, rollups, pruning, and the bound on the table size.

import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import type { TrafficHistory } from "../../src/admin/admin-api.js";
import { openNodeStore, type NodeStore } from "../../src/store/node-store.js";
import { createTrafficHistory, type TrafficHistoryService, type TrafficSnapshot } from "../../src/traffic/traffic-history.js";
import { MAX_ROWS_PER_PEER, RANGE_PLANS, ROLLUP_TIERS, SAMPLES_KEEP_MS } from "../../src/traffic/traffic-tiers.js";
import { scratchDirectory } from "../store/scratch-directory.js";

const T0 = Date.UTC(2026, 0, 1); // midnight: a multiple of every bucket size
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const JITTER_MS = 3; // node-cron fires a few ms after each 10 s boundary
const [FIVE_MINUTES, HALF_HOUR] = ROLLUP_TIERS.map((tier) => tier.bucketMs) as [number, number];

function setup(t: TestContext): { store: NodeStore; history: TrafficHistoryService } {
  const store = openNodeStore(join(scratchDirectory(t), "node.db"));
  t.after(() => store.close());
  return { store, history: createTrafficHistory(store) };
}

type Peer = TrafficSnapshot["peers"][number];
const key = (n: number): string => Buffer.alloc(32, n).toString("base64");
// A peer whose counters grow at a steady rate (bytes/s) since `since`.
const steady = (n: number, name: string, rx: number, tx: number, since = T0) => (at: number): Peer => ({
  key: key(n), name, rxBytes: Math.round((rx * (at - since)) / 1000), txBytes: Math.round((tx * (at - since)) / 1000),
});

// Samples every 10 s (plus jitter) from `from` to `to` inclusive, maintaining on the first sample
// of each minute, as src/jobs/traffic-sampler.ts does.
function run(history: TrafficHistoryService, from: number, to: number, peersAt: (at: number) => Peer[]): void {
  let minute: number | null = null;
  for (let tick = from; tick <= to; tick += 10_000) {
    const at = tick + JITTER_MS;
    history.record({ at, peers: peersAt(at) });
    if (Math.floor(at / MINUTE) !== minute) {
      history.maintain(at);
      minute = Math.floor(at / MINUTE);
    }
  }
}

// The value of a series at the bucket starting at `time` (ms).
function at(history: TrafficHistory, series: readonly (number | null)[], time: number): number | null | undefined {
  const index = history.times.indexOf(time / 1000);
  assert.ok(index >= 0, `bucket ${new Date(time).toISOString()} is in the range`);
  return series[index];
}
const peer = (history: TrafficHistory, name: string) => {
  const found = history.peers.find((p) => p.name === name);
  assert.ok(found, `series ${name} (have ${history.peers.map((p) => p.name).join(", ")})`);
  return found;
};
const nonNull = (series: readonly (number | null)[]): number => series.filter((v) => v !== null).length;

describe("traffic history", () => {
  test("the plans: each range's points × step, served by a tier of exactly that bucket", () => {
    assert.deepEqual(Object.entries(RANGE_PLANS).map(([range, plan]) => [range, plan.points, plan.stepMs / 1000, plan.tier?.bucketMs ?? null]), [
      ["1h", 360, 10, null],
      ["24h", 288, 300, 300_000],
      ["7d", 336, 1800, 1_800_000],
    ]);
    for (const plan of Object.values(RANGE_PLANS)) {
      const keep = plan.tier?.keepMs ?? SAMPLES_KEEP_MS;
      assert.ok(keep >= plan.points * plan.stepMs + plan.stepMs, "a tier keeps the whole range");
    }
    assert.equal(MAX_ROWS_PER_PEER, 720 + 576 + 384);
  });

  test("an empty store: every point null, no peers", (t) => {
    const { history } = setup(t);
    for (const range of ["1h", "24h", "7d"] as const) {
      const h = history.history(range, T0);
      assert.equal(h.times.length, RANGE_PLANS[range].points);
      assert.equal(h.times.at(-1), T0 / 1000);
      assert.equal(nonNull(h.total.rx) + nonNull(h.total.tx), 0);
      assert.deepEqual(h.peers, []);
    }
  });

  test("1h: bytes per second per 10 s bucket, bucket starts in seconds, null where nothing was sampled, total = sum", (t) => {
    const { history } = setup(t);
    const alpha = steady(1, "alpha", 1000, 100);
    const beta = steady(2, "beta", 500, 2000);
    run(history, T0, T0 + 30 * MINUTE, (at) => [alpha(at), beta(at)]);
    const now = T0 + 30 * MINUTE + 5_000;
    const h = history.history("1h", now);
    assert.equal(h.range, "1h");
    assert.equal(h.stepSeconds, 10);
    assert.equal(h.times.length, 360);
    assert.equal(h.times.at(-1), (T0 + 30 * MINUTE) / 1000);
    assert.equal(h.times[1]! - h.times[0]!, 10);
    assert.deepEqual(h.peers.map((p) => p.name), ["alpha", "beta"]);
    const a = peer(h, "alpha");
    assert.equal(at(h, a.rx, T0), 1000);
    assert.equal(at(h, a.tx, T0 + 17 * MINUTE), 100);
    assert.equal(at(h, a.rx, T0 + 30 * MINUTE - 10_000), 1000, "the last complete 10 s");
    assert.equal(at(h, a.rx, T0 + 30 * MINUTE), null, "nothing measured yet in the current bucket");
    assert.equal(at(h, a.rx, T0 - 10_000), null, "before the first sample");
    assert.equal(nonNull(a.rx), 180);
    assert.equal(at(h, h.total.rx, T0 + 5 * MINUTE), 1500);
    assert.equal(at(h, h.total.tx, T0 + 5 * MINUTE), 2100);
    assert.equal(at(h, h.total.tx, T0 - 10_000), null);
  });

  test("a counter reset counts from zero (no negative rate, no spike) and a gap stays empty", (t) => {
    const { history } = setup(t);
    // alpha's node restarts at 95 s (its counters start again) and the sampler stops from
    // 200 s to 400 s; beta goes on steadily.
    const beforeRestart = steady(1, "alpha", 1000, 1000);
    const afterRestart = steady(1, "alpha", 1000, 1000, T0 + 95_000);
    const beta = steady(2, "beta", 10, 10);
    const peersAt = (at: number): Peer[] => [at < T0 + 95_000 ? beforeRestart(at) : afterRestart(at), beta(at)];
    run(history, T0, T0 + 190_000, peersAt);
    run(history, T0 + 400_000, T0 + 500_000, peersAt);
    const h = history.history("1h", T0 + 510_000);
    const a = peer(h, "alpha");
    assert.equal(at(h, a.rx, T0 + 80_000), 1000);
    assert.equal(at(h, a.rx, T0 + 90_000), 500.3, "the interval holding the restart counts the 5,003 bytes sent since it");
    assert.equal(at(h, a.rx, T0 + 100_000), 1000);
    for (let time = T0 + 190_000; time < T0 + 400_000; time += 10_000) assert.equal(at(h, a.rx, time), null, `gap at ${(time - T0) / 1000} s`);
    assert.equal(at(h, a.rx, T0 + 400_000), 1000, "after the gap: the steady rate, not the bytes of the gap");
    assert.ok(h.total.rx.every((v) => v === null || v >= 0));
    assert.ok(Math.max(...a.rx.map((v) => v ?? 0)) <= 1000);
  });

  test("peers come and go; one name under two keys is one series, rates added; a renamed peer shows its last name", (t) => {
    const { history } = setup(t);
    const alpha = steady(1, "alpha", 100, 100);
    const rekeyed = steady(3, "alpha", 40, 40); // alpha joined again with a new key, both briefly present
    const beta = steady(2, "beta", 7, 7);
    const renamed = (at: number): Peer => ({ ...steady(4, at < T0 + 300_000 ? "old-name" : "new-name", 1, 1)(at) });
    run(history, T0, T0 + 600_000, (at) => [
      ...(at < T0 + 400_000 ? [alpha(at)] : []),
      ...(at >= T0 + 300_000 ? [rekeyed(at), beta(at)] : []),
      renamed(at),
    ]);
    const h = history.history("1h", T0 + 610_000);
    assert.deepEqual(h.peers.map((p) => p.name), ["alpha", "beta", "new-name"]);
    const a = peer(h, "alpha");
    assert.equal(at(h, a.rx, T0 + 100_000), 100);
    assert.equal(at(h, a.rx, T0 + 350_000), 140, "both keys");
    assert.equal(at(h, a.rx, T0 + 500_000), 40, "the new key alone");
    const b = peer(h, "beta");
    assert.equal(at(h, b.rx, T0 + 100_000), null, "beta before it came");
    assert.equal(at(h, b.tx, T0 + 500_000), 7);
    assert.equal(at(h, peer(h, "new-name").rx, T0 + 100_000), 1, "history from before the rename");
    assert.equal(at(h, h.total.rx, T0 + 350_000), 148);
  });

  test("24h: stored 5-minute buckets (time-weighted averages) and, past the last rollup, raw samples", (t) => {
    const { store, history } = setup(t);
    // alpha: 1,000 B/s for the first 2.5 minutes of every 5, 3,000 B/s for the rest.
    let rx = 0;
    let last = T0;
    const alpha = (at: number): Peer => {
      for (let ms = last; ms < at; ms++) rx += (ms - T0) % FIVE_MINUTES < FIVE_MINUTES / 2 ? 1 : 3;
      last = at;
      return { key: key(1), name: "alpha", rxBytes: rx, txBytes: 0 };
    };
    run(history, T0, T0 + 3 * HOUR, (at) => [alpha(at)]);
    const now = T0 + 3 * HOUR + 5_000;
    const through = store.trafficRolledThrough(FIVE_MINUTES);
    assert.equal(through, T0 + 2 * HOUR + 55 * MINUTE, "rolled up to the last bucket that ended a minute ago");
    const h = history.history("24h", now);
    assert.equal(h.stepSeconds, 300);
    assert.equal(h.times.length, 288);
    const a = peer(h, "alpha");
    assert.equal(nonNull(a.rx), 36);
    // The rate changes mid-interval at 2.5 minutes, so a bucket's own intervals carry a few
    // bytes across its edges: within a fraction of a percent of 2,000.
    for (const rate of a.rx) if (rate !== null) assert.ok(Math.abs(rate - 2000) < 10, `${rate}`);
    assert.deepEqual(store.trafficBuckets(FIVE_MINUTES, T0 + 2 * HOUR + 55 * MINUTE, now), [], "the last bucket is not stored yet");
    assert.notEqual(at(h, a.rx, T0 + 2 * HOUR + 55 * MINUTE), null, "…and comes from the raw samples");
    // The same buckets computed from raw samples (1h range at 10 s, averaged by time) agree.
    const bucket = T0 + 2 * HOUR + 30 * MINUTE;
    const stored = store.trafficBuckets(FIVE_MINUTES, bucket, bucket + FIVE_MINUTES)[0]!;
    const fine = history.history("1h", now);
    const fineRates = peer(fine, "alpha").rx.filter((_, i) => fine.times[i]! * 1000 >= bucket && fine.times[i]! * 1000 < bucket + FIVE_MINUTES);
    assert.equal(fineRates.length, 30);
    const fineAverage = fineRates.reduce<number>((sum, v) => sum + v!, 0) / 30;
    assert.ok(Math.abs((stored.rxBytes * 1000) / stored.spanMs - fineAverage) < 1e-9);
  });

  test("7d from 30-minute buckets; nine days on, every tier is full and none grows past its bound", (t) => {
    const { store, history } = setup(t);
    const peers = [steady(1, "alpha", 1000, 10), steady(2, "beta", 200, 20), steady(3, "gamma", 30, 3)];
    const gone = steady(9, "gone", 5, 5); // only on the first day
    const end = T0 + 9 * DAY;
    // Two samples (one 10 s interval) in every 5 minutes for nine days — enough to fill every
    // bucket of both tiers — then the last 2 h 10 min sampled every 10 s.
    for (let bucket = T0; bucket < end - SAMPLES_KEEP_MS - 10 * MINUTE; bucket += FIVE_MINUTES) {
      for (const offset of [10_000, 20_000]) {
        const at = bucket + offset + JITTER_MS;
        history.record({ at, peers: [...peers.map((p) => p(at)), ...(at < T0 + DAY ? [gone(at)] : [])] });
      }
      history.maintain(bucket + 20_000 + JITTER_MS);
    }
    run(history, end - SAMPLES_KEEP_MS - 10 * MINUTE, end, (at) => peers.map((p) => p(at)));
    const now = end + 5_000;
    history.maintain(now);

    const counts = store.trafficRowCounts();
    assert.equal(counts.peers, 3, "the peer gone for 8 days is gone with its rows");
    const samples = store.trafficSamples(0, now + 1).length;
    const fiveMinute = store.trafficBuckets(FIVE_MINUTES, 0, now + 1).length;
    const halfHour = store.trafficBuckets(HALF_HOUR, 0, now + 1).length;
    t.diagnostic(`3 peers after 9 days: ${samples} samples, ${fiveMinute} 5-minute and ${halfHour} 30-minute buckets; bound ${3 * MAX_ROWS_PER_PEER}`);
    // Full (no bucket missing from what each tier keeps) and within the bound.
    assert.ok(samples >= 3 * 719 && samples <= 3 * 721, `samples: ${samples}`);
    assert.ok(fiveMinute >= 3 * 574 && fiveMinute <= 3 * 577, `5-minute buckets: ${fiveMinute}`);
    assert.ok(halfHour >= 3 * 381 && halfHour <= 3 * 385, `30-minute buckets: ${halfHour}`);
    assert.ok(counts.samples + counts.buckets <= 3 * (MAX_ROWS_PER_PEER + 3));
    assert.ok(store.trafficBuckets(HALF_HOUR, 0, now - 8 * DAY).length === 0, "nothing older than 8 days");

    const week = history.history("7d", now);
    assert.equal(week.stepSeconds, 1800);
    assert.equal(week.times.length, 336);
    assert.deepEqual(week.peers.map((p) => p.name), ["alpha", "beta", "gamma"]);
    // Every half hour of the week has its rate, but the current one (nothing measured in it yet).
    const alpha = peer(week, "alpha");
    assert.deepEqual(alpha.rx, [...new Array<number>(335).fill(1000), null]);
    assert.deepEqual(week.total.tx, [...new Array<number>(335).fill(33), null]);
    const day = history.history("24h", now);
    assert.deepEqual(peer(day, "beta").rx, [...new Array<number>(287).fill(200), null]);
  });

  test("a node off for hours: the minutes before it stopped still reach the rollups", (t) => {
    const { store, history } = setup(t);
    const alpha = steady(1, "alpha", 80, 8);
    run(history, T0, T0 + 40 * MINUTE, (at) => [alpha(at)]);
    assert.equal(store.trafficRolledThrough(HALF_HOUR), T0 + HALF_HOUR, "the half hour from 0:30 was not complete when the node stopped");
    run(history, T0 + 5 * HOUR, T0 + 5 * HOUR + 10 * MINUTE, (at) => [alpha(at)]);
    const week = history.history("7d", T0 + 5 * HOUR + 10 * MINUTE + 5_000);
    const a = peer(week, "alpha");
    assert.equal(at(week, a.rx, T0), 80);
    assert.equal(at(week, a.rx, T0 + HALF_HOUR), 80, "0:30–0:40, sampled before the node stopped");
    assert.equal(at(week, a.rx, T0 + 2 * HOUR), null, "while it was off");
    assert.equal(store.trafficSamples(0, T0 + HOUR).length, 0, "and its raw samples are gone");
  });

  test("a clock that was ahead: its rows are dropped and the rollup starts again from now", (t) => {
    const { store, history } = setup(t);
    const alpha = steady(1, "alpha", 50, 50);
    run(history, T0 + DAY, T0 + DAY + 20 * MINUTE, (at) => [alpha(at)]); // the wrong clock
    assert.ok(store.trafficRolledThrough(FIVE_MINUTES)! > T0 + DAY);
    run(history, T0, T0 + 20 * MINUTE, (at) => [alpha(at)]); // set right
    assert.equal(store.trafficSamples(T0 + DAY - HOUR, T0 + 2 * DAY).length, 0);
    assert.equal(store.trafficBuckets(FIVE_MINUTES, T0 + DAY - HOUR, T0 + 2 * DAY).length, 0);
    assert.equal(store.trafficRolledThrough(FIVE_MINUTES), T0 + 15 * MINUTE);
    const h = history.history("24h", T0 + 20 * MINUTE + 5_000);
    assert.deepEqual(peer(h, "alpha").rx.filter((v) => v !== null), [50, 50, 50, 50]);
  });

  test("record refuses a reading that is not whole milliseconds and byte counts, and stores none of it", (t) => {
    const { store, history } = setup(t);
    const good = steady(1, "alpha", 1, 1)(T0);
    assert.throws(() => history.record({ at: T0 + 0.5, peers: [good] }), /at must be an integer of milliseconds, got 1767225600000.5/);
    assert.throws(() => history.record({ at: T0, peers: [good, { ...good, key: key(2), name: "beta", txBytes: -1 }] }), /peer beta txBytes must be a byte count, got -1/);
    assert.deepEqual(store.trafficRowCounts(), { peers: 0, samples: 0, buckets: 0 });
  });
});
