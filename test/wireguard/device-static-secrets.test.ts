// The static-static DH each peer keeps (device.ts): computed once, kept while both static keys
// stand, zeroed when its peer is removed or the private key is replaced.

import assert from "node:assert/strict";
import { test } from "node:test";
import { clampPrivateKey, createFastestX25519, type X25519 } from "../../src/wireguard/x25519.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { TestMesh } from "./device-pair.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const isZero = (bytes: Uint8Array): boolean => bytes.every((byte) => byte === 0);

// Every shared secret computed from a static private key (bytes, not an ephemeral), by the key
// pair it came from: the arrays the device keeps are these very objects.
function recordingX25519(): { x25519: X25519; staticResults: (privateKey: Uint8Array, publicKey: Uint8Array) => Uint8Array[] } {
  const inner = createFastestX25519();
  const results = new Map<string, Uint8Array[]>();
  const x25519: X25519 = {
    ...inner,
    sharedSecret(privateKey, publicKey) {
      const secret = inner.sharedSecret(privateKey, publicKey);
      if (secret !== null && privateKey instanceof Uint8Array) {
        const key = `${hex(privateKey)}/${hex(publicKey)}`;
        results.set(key, [...(results.get(key) ?? []), secret]);
      }
      return secret;
    },
  };
  return { x25519, staticResults: (privateKey, publicKey) => results.get(`${hex(privateKey)}/${hex(publicKey)}`) ?? [] };
}

test("a preshared key change keeps the static-static DH; removing the peer zeroes it", () => {
  const { x25519, staticResults } = recordingX25519();
  const mesh = new TestMesh(41, {}, x25519);
  const [a, b] = mesh.pair();
  const [staticStatic, ...more] = staticResults(a.privateKey, b.publicKey);
  assert.ok(staticStatic !== undefined && !isZero(staticStatic));
  assert.equal(more.length, 0);
  a.device.upsertPeer(mesh.network.now, { publicKey: b.publicKey, presharedKey: createSeededRandom(1).bytes(32) });
  assert.equal(staticResults(a.privateKey, b.publicKey).length, 1, "not computed again");
  assert.ok(!isZero(staticStatic), "still in use");
  assert.equal(a.device.removePeer(b.publicKey), true);
  assert.ok(isZero(staticStatic));
});

test("a new private key zeroes every peer's static-static DH and computes new ones", () => {
  const { x25519, staticResults } = recordingX25519();
  const mesh = new TestMesh(42, {}, x25519);
  const [a, b] = mesh.pair();
  const [old] = staticResults(a.privateKey, b.publicKey);
  assert.ok(old !== undefined && !isZero(old));
  const newKey = clampPrivateKey(createSeededRandom(2).bytes(32));
  a.device.setPrivateKey(newKey);
  assert.ok(isZero(old));
  const [fresh] = staticResults(newKey, b.publicKey);
  assert.ok(fresh !== undefined && !isZero(fresh));
});

test("a replaced private key is forgotten by the X25519 implementation and zeroed in the device", () => {
  const inner = createFastestX25519();
  const forgotten: Uint8Array[] = [];
  const x25519: X25519 = {
    ...inner,
    forget(key) {
      if (key instanceof Uint8Array) forgotten.push(key);
      inner.forget(key);
    },
  };
  const mesh = new TestMesh(43, {}, x25519);
  const [a, b] = mesh.pair();
  const before = forgotten.length;
  a.device.setPrivateKey(clampPrivateKey(createSeededRandom(3).bytes(32)));
  const dropped = forgotten.slice(before);
  assert.equal(dropped.length, 1, "the old static key, once");
  assert.ok(isZero(dropped[0]!), "the device's copy of the old key is zeroed");
  assert.equal(hex(a.device.privateKey!), hex(clampPrivateKey(createSeededRandom(3).bytes(32))), "the new key is in place");
  assert.equal(hex(a.device.publicKey!), hex(x25519.publicKey(a.device.privateKey!)));
  assert.ok(b.device.hasPeer(a.publicKey), "b is untouched");
});
