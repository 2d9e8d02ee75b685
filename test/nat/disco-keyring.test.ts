// The keyring is the one door disco packets come in by: only peers of the netmap, only
// authentic packets, every drop counted by reason, nothing thrown.

import assert from "node:assert/strict";
import { test } from "node:test";
import { createCryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import { createDiscoKeyring, type DiscoKeyring } from "../../src/nat/disco-keyring.js";
import { encodeKey } from "../../src/wireguard/key-base64.js";
import { clampPrivateKey, createFastestX25519, type X25519 } from "../../src/wireguard/x25519.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const crypto = createCryptoCore(compileCryptoWasm("release"));
const PING = { type: "ping", txid: new Uint8Array(12).fill(9) } as const;

function node(seed: number, x25519: X25519 = createFastestX25519()): { key: string; publicKey: Uint8Array; ring: DiscoKeyring; calls: () => number } {
  const random = createSeededRandom(seed);
  const privateKey = clampPrivateKey(random.bytes(32));
  let calls = 0;
  const counting: X25519 = { ...x25519, sharedSecret: (a, b) => (calls++, x25519.sharedSecret(a, b)) };
  const publicKey = x25519.publicKey(privateKey);
  return { key: encodeKey(publicKey), publicKey, ring: createDiscoKeyring({ crypto, x25519: counting, random, self: { privateKey, publicKey } }), calls: () => calls };
}

test("two peers open each other's packets; the sender is named", () => {
  const a = node(1);
  const b = node(2);
  a.ring.add(b.publicKey);
  b.ring.add(a.publicKey);
  const packet = a.ring.seal(b.key, PING)!;
  assert.deepEqual(b.ring.open(packet), { sender: a.key, message: PING });
  assert.deepEqual(b.ring.drops(), { malformed: 0, unknownSender: 0, unusableKey: 0, notAuthentic: 0 });
});

test("keys are derived on first use, once", () => {
  const a = node(3);
  const peers = [node(4), node(5), node(6)];
  for (const peer of peers) a.ring.add(peer.publicKey);
  assert.equal(a.calls(), 0, "adding peers costs no X25519");
  a.ring.seal(peers[0]!.key, PING);
  a.ring.seal(peers[0]!.key, PING);
  assert.equal(a.calls(), 1);
});

test("unknown senders, reflections, forgeries, low-order keys and garbage are dropped and counted", () => {
  const a = node(7);
  const b = node(8);
  const stranger = node(9);
  b.ring.add(a.publicKey);
  a.ring.add(b.publicKey);
  stranger.ring.add(b.publicKey);
  const lowOrder = new Uint8Array(32); // X25519 with it is all zeros (RFC 7748 §6.1)
  b.ring.add(lowOrder);

  assert.equal(b.ring.open(stranger.ring.seal(b.key, PING)!), null, "a sender that is not a peer");
  assert.equal(a.ring.open(a.ring.seal(b.key, PING)!), null, "our own packet reflected back names us, not a peer");
  const forged = a.ring.seal(b.key, PING)!;
  forged[forged.length - 1]! ^= 1;
  assert.equal(b.ring.open(forged), null, "a flipped tag bit");
  const relabelled = stranger.ring.seal(b.key, PING)!;
  relabelled.set(a.publicKey, 5);
  assert.equal(b.ring.open(relabelled), null, "a stranger's packet claiming a peer's key");
  const fromLowOrder = a.ring.seal(b.key, PING)!;
  fromLowOrder.set(lowOrder, 5);
  assert.equal(b.ring.open(fromLowOrder), null, "a peer whose key is low-order");
  assert.equal(b.ring.open(Uint8Array.of(0x6d, 0x67, 0xd1, 0x5c, 1)), null, "a header and nothing else");
  assert.equal(b.ring.seal(encodeKey(lowOrder), PING), null, "nothing can be sealed to a low-order key");
  assert.equal(b.ring.usable(encodeKey(lowOrder)), false);

  assert.deepEqual(b.ring.drops(), { malformed: 1, unknownSender: 1, unusableKey: 1, notAuthentic: 2 });
  assert.deepEqual(a.ring.drops(), { malformed: 0, unknownSender: 1, unusableKey: 0, notAuthentic: 0 });
});

test("a removed peer is unknown again; the node's own key is never a peer", () => {
  const a = node(10);
  const b = node(11);
  b.ring.add(a.publicKey);
  a.ring.add(b.publicKey);
  a.ring.add(a.publicKey);
  const packet = a.ring.seal(b.key, PING)!;
  b.ring.remove(a.key);
  assert.equal(b.ring.open(packet), null);
  assert.equal(b.ring.drops().unknownSender, 1);
  assert.equal(a.ring.seal(a.key, PING), null, "no disco key with ourselves");
});
