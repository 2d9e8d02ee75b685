// Differential test: the WASM AEAD against node:crypto's chacha20-poly1305 (OpenSSL) on
// 10,000 seeded random cases per build, both directions.

import assert from "node:assert/strict";
import { createCipheriv, createDecipheriv } from "node:crypto";
import { describe, test } from "node:test";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { createAllCryptoCores } from "./crypto-cores.js";

const CASES = 10_000;
// Lengths at and around block (64), Poly1305 block (16) and SIMD group (256) boundaries, the
// SIMD seal's stitching steps (the message's groups end at 192, 448, …: block 0 is the MAC key),
// and typical packet sizes; every case not drawn from here has a random length up to 9,000.
const EDGE_LENGTHS = [0, 1, 15, 16, 17, 63, 64, 65, 191, 192, 193, 255, 256, 447, 448, 449, 1420, 1500, 8192];
const LARGEST = 65_535;

function nodeSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function nodeOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer {
  const decipher = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
  decipher.setAAD(aad, { plaintextLength: sealed.length - 16 });
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
}

for (const core of createAllCryptoCores()) {
  describe(`AEAD vs node:crypto (${core.variant} build)`, () => {
    test(`${CASES} random cases agree in both directions`, () => {
      const random = createSeededRandom(0x8439);
      const lengths = new Set<number>();
      for (let i = 0; i < CASES; i++) {
        const length =
          i === 0 ? LARGEST : i % 3 === 0 ? random.below(9001) : EDGE_LENGTHS[i % EDGE_LENGTHS.length]!;
        lengths.add(length);
        const key = random.bytes(32);
        const nonce = random.bytes(12);
        const aad = random.bytes(random.below(65));
        const plaintext = random.bytes(length);
        const context = `case ${i}: length ${length}, aad ${aad.length}`;

        const expected = nodeSeal(key, nonce, plaintext, aad);
        const sealed = core.seal(key, nonce, plaintext, aad);
        assert.ok(expected.equals(sealed), `seal differs from node:crypto, ${context}`);

        const opened = core.open(key, nonce, expected, aad);
        assert.ok(opened !== null && Buffer.from(plaintext).equals(opened), `open of node:crypto output failed, ${context}`);
        assert.ok(nodeOpen(key, nonce, sealed, aad).equals(plaintext), `node:crypto cannot open ours, ${context}`);
      }
      for (const length of [...EDGE_LENGTHS, LARGEST]) assert.ok(lengths.has(length), `length ${length} not covered`);
    });
  });
}
