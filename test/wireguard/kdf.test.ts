// HASH, MAC, HMAC and KDF_n (whitepaper §5.4): BLAKE2s known answers (RFC 7693, the BLAKE2
// keyed KAT), HMAC against node:crypto and @noble/hashes, KDF against its definition composed
// here, and the WireGuard handshake's initial chaining key and hash.

import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { describe, test } from "node:test";
import { blake2s } from "@noble/hashes/blake2.js";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { createMac, hash, hmac, kdf1, kdf2, kdf3, mac } from "../../src/wireguard/kdf.js";
import { CONTROL_HANDSHAKE, WIREGUARD_HANDSHAKE } from "../../src/wireguard/noise.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { BLAKE2S_256_ABC, BLAKE2S_256_EMPTY, selftestSequence } from "../vectors/rfc7693.js";

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const sequence = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => i);

describe("HASH: BLAKE2s-256", () => {
  test("RFC 7693 Appendix B (\"abc\") and the empty input", () => {
    assert.equal(toHex(hash(utf8("abc"))), BLAKE2S_256_ABC);
    assert.equal(toHex(hash()), BLAKE2S_256_EMPTY);
  });

  test("several inputs hash as their concatenation", () => {
    const random = createSeededRandom(1);
    for (let i = 0; i < 50; i++) {
      const parts = [random.bytes(random.below(80)), random.bytes(random.below(80)), random.bytes(32)];
      assert.equal(toHex(hash(...parts)), toHex(hash(Buffer.concat(parts))));
      assert.equal(toHex(hash(...parts)), toHex(blake2s(Buffer.concat(parts))));
    }
  });

  test("results are plain 32-byte arrays owning their memory", () => {
    const digest = hash(utf8("abc"));
    assert.equal(Object.getPrototypeOf(digest), Uint8Array.prototype);
    assert.equal(digest.buffer.byteLength, 32);
  });
});

describe("MAC: keyed BLAKE2s-128", () => {
  // The unkeyed 32- and keyed 16-byte digests come from hash() and mac(); the other output
  // lengths, which WireGuard never uses, from @noble/hashes. A wrong hash() or mac() changes the
  // grand hash.
  test("RFC 7693 Appendix E self-test grand hash", () => {
    const digests: Uint8Array[] = [];
    for (const outputLength of [16, 20, 28, 32]) {
      for (const inputLength of [0, 3, 64, 65, 255, 1024]) {
        const input = selftestSequence(inputLength, inputLength);
        const key = selftestSequence(outputLength, outputLength);
        digests.push(outputLength === 32 ? hash(input) : blake2s(input, { dkLen: outputLength }));
        digests.push(outputLength === 16 ? mac(key, input) : blake2s(input, { key, dkLen: outputLength }));
      }
    }
    assert.equal(toHex(hash(...digests)), "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe");
  });

  // The engine behind mac() (blake2s.ts) has its own known answers: test/wireguard/blake2s.test.ts.

  test("16 bytes, and not a truncated 32-byte keyed digest (the length is hashed in)", () => {
    const random = createSeededRandom(2);
    for (let i = 0; i < 50; i++) {
      const key = random.bytes(i % 2 === 0 ? 32 : 16);
      const input = random.bytes(random.below(200));
      const tag = mac(key, input);
      assert.equal(tag.length, 16);
      assert.equal(toHex(tag), toHex(blake2s(input, { key, dkLen: 16 })));
      assert.notEqual(toHex(tag), toHex(blake2s(input, { key, dkLen: 32 }).subarray(0, 16)));
    }
  });

  test("a key prepared once (createMac) gives mac()'s results, input after input", () => {
    const random = createSeededRandom(5);
    for (const keyLength of [16, 32]) {
      const key = random.bytes(keyLength);
      const prepared = createMac(key);
      for (let i = 0; i < 50; i++) {
        const input = random.bytes(i === 0 ? 0 : random.below(200));
        assert.equal(toHex(prepared(input)), toHex(mac(key, input)), `key ${keyLength}, input ${input.length}`);
      }
    }
  });

  test("keys must be 1 to 32 bytes", () => {
    assert.throws(() => mac(new Uint8Array(0), new Uint8Array(1)), { name: "RangeError", message: /MAC key/ });
    assert.throws(() => mac(new Uint8Array(33), new Uint8Array(1)), { name: "RangeError", message: /MAC key/ });
    assert.throws(() => createMac(new Uint8Array(0)), { name: "RangeError", message: /MAC key/ });
  });
});

