// What the coordinator's STUN server answers (src/nat/stun-responder.ts): a Binding request
// gets the source endpoint back in XOR-MAPPED-ADDRESS; everything else is a drop with a reason.

import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeStunMessage, encodeBindingRequest, encodeBindingSuccess, STUN_BINDING_SUCCESS } from "../../src/nat/stun.js";
import { respondToStun, STUN_MAX_REQUEST_BYTES, type StunVerdict } from "../../src/nat/stun-responder.js";
import { RFC5769_IPV4_RESPONSE, RFC5769_REQUEST, RFC5769_TRANSACTION_ID } from "./stun-vectors.js";

const ID = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);

const answered = (verdict: StunVerdict) => {
  assert.equal(verdict.kind, "answer", JSON.stringify(verdict));
  const message = decodeStunMessage((verdict as { bytes: Uint8Array }).bytes);
  assert.ok(message !== null);
  assert.equal(message.type, STUN_BINDING_SUCCESS);
  assert.equal(message.fingerprint, true, "FINGERPRINT on every response");
  return message;
};

test("a Binding request is answered with the endpoint it came from, under its transaction id", () => {
  for (const from of [{ host: "203.0.113.7", port: 41641 }, { host: "2001:db8::7", port: 1 }, { host: "198.51.100.9", port: 65535 }]) {
    const message = answered(respondToStun(encodeBindingRequest(ID), from));
    assert.deepEqual(message.mapped, from);
    assert.deepEqual(message.transactionId, ID);
  }
});

test("RFC 5769 §2.1's request (ICE attributes, MESSAGE-INTEGRITY we do not check) is answered", () => {
  const message = answered(respondToStun(RFC5769_REQUEST, { host: "192.0.2.1", port: 32853 }));
  assert.deepEqual(message.transactionId, RFC5769_TRANSACTION_ID);
  assert.deepEqual(message.mapped, { host: "192.0.2.1", port: 32853 });
});

test("an IPv4 client of a dual-stack socket is told its IPv4 address; a zone index is dropped", () => {
  assert.deepEqual(answered(respondToStun(encodeBindingRequest(ID), { host: "::ffff:203.0.113.7", port: 4000 })).mapped, { host: "203.0.113.7", port: 4000 });
  assert.deepEqual(answered(respondToStun(encodeBindingRequest(ID), { host: "fe80::1%eth0", port: 4000 })).mapped, { host: "fe80::1", port: 4000 });
});

test("everything else is dropped, with its reason", () => {
  const from = { host: "203.0.113.7", port: 41641 };
  const wireguard = new Uint8Array(148);
  wireguard[0] = 1;
  const badFingerprint = encodeBindingRequest(ID);
  badFingerprint[badFingerprint.length - 1] = badFingerprint[badFingerprint.length - 1]! ^ 1;
  const huge = new Uint8Array(STUN_MAX_REQUEST_BYTES + 1);
  huge.set(encodeBindingRequest(ID));
  const cases: [string, Uint8Array, { host: string; port: number }, string][] = [
    ["a WireGuard initiation", wireguard, from, "not-stun"],
    ["empty", new Uint8Array(0), from, "not-stun"],
    ["a wrong FINGERPRINT", badFingerprint, from, "malformed"],
    ["a success response (reflection between two servers)", encodeBindingSuccess(ID, from), from, "not-binding-request"],
    ["RFC 5769 §2.2's response", RFC5769_IPV4_RESPONSE, from, "not-binding-request"],
    ["over the size limit", huge, from, "oversize"],
    ["from port 0", encodeBindingRequest(ID), { host: "203.0.113.7", port: 0 }, "bad-source"],
    ["from a non-address", encodeBindingRequest(ID), { host: "example.com", port: 1 }, "bad-source"],
  ];
  for (const [what, bytes, source, reason] of cases) assert.deepEqual(respondToStun(bytes, source), { kind: "drop", reason }, what);
});
