// Reading iperf3's -J reports (shapes as iperf3 3.12 prints them): TCP Gbit/s received, and
// for UDP the datagrams the server received per second and the loss.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { IperfReportError, parseTcpGbps, parseUdp } from "./iperf.js";

describe("parseTcpGbps", () => {
  test("the receiver's bits per second", () => {
    assert.equal(parseTcpGbps(JSON.stringify({ end: { sum_sent: { bits_per_second: 3e9 }, sum_received: { bits_per_second: 2.5e9, seconds: 3 } } })), 2.5);
  });
  test("a report without it is an error, not NaN", () => {
    assert.throws(() => parseTcpGbps(JSON.stringify({ end: {} })), IperfReportError);
  });
});

describe("parseUdp", () => {
  test("received = sent − lost, per second of the server's run", () => {
    const report = { end: { sum_received: { bits_per_second: 1, seconds: 2, packets: 1000, lost_packets: 250, lost_percent: 25 } } };
    assert.deepEqual(parseUdp(JSON.stringify(report)), { receivedPps: 375, lossPercent: 25 });
  });
  test("falls back to end.sum (iperf3 before sum_received) and computes the loss", () => {
    const report = { end: { sum: { seconds: 1, packets: 200, lost_packets: 50 } } };
    assert.deepEqual(parseUdp(JSON.stringify(report)), { receivedPps: 150, lossPercent: 25 });
  });
  test("a TCP report is an error", () => {
    assert.throws(() => parseUdp(JSON.stringify({ end: { sum_received: { bits_per_second: 1e9, seconds: 3 } } })), IperfReportError);
  });
});
