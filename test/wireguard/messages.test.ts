// Wire formats: exact lengths, type and reserved bytes, field positions (whitepaper §5.4).

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  COOKIE_REPLY_BYTES,
  decodeCookieReply,
  decodeInitiation,
  decodeResponse,
  encodeCookieReply,
  encodeInitiation,
  encodeResponse,
  INITIATION_BYTES,
  messageType,
  RESPONSE_BYTES,
  senderIndexOf,
} from "../../src/wireguard/messages.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const random = createSeededRandom(0x3e55);

test("initiation: 148 bytes, fields where the whitepaper puts them, round trip", () => {
  const fields = { senderIndex: 0xdeadbeef, ephemeral: random.bytes(32), encryptedStatic: random.bytes(48), encryptedTimestamp: random.bytes(28) };
  const bytes = encodeInitiation(fields);
  assert.equal(bytes.length, INITIATION_BYTES);
  assert.deepEqual([...bytes.subarray(0, 8)], [1, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde], "type, reserved, sender index little-endian");
  const decoded = decodeInitiation(bytes)!;
  assert.equal(decoded.senderIndex, 0xdeadbeef);
  assert.deepEqual([...decoded.ephemeral], [...fields.ephemeral]);
  assert.deepEqual([...decoded.encryptedStatic], [...fields.encryptedStatic]);
  assert.deepEqual([...decoded.encryptedTimestamp], [...fields.encryptedTimestamp]);
  assert.deepEqual([...decoded.mac1, ...decoded.mac2], new Array(32).fill(0));
  assert.equal(senderIndexOf(bytes), 0xdeadbeef, "read without decoding the rest");
});

test("response and cookie reply round trip", () => {
  const response = { senderIndex: 7, receiverIndex: 0xffffffff, ephemeral: random.bytes(32), encryptedNothing: random.bytes(16) };
  const bytes = encodeResponse(response);
  assert.equal(bytes.length, RESPONSE_BYTES);
  const decoded = decodeResponse(bytes)!;
  assert.equal(decoded.senderIndex, 7);
  assert.equal(decoded.receiverIndex, 0xffffffff);
  assert.equal(senderIndexOf(bytes), 7);
  assert.deepEqual([...decoded.encryptedNothing], [...response.encryptedNothing]);
  const reply = { receiverIndex: 42, nonce: random.bytes(24), encryptedCookie: random.bytes(32) };
  const replyBytes = encodeCookieReply(reply);
  assert.equal(replyBytes.length, COOKIE_REPLY_BYTES);
  assert.deepEqual([...decodeCookieReply(replyBytes)!.nonce], [...reply.nonce]);
});

test("decoders refuse wrong lengths, wrong types and non-zero reserved bytes", () => {
  const initiation = encodeInitiation({ senderIndex: 1, ephemeral: random.bytes(32), encryptedStatic: random.bytes(48), encryptedTimestamp: random.bytes(28) });
  assert.equal(decodeInitiation(initiation.subarray(0, 147)), null);
  assert.equal(decodeInitiation(Uint8Array.from([...initiation, 0])), null);
  assert.equal(decodeResponse(initiation.subarray(0, RESPONSE_BYTES)), null, "type 1 is not a response");
  for (const reserved of [1, 2, 3]) {
    const bad = initiation.slice();
    bad[reserved] = 1;
    assert.equal(decodeInitiation(bad), null, `reserved byte ${reserved}`);
    assert.equal(messageType(bad), null);
  }
  for (const type of [0, 5, 255]) assert.equal(messageType(Uint8Array.of(type, 0, 0, 0)), null);
  assert.equal(messageType(Uint8Array.of(4, 0, 0)), null, "shorter than a type field");
  assert.throws(() => encodeInitiation({ senderIndex: 1, ephemeral: random.bytes(31), encryptedStatic: random.bytes(48), encryptedTimestamp: random.bytes(28) }), RangeError);
});
