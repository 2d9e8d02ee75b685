// Forgery resistance: any single flipped bit in ciphertext, tag or AAD, a wrong key or a wrong
// nonce makes open fail, and a failed open leaves the ciphertext in place (no plaintext is
// released, not even partially).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CoreStatus } from "../../src/dataplane/core-status.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { assertBytesEqual, createAllCryptoCores, transportNonce } from "./crypto-cores.js";

const LENGTHS = [0, 1, 17, 64, 300, 1420];

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >>> 3]! ^= 1 << (bit & 7);
  return copy;
}

for (const core of createAllCryptoCores()) {
  describe(`tampering is detected (${core.variant} build)`, () => {
    const random = createSeededRandom(0x7a3);
    const key = random.bytes(32);
    const nonce = random.bytes(12);
    const aad = random.bytes(13);

    test("every single-bit flip in ciphertext or tag fails to open", () => {
      for (const length of LENGTHS) {
        const sealed = core.seal(key, nonce, random.bytes(length), aad);
        for (let bit = 0; bit < sealed.length * 8; bit++) {
          assert.equal(core.open(key, nonce, flipBit(sealed, bit), aad), null, `length ${length}, bit ${bit}`);
        }
      }
    });

    test("every single-bit flip in the AAD fails to open", () => {
      const sealed = core.seal(key, nonce, random.bytes(100), aad);
      for (let bit = 0; bit < aad.length * 8; bit++) {
        assert.equal(core.open(key, nonce, sealed, flipBit(aad, bit)), null, `aad bit ${bit}`);
      }
    });

    test("truncated, extended or empty messages fail to open", () => {
      const sealed = core.seal(key, nonce, random.bytes(64), aad);
      assert.equal(core.open(key, nonce, sealed.subarray(0, sealed.length - 1), aad), null);
      assert.equal(core.open(key, nonce, Uint8Array.from([...sealed, 0]), aad), null);
      assert.equal(core.open(key, nonce, new Uint8Array(15), aad), null);
      assert.equal(core.open(key, nonce, new Uint8Array(0), aad), null);
    });

    test("wrong key, wrong nonce and wrong counter fail to open", () => {
      const plaintext = random.bytes(200);
      const sealed = core.seal(key, nonce, plaintext, aad);
      assert.equal(core.open(flipBit(key, 0), nonce, sealed, aad), null);
      assert.equal(core.open(key, flipBit(nonce, 95), sealed, aad), null);
      assert.equal(core.open(key, nonce, sealed, new Uint8Array(0)), null);
      assertBytesEqual(core.open(key, nonce, sealed, aad), plaintext, "the untouched message still opens");

      const slot = 7;
      core.keys.set(slot, key);
      const { batch } = core;
      const counterSealed = core.seal(key, transportNonce(41), plaintext);
      batch.arena.set(counterSealed, 0);
      batch.describe(0, slot, 42, 0, counterSealed.length);
      assert.equal(batch.open(1), 0, "counter 42 must not open a message sealed with counter 41");
      assertBytesEqual(batch.arena.subarray(0, counterSealed.length), counterSealed, "no plaintext released");
      core.keys.clear(slot);
    });

    test("a failed batch open leaves every byte of the ciphertext in place", () => {
      const slot = 9;
      core.keys.set(slot, key);
      const { batch } = core;
      for (const length of LENGTHS) {
        const forged = flipBit(core.seal(key, transportNonce(5), random.bytes(length)), length * 8 + 3);
        batch.arena.set(forged, 1000);
        batch.describe(0, slot, 5, 1000, forged.length);
        assert.equal(batch.open(1), 0);
        assert.equal(batch.status(0), CoreStatus.authFailed);
        assertBytesEqual(batch.arena.subarray(1000, 1000 + forged.length), forged, `length ${length}`);
      }
      core.keys.clear(slot);
    });
  });
}
