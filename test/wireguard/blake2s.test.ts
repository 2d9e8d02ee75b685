// BLAKE2s (blake2s.ts), the engine behind MAC: RFC 7693 known answers, the BLAKE2 keyed KAT,
// and agreement with @noble/hashes on every key length, output length and block boundary.

import assert from "node:assert/strict";
import { test } from "node:test";
import { blake2s as nobleBlake2s } from "@noble/hashes/blake2.js";
import { blake2s, createBlake2s } from "../../src/wireguard/blake2s.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { BLAKE2S_256_ABC, BLAKE2S_256_EMPTY, selftestSequence } from "../vectors/rfc7693.js";

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const sequence = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => i);
const EMPTY = new Uint8Array(0);

test("RFC 7693 Appendix B: BLAKE2s-256(\"abc\"), and the empty input", () => {
  assert.equal(toHex(blake2s(new TextEncoder().encode("abc"), EMPTY, 32)), BLAKE2S_256_ABC);
  assert.equal(toHex(blake2s(EMPTY, EMPTY, 32)), BLAKE2S_256_EMPTY);
});

test("RFC 7693 Appendix E self-test grand hash: unkeyed and keyed, four output lengths, inputs across block boundaries", () => {
  for (const engine of ["one-shot", "prepared key"] as const) {
    const digest = (input: Uint8Array, key: Uint8Array, length: number): Uint8Array =>
      engine === "one-shot" ? blake2s(input, key, length) : createBlake2s(key, length).digest(input);
    const digests: Uint8Array[] = [];
    for (const outputLength of [16, 20, 28, 32]) {
      for (const inputLength of [0, 3, 64, 65, 255, 1024]) {
        const input = selftestSequence(inputLength, inputLength);
        digests.push(digest(input, EMPTY, outputLength));
        digests.push(digest(input, selftestSequence(outputLength, outputLength), outputLength));
      }
    }
    const all = new Uint8Array(digests.reduce((sum, d) => sum + d.length, 0));
    digests.reduce((offset, d) => (all.set(d, offset), offset + d.length), 0);
    assert.equal(toHex(blake2s(all, EMPTY, 32)), "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe", engine);
  }
});

test("BLAKE2 keyed KAT (key 00..1f, input 00..n−1, 32-byte output)", () => {
  const kat: [number, string][] = [
    [0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"],
    [1, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1"],
    [2, "6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803"],
    [3, "1d220dbe2ee134661fdf6d9e74b41704710556f2f6e5a091b227697445dbea6b"],
  ];
  const prepared = createBlake2s(sequence(32), 32);
  for (const [length, expected] of kat) {
    assert.equal(toHex(blake2s(sequence(length), sequence(32), 32)), expected, `one-shot, input length ${length}`);
    assert.equal(toHex(prepared.digest(sequence(length))), expected, `prepared key, input length ${length}`);
  }
});

test("agrees with @noble/hashes on 2,000 seeded cases: every key and output length, inputs around block boundaries", () => {
  const random = createSeededRandom(0xb1a2e);
  for (let i = 0; i < 2000; i++) {
    const key = random.bytes(i % 33);
    const input = random.bytes(i % 4 === 0 ? random.pick([0, 1, 63, 64, 65, 127, 128, 129, 148]) : random.below(300));
    const outputLength = 1 + (i % 32);
    const expected = toHex(nobleBlake2s(input, key.length > 0 ? { key, dkLen: outputLength } : { dkLen: outputLength }));
    assert.equal(toHex(blake2s(input, key, outputLength)), expected, `case ${i}: key ${key.length}, input ${input.length}, output ${outputLength}`);
    assert.equal(toHex(createBlake2s(key, outputLength).digest(input)), expected, `case ${i}, prepared key`);
  }
});

test("a prepared key gives the same digest every time, whatever was hashed in between", () => {
  const random = createSeededRandom(7);
  const key = random.bytes(32);
  const prepared = createBlake2s(key, 16);
  const message = random.bytes(116);
  const first = toHex(prepared.digest(message));
  blake2s(random.bytes(500), random.bytes(16), 32); // the shared scratch is reused meanwhile
  assert.equal(toHex(prepared.digest(random.bytes(10))).length, 32);
  assert.equal(toHex(prepared.digest(message)), first);
  assert.equal(toHex(prepared.digest(EMPTY)), toHex(blake2s(EMPTY, key, 16)), "empty input: the key block is the final one");
});

test("keys over 32 bytes and outputs outside 1–32 bytes are refused", () => {
  assert.throws(() => blake2s(EMPTY, new Uint8Array(33), 32), { name: "RangeError", message: /key/ });
  assert.throws(() => createBlake2s(EMPTY, 0), { name: "RangeError", message: /output/ });
  assert.throws(() => blake2s(EMPTY, EMPTY, 33), { name: "RangeError", message: /output/ });
});
