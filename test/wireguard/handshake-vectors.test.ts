// The handshake against known answers from an independent implementation
// (test/vectors/wireguard-handshake.ts): fixed keys, ephemerals, indices and wall clock must give
// exactly those bytes — the initiation with its MACs, the response, and the transport keys — on
// both sides. The control channel's vector goes through its real client and coordinator code.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createCryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import { beginClientSession, createCoordinatorChannel } from "../../src/mesh/control-channel.js";
import { addMacs, createCookieJar, mac1Key } from "../../src/wireguard/cookie.js";
import { decodeInitiation, decodeResponse } from "../../src/wireguard/messages.js";
import {
  consumeInitiation,
  consumeResponse,
  createInitiation,
  createResponse,
  WIREGUARD_HANDSHAKE,
  type NoiseDeps,
} from "../../src/wireguard/noise.js";
import type { RandomSource } from "../../src/wireguard/random-source.js";
import { createNobleX25519 } from "../../src/wireguard/x25519.js";
import { HANDSHAKE_VECTORS, type HandshakeVector } from "../vectors/wireguard-handshake.js";

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "hex"));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const crypto = createCryptoCore(compileCryptoWasm("release"));
// The portable X25519 takes ephemerals from the random source, so they can be fixed.
const x25519 = createNobleX25519();

// Answers each request for `length` bytes with the next value queued for that length.
function scriptedRandom(script: Record<number, Uint8Array[]>): RandomSource {
  return {
    bytes(length) {
      const next = script[length]?.shift();
      if (next === undefined) throw new Error(`the vector does not script ${length} random bytes`);
      return next.slice();
    },
  };
}

const littleEndian = (value: number): Uint8Array => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
};

function parties(vector: HandshakeVector) {
  const initiator = { privateKey: hex(vector.initiatorStatic), publicKey: x25519.publicKey(hex(vector.initiatorStatic)) };
  const responder = { privateKey: hex(vector.responderStatic), publicKey: x25519.publicKey(hex(vector.responderStatic)) };
  const psk = hex(vector.presharedKey);
  return {
    initiator,
    responder,
    responderAsSeen: { publicKey: responder.publicKey, presharedKey: psk, staticStatic: x25519.sharedSecret(initiator.privateKey, responder.publicKey) },
    initiatorAsSeen: { publicKey: initiator.publicKey, presharedKey: psk, staticStatic: x25519.sharedSecret(responder.privateKey, initiator.publicKey) },
  };
}

describe("handshake known answers (whitepaper §5.4, independent reference)", () => {
  for (const name of ["wireguard", "wireguardPskCookie"] as const) {
    const vector = HANDSHAKE_VECTORS[name];
    test(`${name}: initiation, response and transport keys, byte for byte`, () => {
      const { initiator, responder, responderAsSeen, initiatorAsSeen } = parties(vector);
      const deps = (ephemeral: string): NoiseDeps => ({ protocol: WIREGUARD_HANDSHAKE, crypto, x25519, random: scriptedRandom({ 32: [hex(ephemeral)] }) });
      const now = 5000;

      const started = createInitiation(deps(vector.initiatorEphemeral), initiator, responderAsSeen, vector.initiatorIndex, vector.wallClockMs)!;
      const jar = createCookieJar();
      if (vector.cookie !== "") Object.assign(jar, { cookie: hex(vector.cookie), receivedAt: now });
      addMacs(started.message, mac1Key(responder.publicKey), jar, now);
      assert.equal(toHex(started.message), vector.initiation);

      const consumed = consumeInitiation(deps(vector.initiatorEphemeral), responder, decodeInitiation(started.message)!, () => ({ remote: initiatorAsSeen, lastTimestamp: null }))!;
      assert.ok(consumed, "the responder accepts the initiation");
      const answered = createResponse(deps(vector.responderEphemeral), initiatorAsSeen, consumed, vector.responderIndex)!;
      addMacs(answered.message, mac1Key(initiator.publicKey), createCookieJar(), now);
      assert.equal(toHex(answered.message), vector.response);
      assert.equal(toHex(answered.keys.receive), vector.initiatorSend);
      assert.equal(toHex(answered.keys.send), vector.initiatorReceive);

      const keys = consumeResponse(deps(vector.initiatorEphemeral), initiator, responderAsSeen, started.state, decodeResponse(answered.message)!)!;
      assert.equal(toHex(keys.send), vector.initiatorSend);
      assert.equal(toHex(keys.receive), vector.initiatorReceive);
    });
  }

  test("control: the control channel's client and coordinator produce the reference bytes", () => {
    const vector = HANDSHAKE_VECTORS.control;
    const { initiator, responder } = parties(vector);
    const client = beginClientSession(
      { crypto, x25519, random: scriptedRandom({ 4: [littleEndian(vector.initiatorIndex)], 32: [hex(vector.initiatorEphemeral)] }) },
      initiator,
      responder.publicKey,
      vector.wallClockMs,
    );
    assert.equal(toHex(client.initiation), vector.initiation);
    const channel = createCoordinatorChannel({ crypto, x25519, random: scriptedRandom({ 32: [hex(vector.responderEphemeral)] }) }, responder);
    const checked = channel.check(client.initiation);
    assert.ok(typeof checked === "object", `mac1 checks (${String(checked)})`);
    const accepted = channel.accept(checked, 0, { lastTimestamp: () => null, newSessionId: () => vector.responderIndex });
    assert.ok(accepted !== null, "accepted");
    assert.equal(toHex(accepted.response), vector.response);
    const session = client.complete(accepted.response, 0);
    assert.ok(session !== null && session.id === vector.responderIndex);
  });
});
