// Known answers: every RFC 8439 vector (§2.3.2, §2.4.2, §2.5.2, §2.6.2, §2.8.2, A.1–A.5) and the
// draft-irtf-cfrg-xchacha vectors (§2.2.1, A.3.1), on every WASM build.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  aeadVectors,
  chachaBlockVectors,
  chachaEncryptVectors,
  hchachaVectors,
  poly1305Vectors,
  polyKeyVectors,
  xaeadVectors,
} from "../vectors/rfc8439.js";
import { createAllCryptoCores, hex, toHex } from "./crypto-cores.js";

for (const core of createAllCryptoCores()) {
  describe(`RFC 8439 and XChaCha known answers (${core.variant} build)`, () => {
    test("ChaCha20 block function (§2.3.2, A.1)", () => {
      for (const v of chachaBlockVectors) {
        const keystream = core.chacha20(hex(v.key), hex(v.nonce), v.counter, new Uint8Array(64));
        assert.equal(toHex(keystream), v.keystream, v.name);
      }
    });

    test("ChaCha20 encryption (§2.4.2, A.2), both directions", () => {
      for (const v of chachaEncryptVectors) {
        assert.equal(toHex(core.chacha20(hex(v.key), hex(v.nonce), v.counter, hex(v.plaintext))), v.ciphertext, v.name);
        assert.equal(toHex(core.chacha20(hex(v.key), hex(v.nonce), v.counter, hex(v.ciphertext))), v.plaintext, v.name);
      }
    });

    test("Poly1305 (§2.5.2, A.3)", () => {
      for (const v of poly1305Vectors) {
        assert.equal(toHex(core.poly1305(hex(v.key), hex(v.message))), v.tag, v.name);
      }
    });

    test("Poly1305 key generation (§2.6.2, A.4)", () => {
      for (const v of polyKeyVectors) {
        const block0 = core.chacha20(hex(v.key), hex(v.nonce), 0, new Uint8Array(32));
        assert.equal(toHex(block0), v.polyKey, v.name);
      }
    });

    test("AEAD_CHACHA20_POLY1305 (§2.8.2, A.5): seal and open", () => {
      for (const v of aeadVectors) {
        const sealed = core.seal(hex(v.key), hex(v.nonce), hex(v.plaintext), hex(v.aad));
        assert.equal(toHex(sealed), v.ciphertext + v.tag, v.name);
        const opened = core.open(hex(v.key), hex(v.nonce), hex(v.ciphertext + v.tag), hex(v.aad));
        assert.ok(opened, `${v.name} did not open`);
        assert.equal(toHex(opened), v.plaintext, v.name);
      }
    });

    test("HChaCha20 (xchacha §2.2.1)", () => {
      for (const v of hchachaVectors) {
        assert.equal(toHex(core.hchacha20(hex(v.key), hex(v.nonce))), v.subkey, v.name);
      }
    });

    test("XChaCha20-Poly1305 (xchacha A.3.1): seal and open", () => {
      for (const v of xaeadVectors) {
        const sealed = core.xseal(hex(v.key), hex(v.nonce), hex(v.plaintext), hex(v.aad));
        assert.equal(toHex(sealed), v.ciphertext + v.tag, v.name);
        const opened = core.xopen(hex(v.key), hex(v.nonce), hex(v.ciphertext + v.tag), hex(v.aad));
        assert.ok(opened, `${v.name} did not open`);
        assert.equal(toHex(opened), v.plaintext, v.name);
      }
    });
  });
}