describe("HMAC: HMAC-BLAKE2s", () => {
  test("agrees with node:crypto and @noble/hashes on 300 seeded random cases", () => {
    const random = createSeededRandom(3);
    for (let i = 0; i < 300; i++) {
      const key = random.bytes(i % 3 === 0 ? random.below(100) : 32);
      const input = random.bytes(random.below(200));
      const expected = createHmac("blake2s256", key).update(input).digest("hex");
      assert.equal(toHex(hmac(key, input)), expected, `case ${i}`);
      assert.equal(toHex(nobleHmac(blake2s, key, input)), expected, `case ${i}`);
    }
  });

  test("is RFC 2104 over BLAKE2s-256 with a 64-byte block", () => {
    const key = sequence(32);
    const input = utf8("WireGuard");
    const block = new Uint8Array(64);
    block.set(key);
    const inner = createHash("blake2s256").update(block.map((byte) => byte ^ 0x36)).update(input).digest();
    const outer = createHash("blake2s256").update(block.map((byte) => byte ^ 0x5c)).update(inner).digest();
    assert.equal(toHex(hmac(key, input)), outer.toString("hex"));
  });
});

describe("KDF_n", () => {
  // The whitepaper's definition, composed from node:crypto's HMAC independently of kdf.ts.
  const referenceHmac = (key: Uint8Array, ...inputs: Uint8Array[]): Uint8Array => {
    const state = createHmac("blake2s256", key);
    for (const input of inputs) state.update(input);
    return new Uint8Array(state.digest());
  };

  test("τ1 = HMAC(τ0, 0x1), τi = HMAC(τ0, τ(i−1) ‖ i), τ0 = HMAC(key, input)", () => {
    const random = createSeededRandom(4);
    for (let i = 0; i < 100; i++) {
      const key = random.bytes(32);
      const input = random.bytes(i === 0 ? 0 : random.below(100));
      const tau0 = referenceHmac(key, input);
      const tau1 = referenceHmac(tau0, Uint8Array.of(1));
      const tau2 = referenceHmac(tau0, tau1, Uint8Array.of(2));
      const tau3 = referenceHmac(tau0, tau2, Uint8Array.of(3));
      assert.deepEqual(kdf1(key, input).map(toHex), [tau1].map(toHex), `case ${i}`);
      assert.deepEqual(kdf2(key, input).map(toHex), [tau1, tau2].map(toHex), `case ${i}`);
      assert.deepEqual(kdf3(key, input).map(toHex), [tau1, tau2, tau3].map(toHex), `case ${i}`);
    }
  });

  test("leaves its arguments untouched", () => {
    const key = sequence(32);
    const input = sequence(48);
    kdf3(key, input);
    assert.equal(toHex(key), toHex(sequence(32)));
    assert.equal(toHex(input), toHex(sequence(48)));
  });
});

describe("WireGuard construction constants (whitepaper §5.4)", () => {
  // wireguard-go computes these in noise-protocol.go's init(); boringtun ships them precomputed.
  const INITIAL_CHAINING_KEY = "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36";
  const INITIAL_HASH = "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3";

  test("C_i = HASH(CONSTRUCTION), H_i = HASH(C_i ‖ IDENTIFIER)", () => {
    const chainingKey = hash(utf8("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"));
    assert.equal(toHex(chainingKey), INITIAL_CHAINING_KEY);
    assert.equal(toHex(hash(chainingKey, utf8("WireGuard v1 zx2c4 Jason@zx2c4.com"))), INITIAL_HASH);
  });

  test("the precomputed protocols in noise.ts: WireGuard's, and the control channel's own domain", () => {
    const chainingKey = hash(utf8("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"));
    assert.equal(toHex(WIREGUARD_HANDSHAKE.initialChainingKey), INITIAL_CHAINING_KEY);
    assert.equal(toHex(WIREGUARD_HANDSHAKE.initialHash), INITIAL_HASH);
    assert.equal(new TextDecoder().decode(WIREGUARD_HANDSHAKE.mac1Label), "mac1----");
    assert.equal(toHex(CONTROL_HANDSHAKE.initialChainingKey), toHex(chainingKey));
    assert.equal(toHex(CONTROL_HANDSHAKE.initialHash), toHex(hash(chainingKey, utf8("meshgate control v1"))));
    assert.equal(new TextDecoder().decode(CONTROL_HANDSHAKE.mac1Label), "mgctl-m1");
  });
});
