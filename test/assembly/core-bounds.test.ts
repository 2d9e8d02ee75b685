// The WASM core's own contract, below the TypeScript bridge: every export called with
// arguments out of range returns an error status and never traps, and batch descriptors that
// point anywhere cannot make it touch memory outside the arena.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BATCH_MAX_SLOTS,
  DESCRIPTOR_BYTES,
  KEY_SLOT_COUNT,
  MAX_AAD_BYTES,
  MAX_MESSAGE_BYTES,
  STATUS_BAD_KEY_SLOT,
  STATUS_BAD_LENGTH,
  STATUS_OK,
} from "../../assembly/abi.js";
import { instantiateCore } from "../../src/dataplane/core-exports.js";
import { compileCryptoWasm, CRYPTO_WASM_VARIANTS } from "../../src/dataplane/crypto-wasm.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

for (const variant of CRYPTO_WASM_VARIANTS) {
  describe(`core exports reject bad arguments without trapping (${variant} build)`, () => {
    const { functions: f, views } = instantiateCore(compileCryptoWasm(variant).module);

    test("one-shot lengths out of range return STATUS_BAD_LENGTH", () => {
      const badPairs = [
        [-1, 0], [0, -1], [MAX_AAD_BYTES + 1, 0], [0, MAX_MESSAGE_BYTES + 1], [I32_MIN, I32_MIN],
        [I32_MAX, I32_MAX], [0, I32_MAX],
      ] as const;
      for (const [aad, length] of badPairs) {
        for (const call of [f.aeadSeal, f.xaeadSeal]) assert.equal(call(aad, length), STATUS_BAD_LENGTH, `${aad},${length}`);
      }
      for (const sealed of [-1, 0, 15, MAX_MESSAGE_BYTES + 17, I32_MIN, I32_MAX]) {
        assert.equal(f.aeadOpen(0, sealed), STATUS_BAD_LENGTH, `open ${sealed}`);
        assert.equal(f.xaeadOpen(0, sealed), STATUS_BAD_LENGTH, `xopen ${sealed}`);
      }
      for (const length of [-1, I32_MIN, MAX_MESSAGE_BYTES + 17, I32_MAX]) {
        assert.equal(f.chacha20(0, length), STATUS_BAD_LENGTH);
        assert.equal(f.poly1305(length), STATUS_BAD_LENGTH);
      }
      assert.equal(f.aeadSeal(MAX_AAD_BYTES, MAX_MESSAGE_BYTES), STATUS_OK, "the largest lengths are fine");
    });

    test("key slot indices out of range return STATUS_BAD_KEY_SLOT and wipe staging", () => {
      for (const slot of [-1, KEY_SLOT_COUNT, I32_MIN, I32_MAX]) {
        views.keyStaging.fill(0xaa);
        assert.equal(f.keySlotSet(slot), STATUS_BAD_KEY_SLOT);
        assert.ok(views.keyStaging.every((b) => b === 0), "staging wiped");
        assert.equal(f.keySlotClear(slot), STATUS_BAD_KEY_SLOT);
      }
    });

    test("batch counts out of range are refused before any descriptor is touched", () => {
      views.descriptors.fill(0x5a);
      for (const count of [-1, BATCH_MAX_SLOTS + 1, I32_MIN, I32_MAX]) {
        assert.equal(f.sealBatch(count), -STATUS_BAD_LENGTH);
        assert.equal(f.openBatch(count), -STATUS_BAD_LENGTH);
      }
      assert.ok(views.descriptors.every((b) => b === 0x5a));
    });

    test("random descriptors never trap and never write outside the arena", () => {
      const random = createSeededRandom(0xdead);
      const memory = new Uint8Array(views.memory.buffer);
      views.keyStaging.set(random.bytes(32));
      f.keySlotSet(0);
      // Everything but the arena and the descriptor table (statuses) must stay as it was.
      const untouchable = (): Buffer => {
        const copy = Buffer.from(memory);
        copy.fill(0, views.arena.byteOffset, views.arena.byteOffset + views.arena.length);
        copy.fill(0, views.descriptors.byteOffset, views.descriptors.byteOffset + views.descriptors.length);
        return copy;
      };
      const before = untouchable();
      const words = new Uint32Array(views.descriptors.buffer, views.descriptors.byteOffset, (BATCH_MAX_SLOTS * DESCRIPTOR_BYTES) / 4);
      const interesting = [0, 1, 15, 16, 17, 0xffff, 0x10000, views.arena.length - 16, views.arena.length, 0x7fff_ffff, 0xffff_ffff];
      for (let round = 0; round < 200; round++) {
        for (let i = 0; i < words.length; i++) {
          words[i] = random.below(3) === 0 ? random.pick(interesting) : random.below(2 ** 32);
        }
        // Keep the key slot field small often enough that real seals and opens happen.
        for (let d = 0; d < BATCH_MAX_SLOTS; d += 2) words[(d * DESCRIPTOR_BYTES) / 4 + 2] = 0;
        f.sealBatch(BATCH_MAX_SLOTS);
        f.openBatch(BATCH_MAX_SLOTS);
      }
      assert.ok(before.equals(untouchable()), "memory outside the arena and descriptor table changed");
    });
  });
}
