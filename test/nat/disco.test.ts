// The disco wire format and its sealing (src/nat/disco.ts): a packet computed independently here
// (@noble's X25519, HKDF-BLAKE2s and XChaCha20-Poly1305; plaintexts written out by hand) must
// equal ours byte for byte on every WASM build; anything else must open to null, never throw.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 as nobleX25519 } from "@noble/curves/ed25519.js";
import { blake2s } from "@noble/hashes/blake2.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { createCryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm, CRYPTO_WASM_VARIANTS } from "../../src/dataplane/crypto-wasm.js";
import {
  canonicalEndpoint,
  decodeDiscoMessage,
  deriveDiscoKey,
  DISCO_HEADER_BYTES,
  discoSender,
  encodeDiscoMessage,
  openDisco,
  sealDisco,
  type DiscoMessage,
} from "../../src/nat/disco.js";
import { createFastestX25519, createNobleX25519, type X25519 } from "../../src/wireguard/x25519.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

// RFC 7748 §6.1's key pairs.
const ALICE_PRIVATE = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
const ALICE_PUBLIC = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
const BOB_PRIVATE = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
const BOB_PUBLIC = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
const NONCE = hex("000102030405060708090a0b0c0d0e0f1011121314151617");
const TXID = hex("a0a1a2a3a4a5a6a7a8a9aaab");

// The disco key by the design's words, with another library's pieces: HKDF (RFC 5869) over
// BLAKE2s, IKM = X25519(a, B), no salt, info = "meshgate disco v1".
function referenceKey(): Uint8Array {
  const shared = nobleX25519.getSharedSecret(ALICE_PRIVATE, BOB_PUBLIC);
  return hkdf(blake2s, shared, undefined, new TextEncoder().encode("meshgate disco v1"), 32);
}

// magic ‖ version ‖ sender ‖ nonce ‖ XChaCha20-Poly1305(plaintext, aad = the first 37 bytes).
function referencePacket(sender: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const aad = new Uint8Array([0x6d, 0x67, 0xd1, 0x5c, 0x01, ...sender]);
  const sealed = xchacha20poly1305(referenceKey(), NONCE, aad).encrypt(plaintext);
  return new Uint8Array([...aad, ...NONCE, ...sealed]);
}

// Each message and its plaintext, byte by byte from the layout in src/nat/README.md.
const KNOWN: [DiscoMessage, string][] = [
  [{ type: "ping", txid: TXID }, "01 a0a1a2a3a4a5a6a7a8a9aaab"],
  [
    { type: "pong", txid: TXID, observed: { host: "192.0.2.1", port: 51820 } },
    "02 a0a1a2a3a4a5a6a7a8a9aaab 04 ca6c 00000000000000000000ffff c0000201",
  ],
  [
    { type: "callMeMaybe", endpoints: [{ host: "203.0.113.7", port: 41641 }, { host: "2001:db8::1", port: 1 }] },
    "03 02 04 a2a9 00000000000000000000ffff cb007107 06 0001 20010db8000000000000000000000001",
  ],
  [{ type: "callMeMaybe", endpoints: [] }, "03 00"],
];

describe("disco: key and packets", () => {
  test("the disco key is HKDF-BLAKE2s of the static-static DH with the label, the same at both ends", () => {
    for (const x25519 of [createFastestX25519(), createNobleX25519()]) {
      assert.equal(toHex(deriveDiscoKey(x25519, ALICE_PRIVATE, BOB_PUBLIC)!), toHex(referenceKey()), x25519.name);
      assert.equal(toHex(deriveDiscoKey(x25519, BOB_PRIVATE, ALICE_PUBLIC)!), toHex(referenceKey()), `${x25519.name}, Bob's side`);
      assert.equal(deriveDiscoKey(x25519, ALICE_PRIVATE, new Uint8Array(32)), null, "a low-order key has no disco key");
    }
  });

  test("the DH output is wiped once the key is derived", () => {
    const results: Uint8Array[] = [];
    const inner = createNobleX25519();
    const recording: X25519 = {
      ...inner,
      sharedSecret(privateKey, publicKey) {
        const shared = inner.sharedSecret(privateKey, publicKey);
        if (shared !== null) results.push(shared);
        return shared;
      },
    };
    deriveDiscoKey(recording, ALICE_PRIVATE, BOB_PUBLIC);
    assert.equal(results.length, 1);
    assert.ok(results[0]!.every((byte) => byte === 0), "the shared secret is all zeros afterwards");
  });

  test("plaintexts are laid out as documented", () => {
    for (const [message, plaintext] of KNOWN) {
      assert.equal(toHex(encodeDiscoMessage(message)), toHex(hex(plaintext)), message.type);
      assert.deepEqual(decodeDiscoMessage(hex(plaintext)), message, `${message.type} decodes back`);
    }
  });

  for (const variant of CRYPTO_WASM_VARIANTS) {
    test(`sealed packets equal the reference packets byte for byte (${variant} build)`, () => {
      const crypto = createCryptoCore(compileCryptoWasm(variant));
      const key = deriveDiscoKey(createFastestX25519(), ALICE_PRIVATE, BOB_PUBLIC)!;
      for (const [message, plaintext] of KNOWN) {
        const packet = sealDisco(crypto, key, ALICE_PUBLIC, NONCE, message);
        assert.equal(toHex(packet), toHex(referencePacket(ALICE_PUBLIC, hex(plaintext))), message.type);
        assert.deepEqual(openDisco(crypto, key, packet), message);
        assert.deepEqual(discoSender(packet), ALICE_PUBLIC);
      }
    });
  }
});

