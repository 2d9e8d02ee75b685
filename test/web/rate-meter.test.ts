import assert from "node:assert/strict";
import { test } from "node:test";
import { createRateMeter, RATE_WINDOW_MS } from "../../web/rate-meter.js";

const peer = (rxBytes: number, txBytes: number) => [{ nodeKey: "k", rxBytes, txBytes }];

test("no rate from one reading, then bytes over time between readings", () => {
  const meter = createRateMeter();
  assert.equal(meter.observe(0, peer(0, 0)).get("k"), null);
  assert.equal(meter.observe(500, peer(100, 100)).get("k"), null, "half a second is too short to say");
  assert.deepEqual(meter.observe(3000, peer(3000, 300)).get("k"), { rxPerSecond: 1000, txPerSecond: 100 });
});

test("the rate covers about the last RATE_WINDOW_MS, not all history", () => {
  const meter = createRateMeter();
  meter.observe(0, peer(0, 0));
  meter.observe(RATE_WINDOW_MS, peer(0, 0)); // idle for the first window
  meter.observe(RATE_WINDOW_MS + 3000, peer(3000, 0));
  const rate = meter.observe(2 * RATE_WINDOW_MS + 1000, peer(11_000, 0)).get("k");
  assert.deepEqual(rate, { rxPerSecond: 1000, txPerSecond: 0 }, "from the reading at the window's edge");
});

test("a counter that went down starts over; a peer gone is forgotten", () => {
  const meter = createRateMeter();
  meter.observe(0, peer(5000, 5000));
  assert.equal(meter.observe(3000, peer(10, 10)).get("k"), null);
  assert.deepEqual(meter.observe(4000, peer(1010, 10)).get("k"), { rxPerSecond: 1000, txPerSecond: 0 });
  meter.observe(5000, []);
  assert.equal(meter.observe(9000, peer(9000, 9000)).get("k"), null);
});
