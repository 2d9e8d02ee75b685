// The handshake functions directly: both sides derive mirrored transport keys, and every
// deviation (wrong peer, wrong preshared key, replayed timestamp, tampered field, low-order
// ephemeral) fails without an exception.

import assert from "node:assert/strict";
import { test } from "node:test";
import { createCryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import { decodeInitiation, decodeResponse } from "../../src/wireguard/messages.js";
import {
  consumeInitiation,
  consumeResponse,
  createInitiation,
  createResponse,
  WIREGUARD_HANDSHAKE,
  ZERO_KEY,
  type LocalIdentity,
  type NoiseDeps,
  type RemoteIdentity,
} from "../../src/wireguard/noise.js";
import { clampPrivateKey, createFastestX25519 } from "../../src/wireguard/x25519.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const x25519 = createFastestX25519();
const deps: NoiseDeps = { protocol: WIREGUARD_HANDSHAKE, crypto: createCryptoCore(compileCryptoWasm("release")), x25519, random: createSeededRandom(0x401) };

function identity(seed: number): LocalIdentity {
  const privateKey = clampPrivateKey(createSeededRandom(seed).bytes(32));
  return { privateKey, publicKey: x25519.publicKey(privateKey) };
}
function remote(local: LocalIdentity, other: LocalIdentity, presharedKey: Uint8Array = ZERO_KEY): RemoteIdentity {
  return { publicKey: other.publicKey, presharedKey, staticStatic: x25519.sharedSecret(local.privateKey, other.publicKey) };
}

const alice = identity(1);
const bob = identity(2);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

function handshake(psk: { alice: Uint8Array; bob: Uint8Array } = { alice: ZERO_KEY as Uint8Array, bob: ZERO_KEY as Uint8Array }, wallClockMs = 1_700_000_000_000) {
  const started = createInitiation(deps, alice, remote(alice, bob, psk.alice), 11, wallClockMs)!;
  const consumed = consumeInitiation(deps, bob, decodeInitiation(started.message)!, (key) =>
    hex(key) === hex(alice.publicKey) ? { remote: remote(bob, alice, psk.bob), lastTimestamp: null } : null,
  );
  return { started, consumed };
}

test("initiator and responder derive mirrored transport keys, with and without a preshared key", () => {
  for (const psk of [ZERO_KEY as Uint8Array, createSeededRandom(9).bytes(32)]) {
    const { started, consumed } = handshake({ alice: psk, bob: psk });
    assert.ok(consumed, "bob consumed the initiation");
    assert.equal(hex(consumed.remoteStatic), hex(alice.publicKey), "bob learned alice's static key");
    const response = createResponse(deps, remote(bob, alice, psk), consumed, 22)!;
    const aliceKeys = consumeResponse(deps, alice, remote(alice, bob, psk), started.state, decodeResponse(response.message)!)!;
    assert.ok(aliceKeys);
    assert.equal(hex(aliceKeys.send), hex(response.keys.receive));
    assert.equal(hex(aliceKeys.receive), hex(response.keys.send));
    assert.notEqual(hex(aliceKeys.send), hex(aliceKeys.receive));
  }
});

test("different preshared keys: the response does not authenticate", () => {
  const psk = createSeededRandom(10).bytes(32);
  const { started, consumed } = handshake({ alice: ZERO_KEY, bob: psk });
  const response = createResponse(deps, remote(bob, alice, psk), consumed!, 22)!;
  assert.equal(consumeResponse(deps, alice, remote(alice, bob), started.state, decodeResponse(response.message)!), null);
});

test("an unknown initiator, an old timestamp and any tampered field are refused", () => {
  const { started } = handshake();
  const initiation = decodeInitiation(started.message)!;
  assert.equal(consumeInitiation(deps, bob, initiation, () => null), null, "unknown static key");
  const newer = handshake(undefined, 1_700_000_001_000).consumed!;
  assert.equal(
    consumeInitiation(deps, bob, initiation, () => ({ remote: remote(bob, alice), lastTimestamp: newer.timestamp })),
    null,
    "timestamp older than the last accepted",
  );
  const accepted = consumeInitiation(deps, bob, initiation, () => ({ remote: remote(bob, alice), lastTimestamp: null }))!;
  assert.equal(
    consumeInitiation(deps, bob, initiation, () => ({ remote: remote(bob, alice), lastTimestamp: accepted.timestamp })),
    null,
    "the same timestamp again (a replay)",
  );
  for (const offset of [8, 40, 87, 88, 115]) {
    const tampered = started.message.slice();
    tampered[offset]! ^= 0x80;
    assert.equal(
      consumeInitiation(deps, bob, decodeInitiation(tampered)!, () => ({ remote: remote(bob, alice), lastTimestamp: null })),
      null,
      `byte ${offset} flipped`,
    );
  }
});

test("a low-order ephemeral key fails cleanly", () => {
  const { started } = handshake();
  const lowOrder = started.message.slice();
  lowOrder.fill(0, 8, 40); // the all-zero point
  assert.equal(consumeInitiation(deps, bob, decodeInitiation(lowOrder)!, () => ({ remote: remote(bob, alice), lastTimestamp: null })), null);
});
