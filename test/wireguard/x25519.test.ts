// X25519 (RFC 7748): known answers, the §5.2 iteration, clamping, low-order rejection and length
// checks as one contract run on both implementations, then a seeded differential test of
// node:crypto against @noble/curves.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  clampPrivateKey,
  createFastestX25519,
  createNobleX25519,
  createNodeX25519,
  type X25519,
} from "../../src/wireguard/x25519.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "hex"));
const toHex = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes).toString("hex"));

// RFC 7748 §5.2: scalar, input u-coordinate, output u-coordinate. The second input has its top
// bit set, which X25519 must ignore.
const SCALAR_MULTIPLICATION_VECTORS = [
  {
    scalar: "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
    u: "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
    output: "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
  },
  {
    scalar: "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
    u: "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
    output: "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
  },
];

// RFC 7748 §5.2 iterated test: k = u = 9, then k, u = X25519(k, u), k.
const ITERATED_AFTER_1 = "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079";
const ITERATED_AFTER_1000 = "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51";

// RFC 7748 §6.1.
const ALICE_PRIVATE = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const ALICE_PUBLIC = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
const BOB_PRIVATE = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
const BOB_PUBLIC = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
const ALICE_BOB_SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

// u-coordinates of small order on Curve25519 and its twist (the libsodium / cr.yp.to ecdh
// "blacklist"): 0, 1, the two points of order 8, p − 1, and the non-canonical p ≡ 0 and p + 1 ≡ 1.
const LOW_ORDER_POINTS = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

// The same points with bit 255 set: RFC 7748 §5 masks that bit, so they are low order too.
function withTopBitSet(point: string): Uint8Array {
  const bytes = hex(point);
  bytes[31] = bytes[31]! | 0x80;
  return bytes;
}

// The bits RFC 7748 §5 clamping overwrites: 0–2 of byte 0, 6–7 of byte 31.
function flipClampedBits(privateKey: Uint8Array): Uint8Array {
  const flipped = privateKey.slice();
  flipped[0] = flipped[0]! ^ 0b0000_0111;
  flipped[31] = flipped[31]! ^ 0b1100_0000;
  return flipped;
}

