// The batch API: a batch of mixed sizes gives byte-identical results to one-by-one calls, a bad
// descriptor fails alone with the right status, and bad counts are refused.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CoreStatus, coreStatusName } from "../../src/dataplane/core-status.js";
import { CryptoArgumentError } from "../../src/dataplane/errors.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { createAllCryptoCores, transportNonce } from "./crypto-cores.js";

const SIZES = [0, 1, 15, 16, 17, 63, 64, 65, 191, 192, 193, 255, 256, 257, 1420, 1500, 8192, 65_535];

for (const core of createAllCryptoCores()) {
  const { batch, keys } = core;

  describe(`AEAD batch (${core.variant} build)`, () => {
    const random = createSeededRandom(0xba7c);
    const slotKeys = [random.bytes(32), random.bytes(32), random.bytes(32)];
    slotKeys.forEach((key, slot) => keys.set(100 + slot, key));

    test("a batch of mixed sizes matches one-by-one seals, and opens back", () => {
      const messages = SIZES.map((size, index) => ({
        plaintext: random.bytes(size),
        slot: 100 + (index % slotKeys.length),
        counter: index === 0 ? 2 ** 40 + 3 : random.below(1_000_000),
        offset: index * batch.arenaSlotBytes + (index % 4), // unaligned on purpose
      }));
      messages.forEach((m, index) => {
        batch.arena.set(m.plaintext, m.offset);
        batch.describe(index, m.slot, m.counter, m.offset, m.plaintext.length);
      });
      assert.equal(batch.seal(messages.length), messages.length);
      messages.forEach((m, index) => {
        assert.equal(batch.status(index), CoreStatus.ok);
        const expected = core.seal(slotKeys[m.slot - 100]!, transportNonce(m.counter), m.plaintext);
        const actual = batch.arena.subarray(m.offset, m.offset + expected.length);
        assert.ok(Buffer.from(expected).equals(actual), `message ${index} (${m.plaintext.length} bytes) differs`);
        batch.describe(index, m.slot, m.counter, m.offset, expected.length);
      });
      assert.equal(batch.open(messages.length), messages.length);
      messages.forEach((m, index) => {
        assert.equal(batch.status(index), CoreStatus.ok);
        const opened = batch.arena.subarray(m.offset, m.offset + m.plaintext.length);
        assert.ok(Buffer.from(m.plaintext).equals(opened), `message ${index} did not open back`);
      });
    });

    test("a message whose ciphertext or tag was changed fails authentication and is left exactly as it came", () => {
      // The SIMD build decrypts while it MACs and must put the ciphertext back on a mismatch.
      const messages = SIZES.map((size, index) => {
        const plaintext = random.bytes(size);
        const offset = index * batch.arenaSlotBytes + 3;
        const sealed = core.seal(slotKeys[0]!, transportNonce(index), plaintext);
        const forged = sealed.slice();
        const flip = size === 0 ? 0 : random.below(sealed.length); // a tag byte when there is no ciphertext
        forged[flip] = forged[flip]! ^ (1 << random.below(8));
        batch.arena.set(forged, offset);
        batch.describe(index, 100, index, offset, forged.length);
        return { offset, forged };
      });
      assert.equal(batch.open(messages.length), 0);
      messages.forEach((m, index) => {
        assert.equal(batch.status(index), CoreStatus.authFailed, `message ${index}`);
        const after = batch.arena.subarray(m.offset, m.offset + m.forged.length);
        assert.ok(Buffer.from(m.forged).equals(after), `message ${index} (${m.forged.length - 16} bytes) was changed by the failed open`);
      });
    });

    test("each bad descriptor fails alone with its own status", () => {
      const arenaEnd = batch.arena.length;
      const good = random.bytes(100);
      const cases: { name: string; slot: number; offset: number; length: number; expect: number }[] = [
        { name: "good", slot: 100, offset: 0, length: good.length, expect: CoreStatus.ok },
        { name: "slot out of range", slot: keys.count, offset: 0, length: 10, expect: CoreStatus.badKeySlot },
        { name: "huge slot", slot: 0xffff_ffff, offset: 0, length: 10, expect: CoreStatus.badKeySlot },
        { name: "empty slot", slot: 4000, offset: 0, length: 10, expect: CoreStatus.noKey },
        { name: "message too long", slot: 100, offset: 0, length: 65_536, expect: CoreStatus.badLength },
        { name: "length 2^32-1", slot: 100, offset: 0, length: 0xffff_ffff, expect: CoreStatus.badLength },
        { name: "tag past the arena", slot: 100, offset: arenaEnd - 20, length: 10, expect: CoreStatus.outOfBounds },
        { name: "offset 2^32-1", slot: 100, offset: 0xffff_ffff, length: 1, expect: CoreStatus.outOfBounds },
        { name: "exactly fits", slot: 100, offset: arenaEnd - 26, length: 10, expect: CoreStatus.ok },
      ];
      batch.arena.set(good, 0);
      cases.forEach((c, index) => batch.describe(index, c.slot, 1, c.offset, c.length));
      const expectedOk = cases.filter((c) => c.expect === CoreStatus.ok).length;
      assert.equal(batch.seal(cases.length), expectedOk);
      cases.forEach((c, index) =>
        assert.equal(coreStatusName(batch.status(index)), coreStatusName(c.expect), c.name),
      );
      const sealedGood = core.seal(slotKeys[0]!, transportNonce(1), good);
      assert.ok(Buffer.from(sealedGood).equals(batch.arena.subarray(0, sealedGood.length)), "good message sealed");
    });

    test("open refuses messages shorter than a tag and longer than the largest", () => {
      const cases = [
        { length: 0, expect: CoreStatus.badLength },
        { length: 15, expect: CoreStatus.badLength },
        { length: 65_535 + 17, expect: CoreStatus.badLength },
        { length: 16, expect: CoreStatus.authFailed },
      ];
      cases.forEach((c, index) => batch.describe(index, 100, 0, 0, c.length));
      assert.equal(batch.open(cases.length), 0);
      cases.forEach((c, index) => assert.equal(batch.status(index), c.expect, `length ${c.length}`));
    });

    test("an empty batch does nothing; counts outside 0..capacity throw", () => {
      assert.equal(batch.seal(0), 0);
      for (const count of [-1, batch.capacity + 1, 1.5, Number.NaN]) {
        assert.throws(() => batch.seal(count), CryptoArgumentError);
        assert.throws(() => batch.open(count), CryptoArgumentError);
      }
      assert.throws(() => batch.describe(batch.capacity, 100, 0, 0, 0), CryptoArgumentError);
      assert.throws(() => batch.describe(0, 100, -1, 0, 0), CryptoArgumentError);
    });
  });
}
