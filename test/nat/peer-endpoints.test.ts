// The per-peer endpoints the path layer gives the device.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseIpAddress } from "../../src/net/ip-prefix.js";
import { createPeerEndpoints } from "../../src/nat/peer-endpoints.js";

test("one stable endpoint per peer, in the discard-only prefix, recognised by identity only", () => {
  const endpoints = createPeerEndpoints();
  const a = endpoints.of("A");
  assert.equal(endpoints.of("A"), a, "stable");
  const b = endpoints.of("B");
  assert.notEqual(a.host, b.host);
  for (const endpoint of [a, b]) {
    const address = parseIpAddress(endpoint.host)!;
    assert.equal(address.family, 6);
    assert.deepEqual([...address.bytes.subarray(0, 8)], [0x01, 0, 0, 0, 0, 0, 0, 0], "100::/64 (RFC 6666)");
  }
  assert.equal(endpoints.peerOf(a), "A");
  assert.equal(endpoints.peerOf({ ...a }), null, "an equal copy is not ours");
  endpoints.forget("A");
  assert.equal(endpoints.peerOf(a), null);
  assert.notEqual(endpoints.of("A").host, a.host, "numbers are not reused");
});