for (const x25519 of [createNodeX25519(), createNobleX25519()]) {
  describe(`X25519 contract (${x25519.name})`, () => {
    test("RFC 7748 §5.2 scalar multiplication vectors", () => {
      for (const v of SCALAR_MULTIPLICATION_VECTORS) {
        assert.equal(toHex(x25519.sharedSecret(hex(v.scalar), hex(v.u))), v.output);
      }
    });

    test("RFC 7748 §5.2 iterated test, 1 and 1,000 iterations", () => {
      let k: Uint8Array = hex("09".padEnd(64, "0"));
      let u: Uint8Array = k.slice();
      for (let iteration = 1; iteration <= 1000; iteration++) {
        const result = x25519.sharedSecret(k, u);
        assert.ok(result !== null, `iteration ${iteration} gave all zeros`);
        [k, u] = [result, k];
        if (iteration === 1) assert.equal(toHex(k), ITERATED_AFTER_1);
      }
      assert.equal(toHex(k), ITERATED_AFTER_1000);
    });

    test("RFC 7748 §6.1: both public keys and the shared secret, both ways", () => {
      assert.equal(toHex(x25519.publicKey(hex(ALICE_PRIVATE))), ALICE_PUBLIC);
      assert.equal(toHex(x25519.publicKey(hex(BOB_PRIVATE))), BOB_PUBLIC);
      assert.equal(toHex(x25519.sharedSecret(hex(ALICE_PRIVATE), hex(BOB_PUBLIC))), ALICE_BOB_SHARED);
      assert.equal(toHex(x25519.sharedSecret(hex(BOB_PRIVATE), hex(ALICE_PUBLIC))), ALICE_BOB_SHARED);
    });

    test("keys differing only in the clamped bits give the same results", () => {
      const random = createSeededRandom(7748);
      for (let i = 0; i < 20; i++) {
        const privateKey = random.bytes(32);
        const peer = x25519.publicKey(random.bytes(32));
        const flipped = flipClampedBits(privateKey);
        assert.notEqual(toHex(flipped), toHex(privateKey));
        assert.equal(toHex(x25519.publicKey(flipped)), toHex(x25519.publicKey(privateKey)));
        assert.equal(toHex(x25519.sharedSecret(flipped, peer)), toHex(x25519.sharedSecret(privateKey, peer)));
        assert.equal(toHex(x25519.publicKey(clampPrivateKey(privateKey))), toHex(x25519.publicKey(privateKey)));
      }
    });

    test("low-order public keys give null, whatever the private key", () => {
      const random = createSeededRandom(8);
      const privateKeys = [hex(ALICE_PRIVATE), random.bytes(32), random.bytes(32)];
      for (const point of LOW_ORDER_POINTS) {
        for (const publicKey of [hex(point), withTopBitSet(point)]) {
          for (const privateKey of privateKeys) {
            assert.equal(x25519.sharedSecret(privateKey, publicKey), null, `u = ${toHex(publicKey)}`);
          }
        }
      }
    });

    test("a point next to a low-order one is an ordinary key", () => {
      const nearZero = hex("02".padEnd(64, "0"));
      assert.notEqual(x25519.sharedSecret(hex(ALICE_PRIVATE), nearZero), null);
    });

    test("lengths other than 32 throw a RangeError naming the argument", () => {
      const key = hex(ALICE_PRIVATE);
      for (const length of [0, 31, 33, 64]) {
        const wrong = new Uint8Array(length);
        assert.throws(() => x25519.publicKey(wrong), { name: "RangeError", message: /privateKey.*32 bytes/ });
        assert.throws(() => x25519.sharedSecret(wrong, key), { name: "RangeError", message: /privateKey/ });
        assert.throws(() => x25519.sharedSecret(key, wrong), { name: "RangeError", message: /publicKey/ });
      }
    });

    test("results are plain 32-byte arrays owning their memory", () => {
      const results = [x25519.publicKey(hex(ALICE_PRIVATE)), x25519.sharedSecret(hex(ALICE_PRIVATE), hex(BOB_PUBLIC))];
      for (const result of results) {
        assert.ok(result !== null);
        assert.equal(Object.getPrototypeOf(result), Uint8Array.prototype);
        assert.equal(result.buffer.byteLength, 32);
      }
    });

    test("a private key changed by its owner after a call is used as changed (no stale cache)", () => {
      const privateKey = hex(ALICE_PRIVATE);
      assert.equal(toHex(x25519.sharedSecret(privateKey, hex(BOB_PUBLIC))), ALICE_BOB_SHARED);
      privateKey.set(hex(BOB_PRIVATE));
      assert.equal(toHex(x25519.publicKey(privateKey)), BOB_PUBLIC);
      assert.equal(toHex(x25519.sharedSecret(privateKey, hex(ALICE_PUBLIC))), ALICE_BOB_SHARED);
    });

    test("an ephemeral key pair agrees with a static key, in both directions, until it is forgotten", () => {
      const ephemeral = x25519.generateEphemeral(createSeededRandom(3));
      assert.equal(ephemeral.publicKey.length, 32);
      const forward = x25519.sharedSecret(ephemeral, hex(BOB_PUBLIC));
      assert.ok(forward !== null);
      assert.equal(toHex(forward), toHex(x25519.sharedSecret(hex(BOB_PRIVATE), ephemeral.publicKey)));
      assert.notEqual(toHex(x25519.generateEphemeral(createSeededRandom(4)).publicKey), toHex(ephemeral.publicKey));
      x25519.forget(ephemeral);
      // Forgotten: the node one refuses to use it, the portable one has zeroed its scalar.
      let after: string | null = null;
      try {
        after = toHex(x25519.sharedSecret(ephemeral, hex(BOB_PUBLIC)));
      } catch (error) {
        assert.ok(error instanceof TypeError);
      }
      assert.notEqual(after, toHex(forward));
    });

    test("more private keys in turn than any cache holds still give correct results", () => {
      const random = createSeededRandom(12);
      const privateKeys = Array.from({ length: 10 }, () => random.bytes(32));
      const publicKeys = privateKeys.map((privateKey) => x25519.publicKey(privateKey));
      for (let round = 0; round < 3; round++) {
        for (const [i, privateKey] of privateKeys.entries()) {
          const j = (i + 1 + round) % privateKeys.length;
          const forward = x25519.sharedSecret(privateKey, publicKeys[j]!);
          const backward = x25519.sharedSecret(privateKeys[j]!, publicKeys[i]!);
          assert.ok(forward !== null);
          assert.equal(toHex(forward), toHex(backward), `keys ${i} and ${j}, round ${round}`);
        }
      }
    });
  });
}

describe("clampPrivateKey (RFC 7748 §5)", () => {
  test("clears bits 0–2 and 255, sets bit 254, on a copy", () => {
    const ones = new Uint8Array(32).fill(0xff);
    assert.equal(toHex(clampPrivateKey(ones)), "f8" + "ff".repeat(30) + "7f");
    assert.equal(toHex(ones), "ff".repeat(32));
    assert.equal(toHex(clampPrivateKey(new Uint8Array(32))), "00".repeat(31) + "40");
    assert.equal(toHex(clampPrivateKey(hex(ALICE_PRIVATE))), "70076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c6a");
  });

  test("a length other than 32 throws a RangeError naming the argument", () => {
    assert.throws(() => clampPrivateKey(new Uint8Array(16)), { name: "RangeError", message: /random32/ });
  });
});

