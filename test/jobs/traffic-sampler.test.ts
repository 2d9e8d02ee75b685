// The traffic sampler job: each run records a reading, the first of each minute also maintains,
// failures are logged once and never thrown; and on its real schedule it runs until stopped.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startTrafficSampler, TRAFFIC_SAMPLE_SCHEDULE, trafficSamplerTick } from "../../src/jobs/traffic-sampler.js";
import type { TrafficSnapshot } from "../../src/traffic/traffic-history.js";
import { SAMPLE_INTERVAL_MS } from "../../src/traffic/traffic-tiers.js";

const T0 = Date.UTC(2026, 0, 1);

function fakeHistory() {
  const calls: string[] = [];
  let failRecord: Error | null = null;
  let failMaintain: Error | null = null;
  return {
    calls,
    failRecord: (error: Error | null) => void (failRecord = error),
    failMaintain: (error: Error | null) => void (failMaintain = error),
    history: {
      record(snapshot: TrafficSnapshot) {
        if (failRecord !== null) throw failRecord;
        calls.push(`record ${(snapshot.at - T0) / 1000}`);
      },
      maintain(now: number) {
        if (failMaintain !== null) throw failMaintain;
        calls.push(`maintain ${(now - T0) / 1000}`);
        return { bucketsWritten: 0, rowsPruned: 0 };
      },
    },
  };
}

describe("traffic sampler", () => {
  test("the schedule is the sampling interval", () => {
    assert.equal(TRAFFIC_SAMPLE_SCHEDULE, `*/${SAMPLE_INTERVAL_MS / 1000} * * * * *`);
  });

  test("records every run and maintains on the first reading of each minute, at the reading's time", () => {
    const fake = fakeHistory();
    let at = T0 + 3;
    const tick = trafficSamplerTick({ sample: () => ({ at, peers: [] }), history: fake.history, log: () => assert.fail("nothing to log") });
    for (const seconds of [0, 10, 20, 50, 60, 70, 130]) {
      at = T0 + seconds * 1000 + 3;
      tick();
    }
    assert.deepEqual(fake.calls, [
      "record 0.003", "maintain 0.003", "record 10.003", "record 20.003", "record 50.003",
      "record 60.003", "maintain 60.003", "record 70.003", "record 130.003", "maintain 130.003",
    ]);
  });

  test("a failing reading or rollup is logged once (not every 10 s), retried, and its end is logged", () => {
    const fake = fakeHistory();
    const log: string[] = [];
    let at = T0;
    let broken: Error | null = new Error("device gone");
    const tick = trafficSamplerTick({
      sample: () => {
        if (broken !== null) throw broken;
        return { at, peers: [] };
      },
      history: fake.history,
      log: (line) => log.push(line),
    });
    tick();
    tick();
    broken = null;
    fake.failMaintain(new Error("disk full"));
    tick();
    at += 10_000;
    tick();
    fake.failMaintain(null);
    at += 10_000;
    tick();
    at += 10_000;
    tick();
    assert.deepEqual(log, [
      "traffic history: sampling failed: device gone",
      "traffic history: rollup failed: disk full",
      "traffic history: recording again",
    ]);
    assert.deepEqual(fake.calls, ["record 0", "record 10", "record 20", "maintain 20", "record 30"], "the rollup is retried until it succeeds");
  });

  test("on a schedule it runs without overlapping and stops when asked", { timeout: 10_000 }, async () => {
    const fake = fakeHistory();
    let runs = 0;
    const sampler = startTrafficSampler({
      sample: () => ({ at: T0 + ++runs * 1000, peers: [] }),
      history: fake.history,
      log: (line) => assert.fail(line),
      schedule: "* * * * * *", // every second
    });
    const deadline = Date.now() + 5_000;
    while (runs < 2 && Date.now() < deadline) await sleep(50);
    await sampler.stop();
    assert.ok(runs >= 2, `ran ${runs} times`);
    const stoppedAt = runs;
    await sleep(1_500);
    assert.equal(runs, stoppedAt, "no run after stop()");
    assert.equal(fake.calls.filter((call) => call.startsWith("record")).length, runs);
  });
});
