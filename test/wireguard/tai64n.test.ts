// TAI64N (whitepaper §5.4.2): known encodings, whitening as wireguard-go does it, ordering.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compareTai64n, tai64n, TAI64N_BYTES } from "../../src/wireguard/tai64n.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

// 2^24 ns: the whitening step, ≈16.78 ms.
const WHITENING_STEP_NS = 16_777_216;

describe("tai64n", () => {
  test("known encodings: seconds + 2^62 + 10, then whitened nanoseconds, big-endian", () => {
    const cases: [string, number, string][] = [
      ["Unix epoch", 0, "400000000000000a" + "00000000"],
      ["2020-01-01T00:00:00.500Z", Date.UTC(2020, 0, 1, 0, 0, 0, 500), "400000005e0be10a" + "1d000000"],
      ["2038-01-19T03:14:08.123Z (past 2^31 s)", Date.UTC(2038, 0, 19, 3, 14, 8, 123), "400000008000000a" + "07000000"],
      ["one millisecond before the epoch", -1, "4000000000000009" + "3b000000"],
    ];
    for (const [name, wallClockMs, expected] of cases) {
      const timestamp = tai64n(wallClockMs);
      assert.equal(timestamp.length, TAI64N_BYTES, name);
      assert.equal(toHex(timestamp), expected, name);
    }
  });

  test("whitening: nanoseconds are rounded down to a multiple of 2^24", () => {
    const random = createSeededRandom(64);
    for (let i = 0; i < 1000; i++) {
      const wallClockMs = 1_700_000_000_000 + random.below(10 ** 9) + random.below(1000) / 1000;
      const nanoseconds = new DataView(tai64n(wallClockMs).buffer).getUint32(8);
      const exact = Math.round((wallClockMs % 1000) * 1e6);
      assert.equal(nanoseconds % WHITENING_STEP_NS, 0, `at ${wallClockMs}`);
      assert.ok(nanoseconds <= exact && exact - nanoseconds < WHITENING_STEP_NS + 1, `at ${wallClockMs}`);
    }
  });

  test("whitening: the same stamp within one 2^24 ns step, the next one after it", () => {
    const second = Date.UTC(2024, 5, 1, 12, 0, 0);
    assert.equal(toHex(tai64n(second + 16)), toHex(tai64n(second)));
    assert.equal(compareTai64n(tai64n(second + 17), tai64n(second)), 1);
    assert.equal(toHex(tai64n(second + 999)), toHex(tai64n(second + 990)));
    assert.equal(compareTai64n(tai64n(second + 1000), tai64n(second + 999)), 1);
  });

  test("monotonic: later times never stamp earlier, and 17 ms later always stamps later", () => {
    const random = createSeededRandom(96);
    let wallClockMs = Date.UTC(2025, 0, 1);
    let previous = tai64n(wallClockMs);
    for (let i = 0; i < 2000; i++) {
      const step = random.below(40);
      wallClockMs += step;
      const current = tai64n(wallClockMs);
      const order = compareTai64n(current, previous);
      assert.ok(order >= 0, `went back at ${wallClockMs}`);
      if (step >= 17) assert.equal(order, 1, `did not advance at ${wallClockMs}`);
      previous = current;
    }
  });

  test("wall clocks that are not finite or beyond a Date's range throw a RangeError", () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -Infinity, 8.64e15 + 1, -8.64e15 - 1]) {
      assert.throws(() => tai64n(bad), { name: "RangeError", message: /wallClockMs/ });
    }
  });
});

describe("compareTai64n", () => {
  test("byte-wise big-endian order: −1, 0, 1", () => {
    const a = tai64n(1_000);
    const later = [tai64n(1_020), tai64n(2_000), tai64n(1e13)];
    assert.equal(compareTai64n(a, a.slice()), 0);
    for (const b of later) {
      assert.equal(compareTai64n(a, b), -1);
      assert.equal(compareTai64n(b, a), 1);
    }
    const lastByte = new Uint8Array(TAI64N_BYTES);
    const firstByte = new Uint8Array(TAI64N_BYTES);
    lastByte[11] = 0xff;
    firstByte[0] = 0x01;
    assert.equal(compareTai64n(lastByte, firstByte), -1);
  });

  test("lengths other than 12 throw a RangeError naming the argument", () => {
    assert.throws(() => compareTai64n(new Uint8Array(11), tai64n(0)), { name: "RangeError", message: /\ba\b/ });
    assert.throws(() => compareTai64n(tai64n(0), new Uint8Array(13)), { name: "RangeError", message: /\bb\b/ });
  });
});