describe("node:crypto against @noble/curves", () => {
  const node = createNodeX25519();
  const noble = createNobleX25519();

  test("500 seeded random pairs: same public keys, same shared secrets, DH agreement", () => {
    const random = createSeededRandom(25519);
    for (let i = 0; i < 500; i++) {
      const privateKey = random.bytes(32);
      const peerPrivate = random.bytes(32);
      // Raw random bytes as a public key: top bit set half the time, off-curve (twist) points too.
      const rawPublic = random.bytes(32);
      const publicKey = node.publicKey(privateKey);
      const peerPublic = noble.publicKey(peerPrivate);
      const where = `case ${i} (seed 25519)`;
      assert.equal(toHex(publicKey), toHex(noble.publicKey(privateKey)), where);
      assert.equal(toHex(node.sharedSecret(privateKey, rawPublic)), toHex(noble.sharedSecret(privateKey, rawPublic)), where);
      const shared = node.sharedSecret(privateKey, peerPublic);
      assert.ok(shared !== null, where);
      assert.equal(toHex(shared), toHex(noble.sharedSecret(peerPrivate, publicKey)), where);
    }
  });

  // node:crypto keeps imported public keys (x25519.ts): a key seen again, a key array its owner
  // changed, a key pushed out by 300 others, two keys with the same first bytes in turn, and a
  // low-order key asked twice must all still be computed from the bytes given now.
  test("public keys seen again, changed in place, or pushed out of the import cache give the oracle's results", () => {
    const random = createSeededRandom(7748);
    const privateKey = random.bytes(32);
    const publicKeys = Array.from({ length: 300 }, () => random.bytes(32));
    const agree = (publicKey: Uint8Array, where: string): void =>
      assert.equal(toHex(node.sharedSecret(privateKey, publicKey)), toHex(noble.sharedSecret(privateKey, publicKey)), where);
    for (const [i, publicKey] of publicKeys.entries()) agree(publicKey, `key ${i}`);
    for (const [i, publicKey] of publicKeys.slice(0, 5).entries()) agree(publicKey, `key ${i} again, after 300 others`);
    const reused = publicKeys[299]!;
    reused.set(publicKeys[0]!);
    agree(reused, "a cached key's array overwritten with another key");
    // The cache indexes keys by their first four bytes; a key sharing them is another key.
    const samePrefix = Uint8Array.from(publicKeys[1]!);
    samePrefix[16] = samePrefix[16]! ^ 0xff;
    for (const round of [1, 2]) {
      agree(samePrefix, `a key with a cached key's first four bytes, call ${round}`);
      agree(publicKeys[1]!, `that cached key again, call ${round}`);
    }
    for (const round of [1, 2]) assert.equal(node.sharedSecret(privateKey, hex(LOW_ORDER_POINTS[2]!)), null, `low order, call ${round}`);
  });
});

describe("ephemerals", () => {
  test("the portable implementation takes them from the injected random source (seeded tests repeat)", () => {
    const noble = createNobleX25519();
    const a = noble.generateEphemeral(createSeededRandom(99));
    const b = noble.generateEphemeral(createSeededRandom(99));
    assert.equal(toHex(a.publicKey), toHex(b.publicKey));
    assert.equal(toHex(a.publicKey), toHex(noble.publicKey(clampPrivateKey(createSeededRandom(99).bytes(32)))));
  });

  test("node:crypto generates them inside OpenSSL: no scalar is reachable from the key pair object", () => {
    const ephemeral = createNodeX25519().generateEphemeral(createSeededRandom(99));
    const reachable = Object.values(ephemeral).filter((value) => value instanceof Uint8Array && value !== ephemeral.publicKey);
    assert.deepEqual(reachable, []);
  });

  test("an ephemeral of one implementation is refused by the other", () => {
    const node = createNodeX25519();
    const noble = createNobleX25519();
    assert.throws(() => node.sharedSecret(noble.generateEphemeral(createSeededRandom(1)), hex(BOB_PUBLIC)), TypeError);
    assert.throws(() => noble.sharedSecret(node.generateEphemeral(createSeededRandom(1)), hex(BOB_PUBLIC)), TypeError);
  });
});

describe("createFastestX25519", () => {
  test("picks node:crypto on this runtime (OpenSSL 3 has X25519) and it computes RFC 7748 §6.1", () => {
    const fastest: X25519 = createFastestX25519();
    assert.equal(fastest.name, "node");
    assert.equal(toHex(fastest.sharedSecret(hex(BOB_PRIVATE), hex(ALICE_PUBLIC))), ALICE_BOB_SHARED);
  });
});
