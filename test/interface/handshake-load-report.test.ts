// The handshake-load log line: silent until something changes, then at most one line per
// LINE_INTERVAL_MS however fast the counts move, and a last line at shutdown.

import assert from "node:assert/strict";
import { test } from "node:test";
import { LINE_INTERVAL_MS } from "../../src/interface/counts-report.js";
import { createHandshakeLoadReport } from "../../src/interface/handshake-load-report.js";
import type { HandshakeLoad } from "../../src/wireguard/device.js";

function fakeDevice() {
  const state = { load: { underLoad: false, queued: 0, cookieRepliesSent: 0, cookieRepliesConsumed: 0, validMac2: 0 } as HandshakeLoad, drops: {} as Record<string, number> };
  return { state, device: { handshakeLoad: () => state.load, drops: () => state.drops } };
}

test("nothing while nothing happens; a flood gives one line per interval with totals; a last line at shutdown", () => {
  const { state, device } = fakeDevice();
  const lines: string[] = [];
  let now = 0;
  const report = createHandshakeLoadReport({ name: "wg0", device, log: (line) => lines.push(line), now: () => now });
  for (; now < 60_000; now += 1000) report.poll();
  assert.deepEqual(lines, [], "a quiet device logs nothing");

  // a flood: counts change every second for 25 s
  for (let second = 1; second <= 25; second++, now += 1000) {
    state.load = { underLoad: true, queued: 3, cookieRepliesSent: second * 20_000, cookieRepliesConsumed: 0, validMac2: 0 };
    state.drops = { handshakeQueueFull: second * 10, rateLimited: 2, badMac1: 1 };
    report.poll();
  }
  assert.equal(lines.length, 3, `at most one line per ${LINE_INTERVAL_MS} ms: ${lines.join("\n")}`);
  assert.equal(
    lines[0],
    "wg0: handshake load: under_load=yes queued=3 cookie_replies_sent=20000 cookie_replies_received=0 valid_mac2=0 queue_full=10 rate_limited=2 limiter_full=0 bad_mac1=1",
  );
  report.flush();
  assert.equal(lines.length, 4);
  assert.match(lines[3]!, /cookie_replies_sent=500000 .* queue_full=250 /);
  report.flush();
  assert.equal(lines.length, 4, "no change, no line");
});

test("the first change after a quiet spell is logged at the next poll", () => {
  const { state, device } = fakeDevice();
  const lines: string[] = [];
  const report = createHandshakeLoadReport({ name: "wg0", device, log: (line) => lines.push(line), now: () => 5 });
  state.load = { ...state.load, cookieRepliesConsumed: 1 };
  report.poll();
  assert.match(lines[0] ?? "", /cookie_replies_received=1/);
});
