// When the device is under load (whitepaper §5.3): too many handshake messages a second, or a
// handshake queue 1/8 full; either holds for UNDER_LOAD_HOLD_MS.

import assert from "node:assert/strict";
import { test } from "node:test";
import { createLoadMeter, UNDER_LOAD_HOLD_MS } from "../../src/wireguard/load-meter.js";

test("the message rate: under load from the threshold-th message in a second, for a second after", () => {
  const meter = createLoadMeter({ handshakesPerSecond: 10, queuedThreshold: 128 });
  for (let i = 0; i < 9; i++) assert.equal(meter.record(i * 10, 0), false, `message ${i + 1}`);
  assert.equal(meter.record(95, 0), true, "the 10th message in the window");
  assert.equal(meter.underLoad(95 + UNDER_LOAD_HOLD_MS - 1), true, "held");
  assert.equal(meter.underLoad(95 + UNDER_LOAD_HOLD_MS), false, "released");
  // a slow trickle never gets there
  const slow = createLoadMeter({ handshakesPerSecond: 10, queuedThreshold: 128 });
  for (let t = 0; t < 60_000; t += 200) assert.equal(slow.record(t, 0), false);
});

test("the queue: at least 1/8 full puts the device under load even at a low message rate", () => {
  const meter = createLoadMeter({ handshakesPerSecond: 1_000_000, queuedThreshold: 128 });
  assert.equal(meter.record(0, 127), false);
  assert.equal(meter.record(1, 128), true);
  assert.equal(meter.record(500, 0), true, "held after the queue drained");
  assert.equal(meter.record(1001, 0), false);
});

test("a pause does not switch it off early: every new trigger extends the hold", () => {
  const meter = createLoadMeter({ handshakesPerSecond: 2, queuedThreshold: 128 });
  meter.record(0, 0);
  meter.record(1, 0);
  meter.record(1500, 0);
  assert.equal(meter.record(1600, 0), true, "a new window reached the threshold");
  assert.equal(meter.underLoad(2500), true);
  assert.equal(meter.underLoad(2600), false);
});
