// Telling the protocols on one UDP socket apart by their first bytes.

import assert from "node:assert/strict";
import { test } from "node:test";
import { classifyDatagram, DISCO_MAGIC, UDP_RELAY_MAGIC } from "../../src/nat/demux.js";

const withPrefix = (prefix: readonly number[], length: number): Uint8Array => {
  const bytes = new Uint8Array(length);
  bytes.set(prefix);
  return bytes;
};

test("each protocol by its first bytes", () => {
  for (const type of [1, 2, 3, 4]) assert.equal(classifyDatagram(withPrefix([type, 0, 0, 0], 148)), "wireguard", `type ${type}`);
  // RFC 5769 §2.1's request header: binding request, length 0x58, magic cookie.
  assert.equal(classifyDatagram(withPrefix([0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42], 108)), "stun");
  assert.equal(classifyDatagram(withPrefix([...DISCO_MAGIC, 1], 80)), "disco");
  assert.equal(classifyDatagram(withPrefix([...UDP_RELAY_MAGIC, 1], 40)), "relay");
});

test("near misses are unknown, never thrown", () => {
  const cases: [string, Uint8Array][] = [
    ["a WireGuard type with a non-zero reserved byte", withPrefix([4, 0, 1, 0], 64)],
    ["type 5", withPrefix([5, 0, 0, 0], 64)],
    ["a WireGuard header too short to be a message", withPrefix([4, 0, 0, 0], 31)],
    ["STUN's cookie but a top bit set", withPrefix([0x40, 0x01, 0, 0, 0x21, 0x12, 0xa4, 0x42], 20)],
    ["STUN shorter than its header", withPrefix([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42], 19)],
    ["half a magic", withPrefix([0x6d, 0x67, 0xd1], 3)],
    ["empty", new Uint8Array(0)],
  ];
  for (const [what, bytes] of cases) assert.equal(classifyDatagram(bytes), "unknown", what);
});

test("a slot inside a larger buffer is classified in place", () => {
  const arena = new Uint8Array(4096);
  arena.set(DISCO_MAGIC, 2048);
  assert.equal(classifyDatagram(arena, 2048, 100), "disco");
  assert.equal(classifyDatagram(arena, 2048, 3), "unknown", "the length counts, not the buffer");
});
