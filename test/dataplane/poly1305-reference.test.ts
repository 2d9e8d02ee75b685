// Poly1305 against a BigInt transcription of RFC 8439 §2.5.1, on every WASM build. The RFC
// vectors have few long messages; these cases push the core's limbs to their largest values
// (all-ones r after clamping, all-ones message blocks, thousands of blocks), where an
// overflow in the limb arithmetic would show.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { createAllCryptoCores, toHex } from "./crypto-cores.js";

const P = (1n << 130n) - 5n;
const CLAMP = 0x0ffffffc0ffffffc0ffffffc0fffffffn;

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function referenceTag(key: Uint8Array, message: Uint8Array): string {
  const r = littleEndian(key.subarray(0, 16)) & CLAMP;
  const s = littleEndian(key.subarray(16, 32));
  let h = 0n;
  for (let at = 0; at < message.length; at += 16) {
    const block = message.subarray(at, at + 16);
    h = ((h + littleEndian(block) + (1n << BigInt(8 * block.length))) * r) % P;
  }
  const tag = (h + s) & ((1n << 128n) - 1n);
  return Buffer.from(tag.toString(16).padStart(32, "0"), "hex").reverse().toString("hex");
}

function extremeCases(): Array<[Uint8Array, Uint8Array]> {
  const cases: Array<[Uint8Array, Uint8Array]> = [];
  const allOnesKey = new Uint8Array(32).fill(0xff);
  const allOnesRZeroS = allOnesKey.slice().fill(0, 16);
  for (const length of [0, 1, 15, 16, 17, 1420, 8192]) {
    cases.push([allOnesKey, new Uint8Array(length).fill(0xff)]);
    cases.push([allOnesRZeroS, new Uint8Array(length).fill(0xff)]);
    cases.push([allOnesKey, new Uint8Array(length)]);
  }
  return cases;
}

for (const core of createAllCryptoCores()) {
  describe(`Poly1305 against a BigInt reference (${core.variant} build)`, () => {
    test("largest limb values", () => {
      for (const [key, message] of extremeCases()) {
        assert.equal(toHex(core.poly1305(key, message)), referenceTag(key, message), `length ${message.length}`);
      }
    });

    test("500 seeded random cases, a third with an all-ones r or message", () => {
      const random = createSeededRandom(0x1305);
      for (let i = 0; i < 500; i++) {
        const key = random.bytes(32);
        const message = random.bytes(random.below(2000));
        if (i % 3 === 0) key.fill(0xff, 0, 16);
        if (i % 3 === 1) message.fill(0xff);
        assert.equal(toHex(core.poly1305(key, message)), referenceTag(key, message), `case ${i}`);
      }
    });
  });
}
