// Mesh address allocation: inside the pool, never the network or broadcast address, no
// duplicates, IPv6 carrying the IPv4, and a clear error when the pool is full.

import assert from "node:assert/strict";
import { test } from "node:test";
import { AddressPoolExhaustedError, allocateMeshAddresses, generateUlaPrefix, parsePool } from "../../src/mesh/address-allocator.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

test("a small pool fills up exactly, without duplicates, then says it is full", () => {
  const pool = parsePool("100.64.0.0/29", "fd11:2233:4455::/48");
  const random = createSeededRandom(1);
  const taken = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const { ipv4, ipv6 } = allocateMeshAddresses(pool, taken, random);
    assert.ok(!taken.has(ipv4), `duplicate ${ipv4}`);
    assert.match(ipv4, /^100\.64\.0\.[1-6]$/, "inside the pool, not .0 or .7");
    // 100.64.0.n → the low 32 bits 6440:000n of the mesh /48.
    assert.equal(ipv6, `fd11:2233:4455::6440:${ipv4.split(".")[3]}`);
    taken.add(ipv4);
  }
  assert.throws(() => allocateMeshAddresses(pool, taken, random), (error: unknown) => error instanceof AddressPoolExhaustedError && /100\.64\.0\.0\/29 is full/.test(error.message));
});

test("the default pool spreads addresses, the ULA prefix is fd00::/8 with 40 random bits", () => {
  const pool = parsePool("100.64.0.0/10", "fd00:1:2::/48");
  const random = createSeededRandom(2);
  const taken = new Set<string>();
  for (let i = 0; i < 2000; i++) taken.add(allocateMeshAddresses(pool, taken, random).ipv4);
  assert.equal(taken.size, 2000);
  const ula = generateUlaPrefix(createSeededRandom(3));
  assert.equal(ula.address[0], 0xfd);
  assert.equal(ula.cidr, 48);
  assert.notDeepEqual([...ula.address.subarray(1, 6)], [0, 0, 0, 0, 0]);
  assert.throws(() => parsePool("10.0.0.0/31", "fd00::/48"), /IPv4 pool/);
});
