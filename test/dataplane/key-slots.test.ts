// Key slots: keys are used by index, cleared keys are gone from memory, and no one-shot call
// leaves key material behind anywhere in the module's memory.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CoreStatus } from "../../src/dataplane/core-status.js";
import { createCryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm, CRYPTO_WASM_VARIANTS } from "../../src/dataplane/crypto-wasm.js";
import { CryptoArgumentError } from "../../src/dataplane/errors.js";
import { instantiateCore } from "../../src/dataplane/core-exports.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

function occurrences(haystack: ArrayBuffer, needle: Uint8Array): number {
  const memory = Buffer.from(haystack);
  let count = 0;
  for (let at = memory.indexOf(needle); at !== -1; at = memory.indexOf(needle, at + 1)) count++;
  return count;
}

for (const variant of CRYPTO_WASM_VARIANTS) {
  describe(`key slots and key hygiene (${variant} build)`, () => {
    const compiled = compileCryptoWasm(variant);
    const random = createSeededRandom(0x51075);

    test("a key is stored once, used by index, and zeroed by clear", () => {
      const core = createCryptoCore(compiled);
      const memory = core.batch.arena.buffer as ArrayBuffer;
      const key = random.bytes(32);
      core.keys.set(3, key);
      assert.equal(occurrences(memory, key), 1, "exactly one copy: the slot (staging is wiped)");
      core.batch.arena.set(random.bytes(50), 0);
      core.batch.describe(0, 3, 0, 0, 50);
      assert.equal(core.batch.seal(1), 1);
      assert.equal(occurrences(memory, key), 1, "sealing copies the key nowhere");

      core.keys.clear(3);
      assert.equal(occurrences(memory, key), 0, "cleared key is gone from memory");
      core.batch.describe(0, 3, 0, 0, 50);
      assert.equal(core.batch.seal(1), 0);
      assert.equal(core.batch.status(0), CoreStatus.noKey);
    });

    test("one-shot calls leave no key or subkey in memory", () => {
      const core = createCryptoCore(compiled);
      const memory = core.batch.arena.buffer as ArrayBuffer;
      const key = random.bytes(32);
      const sealed = core.seal(key, random.bytes(12), random.bytes(1000));
      const xnonce = random.bytes(24);
      core.xseal(key, xnonce, random.bytes(1000));
      assert.equal(occurrences(memory, key), 0);
      const subkey = core.hchacha20(key, xnonce.subarray(0, 16));
      assert.equal(occurrences(memory, subkey), 0, "XChaCha subkey wiped");
      assert.equal(occurrences(memory, sealed.subarray(0, 32)), 0, "one-shot output wiped");
    });

    test("bad slots and key sizes throw before reaching the core", () => {
      const core = createCryptoCore(compiled);
      assert.throws(() => core.keys.set(-1, random.bytes(32)), CryptoArgumentError);
      assert.throws(() => core.keys.set(core.keys.count, random.bytes(32)), CryptoArgumentError);
      assert.throws(() => core.keys.set(0, random.bytes(31)), /key must be 32 bytes, got 31/);
      assert.throws(() => core.keys.clear(2.5), CryptoArgumentError);
    });

    test("the module's memory cannot grow", () => {
      const { views } = instantiateCore(compiled.module);
      assert.throws(() => views.memory.grow(1), RangeError);
    });
  });
}
