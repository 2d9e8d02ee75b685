// The offloads' log line: silent while the TUN's counters stand still (or the kernel gave no
// offloads), then totals at most once per LINE_INTERVAL_MS, and a last line at shutdown.

import assert from "node:assert/strict";
import { test } from "node:test";
import { LINE_INTERVAL_MS } from "../../src/interface/counts-report.js";
import { createOffloadReport } from "../../src/interface/offload-report.js";
import type { TunStats } from "../../src/io/tun.js";

test("nothing while the counters stand still; a stream gives one line per interval; a last line at shutdown", () => {
  let stats: TunStats = { dropped: 0, superPackets: 0, segmentsCut: 0, coalescedWrites: 0, coalescedPackets: 0 };
  const lines: string[] = [];
  let now = 0;
  const report = createOffloadReport({ name: "wg0", tun: { stats: () => stats }, log: (line) => lines.push(line), now: () => now });
  for (; now < 30_000; now += 1000) report.poll();
  assert.deepEqual(lines, [], "a TUN with nothing through it (or without offloads) logs nothing");

  for (let second = 1; second <= 15; second++, now += 1000) {
    stats = { dropped: second === 15 ? 1 : 0, superPackets: second * 100, segmentsCut: second * 3000, coalescedWrites: second * 40, coalescedPackets: second * 1200 };
    report.poll();
  }
  assert.equal(lines.length, 2, `at most one line per ${LINE_INTERVAL_MS} ms: ${lines.join("\n")}`);
  assert.equal(lines[0], "wg0: offloads: super_packets_read=100 segments_cut=3000 coalesced_writes=40 coalesced_packets=1200 malformed_dropped=0");
  report.flush();
  assert.equal(lines.length, 3);
  assert.equal(lines[2], "wg0: offloads: super_packets_read=1500 segments_cut=45000 coalesced_writes=600 coalesced_packets=18000 malformed_dropped=1");
  report.flush();
  assert.equal(lines.length, 3, "no change, no line");
});
