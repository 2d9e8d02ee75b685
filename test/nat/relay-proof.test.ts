// The relay proof's key and MAC, checked against an independent HKDF and keyed BLAKE2s
// (@noble/hashes): the construction is what the README says, both ends agree, and the labels
// keep the TCP and UDP relays' keys apart.

import assert from "node:assert/strict";
import { test } from "node:test";
import { blake2s } from "@noble/hashes/blake2.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { equalMacs, relayPairKey, relayProof, TCP_RELAY_LABEL, UDP_RELAY_LABEL } from "../../src/nat/relay-proof.js";
import { identity, x25519 } from "./relay-fixture.js";

const node = identity(21);
const relay = identity(22);

test("the key is HKDF-BLAKE2s(DH, salt = label, empty info), the same at both ends", () => {
  const atNode = relayPairKey(x25519, node.privateKey, relay.publicKey, TCP_RELAY_LABEL)!;
  const atRelay = relayPairKey(x25519, relay.privateKey, node.publicKey, TCP_RELAY_LABEL)!;
  assert.deepEqual(atNode, atRelay);
  const dh = x25519.sharedSecret(node.privateKey, relay.publicKey)!;
  assert.deepEqual(atNode, hkdf(blake2s, dh, TCP_RELAY_LABEL, new Uint8Array(0), 32));
  assert.equal(new TextDecoder().decode(TCP_RELAY_LABEL), "meshgate relay v1");
  assert.equal(new TextDecoder().decode(UDP_RELAY_LABEL), "meshgate udp relay v1");
  const udp = relayPairKey(x25519, node.privateKey, relay.publicKey, UDP_RELAY_LABEL)!;
  assert.notDeepEqual(udp, atNode, "each relay has a key of its own");
});

test("the proof is keyed BLAKE2s-128 over the parts concatenated; the check is exact", () => {
  const key = relayPairKey(x25519, node.privateKey, relay.publicKey, TCP_RELAY_LABEL)!;
  const challenge = new Uint8Array(32).fill(9);
  const proof = relayProof(key, challenge, node.publicKey);
  assert.deepEqual(proof, blake2s(Buffer.concat([challenge, node.publicKey]), { key, dkLen: 16 }));
  assert.ok(equalMacs(proof, proof.slice()));
  for (let i = 0; i < 16; i++) {
    const flipped = proof.slice();
    flipped[i]! ^= 1;
    assert.ok(!equalMacs(proof, flipped), `byte ${i}`);
  }
  assert.ok(!equalMacs(proof, proof.subarray(0, 15)), "a shorter MAC");
});

test("a low-order peer key gives no key at all", () => {
  assert.equal(relayPairKey(x25519, node.privateKey, new Uint8Array(32), TCP_RELAY_LABEL), null);
});
