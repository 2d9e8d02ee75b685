// The OS randomness source: pooled for small requests, so every length must still come out
// fresh — no two draws alike, nothing repeated when the pool refills.

import assert from "node:assert/strict";
import { test } from "node:test";
import { createSystemRandom } from "../../src/io/system-random.js";

test("small draws come out of the pool fresh and distinct, across refills; large ones bypass it", () => {
  const random = createSystemRandom();
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const bytes = random.bytes(24); // a cookie reply's nonce; 2000 × 24 bytes crosses several refills
    assert.equal(bytes.length, 24);
    seen.add(Buffer.from(bytes).toString("hex"));
  }
  assert.equal(seen.size, 2000);
  const large = random.bytes(10_000);
  assert.equal(large.length, 10_000);
  assert.ok(large.some((byte) => byte !== 0));
  assert.equal(random.bytes(0).length, 0);
  const a = random.bytes(32);
  const b = random.bytes(32);
  assert.notDeepEqual(a, b);
  a.fill(0);
  assert.ok(b.some((byte) => byte !== 0), "draws own their memory");
});