describe("disco: anything else opens to null", () => {
  const crypto = createCryptoCore(compileCryptoWasm("release"));
  const key = referenceKey();
  const ping = sealDisco(crypto, key, ALICE_PUBLIC, NONCE, { type: "ping", txid: TXID });

  test("every flipped bit (header, nonce, ciphertext, tag) makes the packet unauthentic", () => {
    for (let bit = 0; bit < ping.length * 8; bit++) {
      const forged = ping.slice();
      forged[bit >> 3]! ^= 1 << (bit & 7);
      assert.equal(openDisco(crypto, key, forged), null, `bit ${bit}`);
    }
  });

  test("every truncation and an extension are rejected", () => {
    for (let length = 0; length < ping.length; length++) assert.equal(openDisco(crypto, key, ping.subarray(0, length)), null, `${length} bytes`);
    assert.equal(openDisco(crypto, key, new Uint8Array([...ping, 0])), null, "a byte appended");
    assert.equal(openDisco(crypto, key, new Uint8Array(70_000)), null, "larger than any disco packet (and than the core's buffer)");
  });

  test("another version or another key is rejected", () => {
    const otherVersion = ping.slice();
    otherVersion[4] = 2;
    assert.equal(discoSender(otherVersion), null);
    assert.equal(openDisco(crypto, key, otherVersion), null);
    assert.equal(openDisco(crypto, new Uint8Array(32).fill(7), ping), null);
  });

  test("authentic packets with malformed bodies are rejected", () => {
    const malformed = [
      "",
      "09 a0a1a2a3a4a5a6a7a8a9aaab", // unknown type
      "01 a0a1a2a3a4a5a6a7a8a9aa", // ping txid one byte short
      "01 a0a1a2a3a4a5a6a7a8a9aaab 00", // ping with a trailing byte
      "02 a0a1a2a3a4a5a6a7a8a9aaab 04 ca6c 00000000000000000000ffff c00002", // pong truncated
      "02 a0a1a2a3a4a5a6a7a8a9aaab 04 0000 00000000000000000000ffff c0000201", // port 0
      "02 a0a1a2a3a4a5a6a7a8a9aaab 04 ca6c 20010db8000000000000000000000001", // family 4, not mapped
      "02 a0a1a2a3a4a5a6a7a8a9aaab 06 ca6c 00000000000000000000ffff c0000201", // family 6, mapped
      "02 a0a1a2a3a4a5a6a7a8a9aaab 05 ca6c 00000000000000000000ffff c0000201", // family 5
      "03", // callMeMaybe without a count
      "03 01", // count 1, no endpoint
      `03 11 ${"04ca6c00000000000000000000ffffc0000201".repeat(17)}`, // 17 endpoints
    ];
    for (const plaintext of malformed) {
      assert.equal(decodeDiscoMessage(hex(plaintext)), null, plaintext);
      assert.equal(openDisco(crypto, key, referencePacket(ALICE_PUBLIC, hex(plaintext))), null, `sealed: ${plaintext}`);
    }
  });

  test("random bytes, with and without the disco header, never throw", () => {
    const random = createSeededRandom(0xd15c);
    for (let i = 0; i < 2_000; i++) {
      const bytes = random.bytes(random.below(500));
      if (i % 2 === 0 && bytes.length >= 5) bytes.set([0x6d, 0x67, 0xd1, 0x5c, 0x01]);
      assert.equal(openDisco(crypto, key, bytes), null);
      assert.doesNotThrow(() => decodeDiscoMessage(bytes));
    }
  });

  test("only IP endpoints are canonical (names cannot be pinged or encoded)", () => {
    assert.deepEqual(canonicalEndpoint({ host: "::ffff:192.0.2.1", port: 7 }), { host: "192.0.2.1", port: 7 });
    assert.deepEqual(canonicalEndpoint({ host: "2001:0db8::0001", port: 7 }), { host: "2001:db8::1", port: 7 });
    assert.equal(canonicalEndpoint({ host: "relay.example.com", port: 7 }), null);
    assert.equal(canonicalEndpoint({ host: "192.0.2.1", port: 0 }), null);
    assert.throws(() => encodeDiscoMessage({ type: "callMeMaybe", endpoints: [{ host: "example.com", port: 1 }] }), /IP endpoints only/);
  });

  test("a packet's header is as long as documented", () => {
    assert.equal(DISCO_HEADER_BYTES, 61);
    assert.equal(ping.length, 61 + 13 + 16);
  });
});
