// The per-source limit under load: wireguard-go's 20/s with a burst of 5, per IPv4 address or
// IPv6 /64, with a bounded table that is pruned at most once a second.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseIpAddress } from "../../src/net/ip-prefix.js";
import {
  createHandshakeRateLimiter,
  HANDSHAKE_BURST,
  HANDSHAKES_PER_SECOND,
  PRUNE_INTERVAL_MS,
  sourceKey,
} from "../../src/wireguard/handshake-rate-limiter.js";

const key = (host: string): string => sourceKey(parseIpAddress(host)!);

test("a burst of 5, then 20 a second", () => {
  const limiter = createHandshakeRateLimiter();
  const source = key("192.0.2.1");
  const decisions = Array.from({ length: HANDSHAKE_BURST + 3 }, () => limiter.allow(1000, source));
  assert.deepEqual(decisions, [...Array(HANDSHAKE_BURST).fill("allowed"), "limited", "limited", "limited"]);
  let allowed = 0;
  for (let t = 1000; t < 11_000; t += 5) if (limiter.allow(t, source) === "allowed") allowed++;
  assert.ok(Math.abs(allowed - 10 * HANDSHAKES_PER_SECOND) <= HANDSHAKE_BURST, `${allowed} in 10 s`);
  assert.equal(limiter.allow(11_000, key("192.0.2.2")), "allowed", "another address has its own bucket");
});

test("an IPv6 /64 is one source; IPv4 addresses are each their own", () => {
  assert.equal(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
  assert.notEqual(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
  assert.notEqual(key("192.0.2.1"), key("192.0.2.2"));
  const limiter = createHandshakeRateLimiter();
  for (let i = 0; i < HANDSHAKE_BURST; i++) assert.equal(limiter.allow(0, key(`2001:db8::${i + 1}`)), "allowed");
  assert.equal(limiter.allow(0, key("2001:db8::99")), "limited", "rotating addresses inside the /64 gains nothing");
});

test("bounded: past maxSources new sources are refused until old ones go idle and are pruned", () => {
  const limiter = createHandshakeRateLimiter(100);
  for (let i = 0; i < 100; i++) assert.equal(limiter.allow(0, `10.0.${i >> 8}.${i & 255}`), "allowed");
  assert.equal(limiter.allow(0, "10.9.9.9"), "full");
  assert.equal(limiter.trackedSources, 100);
  limiter.prune(PRUNE_INTERVAL_MS);
  assert.equal(limiter.trackedSources, 0, "idle buckets are forgotten");
  assert.equal(limiter.allow(PRUNE_INTERVAL_MS, "10.9.9.9"), "allowed");
});

test("pruning walks the table at most once per interval, however often the device ticks", () => {
  const limiter = createHandshakeRateLimiter();
  limiter.prune(0);
  for (let i = 0; i < 1000; i++) limiter.allow(10, `10.1.${i >> 8}.${i & 255}`);
  limiter.prune(900); // every bucket idle by now, but the last walk was < PRUNE_INTERVAL_MS ago
  assert.equal(limiter.trackedSources, 1000);
  limiter.prune(PRUNE_INTERVAL_MS);
  assert.equal(limiter.trackedSources, 0);
});
