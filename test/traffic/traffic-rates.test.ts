// Counters to rates: consecutive samples, resets, gaps, and buckets by midpoint.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { addToBuckets, bucketStart, bytesPerSecond, intervalsOf, MAX_INTERVAL_MS, type BucketTotal, type CounterSample } from "../../src/traffic/traffic-rates.js";

const T0 = Date.UTC(2026, 0, 1); // a multiple of every bucket size
const s = (seconds: number, rxBytes: number, txBytes: number): CounterSample => ({ at: T0 + Math.round(seconds * 1000), rxBytes, txBytes });

describe("intervalsOf", () => {
  const cases: { name: string; samples: CounterSample[]; expected: [number, number, number, number][] }[] = [
    { name: "no sample, one sample: nothing measured", samples: [s(0, 5, 5)], expected: [] },
    { name: "counters going up", samples: [s(0, 100, 10), s(10, 1100, 30), s(20, 1100, 30)], expected: [[0, 10, 1000, 20], [10, 20, 0, 0]] },
    { name: "a drop is a reset: the new values count from zero", samples: [s(0, 5000, 900), s(10, 300, 40)], expected: [[0, 10, 300, 40]] },
    { name: "one counter dropping resets both", samples: [s(0, 5000, 10), s(10, 200, 25), s(20, 210, 30), s(30, 240, 2)], expected: [[0, 10, 200, 25], [10, 20, 10, 5], [20, 30, 240, 2]] },
    { name: "a reset to zero on an idle peer", samples: [s(0, 50, 50), s(10, 0, 0), s(20, 70, 7)], expected: [[0, 10, 0, 0], [10, 20, 70, 7]] },
    {
      name: "a gap longer than MAX_INTERVAL_MS is not an interval; the next pair starts again",
      samples: [s(0, 0, 0), s(10, 100, 100), s(10 + MAX_INTERVAL_MS / 1000 + 1, 9_000_000, 9_000_000), s(81, 9_000_500, 9_000_050)],
      expected: [[0, 10, 100, 100], [71, 81, 500, 50]],
    },
    { name: "exactly MAX_INTERVAL_MS apart is still an interval", samples: [s(0, 0, 0), s(MAX_INTERVAL_MS / 1000, 600, 60)], expected: [[0, 60, 600, 60]] },
    { name: "no time between two samples (or a clock set back): no interval", samples: [s(10, 0, 0), s(10, 50, 50), s(5, 80, 80), s(15, 100, 90)], expected: [[5, 15, 20, 10]] },
  ];
  for (const { name, samples, expected } of cases) {
    test(name, () => {
      const got = intervalsOf(samples).map((i) => [(i.from - T0) / 1000, (i.to - T0) / 1000, i.rxBytes, i.txBytes]);
      assert.deepEqual(got, expected);
    });
  }
});

describe("buckets", () => {
  test("bucketStart aligns to the epoch", () => {
    assert.equal(bucketStart(T0 + 19_999, 10_000), T0 + 10_000);
    assert.equal(bucketStart(T0 + 20_000, 10_000), T0 + 20_000);
    assert.equal(bucketStart(T0 + 299_999, 300_000), T0);
  });

  test("an interval lands in the bucket of its midpoint, whatever the jitter at the boundaries", () => {
    // A sampler firing just after each boundary, a few ms late, sometimes a second late.
    const samples = [s(10.003, 0, 0), s(20.001, 1000, 100), s(31.2, 2200, 220), s(40.002, 3100, 310)];
    const buckets = addToBuckets(intervalsOf(samples), 10_000, new Map());
    assert.deepEqual([...buckets.keys()].map((start) => (start - T0) / 1000), [10, 20, 30]);
    assert.deepEqual(buckets.get(T0 + 10_000), { rxBytes: 1000, txBytes: 100, spanMs: 9998 });
  });

  test("intervals in one bucket add up: the rate is bytes over measured time", () => {
    const samples = [s(0, 0, 0), s(10, 1000, 0), s(20, 1000, 0), s(30, 4000, 0), s(40, 4000, 0), s(50, 4000, 0)];
    const buckets = addToBuckets(intervalsOf(samples), 60_000, new Map<number, BucketTotal>());
    const minute = buckets.get(T0)!;
    assert.deepEqual(minute, { rxBytes: 4000, txBytes: 0, spanMs: 50_000 });
    assert.equal(bytesPerSecond(minute.rxBytes, minute.spanMs), 80);
  });

  test("a bucket with only a gap has no entry at all (no rate, not zero)", () => {
    const samples = [s(0, 0, 0), s(10, 10, 10), s(300, 5000, 5000), s(310, 5010, 5010)];
    const buckets = addToBuckets(intervalsOf(samples), 60_000, new Map());
    assert.deepEqual([...buckets.keys()].map((start) => (start - T0) / 1000), [0, 300]);
  });
});
