// MAC1, MAC2 and cookie replies (whitepaper §5.4.4, §5.4.7): who can produce what, for how long.

import assert from "node:assert/strict";
import { test } from "node:test";
import { createCryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import {
  addMacs,
  consumeCookieReply,
  COOKIE_REFRESH_TIME_MS,
  cookieKey,
  createCookieChecker,
  createCookieJar,
  createCookieReply,
  createCookieSource,
  hasValidMac1,
  hasValidMac2,
  mac1Key,
} from "../../src/wireguard/cookie.js";
import { decodeCookieReply, INITIATION_BYTES } from "../../src/wireguard/messages.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const crypto = createCryptoCore(compileCryptoWasm("release"));
const random = createSeededRandom(0xc00c1e);
const responderPublic = random.bytes(32);
const sourceBytes = Uint8Array.of(192, 0, 2, 1, 0xca, 0x6c);

function freshMessage(): Uint8Array {
  const message = random.bytes(INITIATION_BYTES);
  message.set([1, 0, 0, 0]);
  return message;
}

test("mac1 proves knowledge of the receiver's public key; any change breaks it", () => {
  const checker = createCookieChecker(responderPublic);
  const message = freshMessage();
  addMacs(message, mac1Key(responderPublic), createCookieJar(), 0);
  assert.ok(hasValidMac1(checker, message));
  const other = freshMessage();
  addMacs(other, mac1Key(random.bytes(32)), createCookieJar(), 0);
  assert.equal(hasValidMac1(checker, other), false, "mac1 under another key");
  for (const offset of [0, 50, INITIATION_BYTES - 33, INITIATION_BYTES - 32, INITIATION_BYTES - 17]) {
    const tampered = message.slice();
    tampered[offset]! ^= 1;
    assert.equal(hasValidMac1(checker, tampered), false, `byte ${offset}`);
  }
});

test("cookie reply round trip: the sender adds a valid mac2 until the cookie is too old", () => {
  const checker = createCookieChecker(responderPublic);
  const source = createCookieSource(sourceBytes);
  const jar = createCookieJar();
  const first = freshMessage();
  addMacs(first, mac1Key(responderPublic), jar, 1000);
  assert.equal(hasValidMac2(checker, first, source, 1000), false, "no cookie yet");
  const reply = createCookieReply(crypto, random, checker, first, 77, source, 1000);
  assert.equal(decodeCookieReply(reply)!.receiverIndex, 77);
  assert.ok(consumeCookieReply(crypto, decodeCookieReply(reply)!, cookieKey(responderPublic), jar, 1000));

  const second = freshMessage();
  addMacs(second, mac1Key(responderPublic), jar, 2000);
  assert.ok(hasValidMac2(checker, second, source, 2000));
  assert.equal(hasValidMac2(checker, second, createCookieSource(Uint8Array.of(192, 0, 2, 2, 0xca, 0x6c)), 2000), false, "bound to the source");

  const late = freshMessage();
  addMacs(late, mac1Key(responderPublic), jar, 1000 + COOKIE_REFRESH_TIME_MS);
  assert.deepEqual([...late.subarray(INITIATION_BYTES - 16)], new Array(16).fill(0), "an old cookie is not used");
  assert.equal(hasValidMac2(checker, second, source, 1000 + COOKIE_REFRESH_TIME_MS), false, "the secret expired");
});

test("a cookie reply is bound to our last mac1 and to the responder's key", () => {
  const checker = createCookieChecker(responderPublic);
  const jar = createCookieJar();
  const message = freshMessage();
  addMacs(message, mac1Key(responderPublic), jar, 0);
  const reply = decodeCookieReply(createCookieReply(crypto, random, checker, message, 1, createCookieSource(sourceBytes), 0))!;
  assert.equal(consumeCookieReply(crypto, reply, cookieKey(random.bytes(32)), jar, 0), false, "wrong responder key");
  addMacs(freshMessage(), mac1Key(responderPublic), jar, 0); // we sent something newer since
  assert.equal(consumeCookieReply(crypto, reply, cookieKey(responderPublic), jar, 0), false, "answers an older message");
  assert.equal(consumeCookieReply(crypto, reply, cookieKey(responderPublic), createCookieJar(), 0), false, "we sent nothing");
});

test("a source's prepared cookie follows the secret: a new secret, or another checker, never reuses it", () => {
  const source = createCookieSource(sourceBytes);
  const first = createCookieChecker(responderPublic);
  const jar = createCookieJar();
  const ask = freshMessage();
  addMacs(ask, mac1Key(responderPublic), jar, 0);
  assert.ok(consumeCookieReply(crypto, decodeCookieReply(createCookieReply(crypto, random, first, ask, 1, source, 0))!, cookieKey(responderPublic), jar, 0));
  const withCookie = freshMessage();
  addMacs(withCookie, mac1Key(responderPublic), jar, 10);
  assert.ok(hasValidMac2(first, withCookie, source, 10));

  // The same source object against a second checker (a new private key, say) whose secret
  // happens to be made at the same instant: the first checker's cookie must not carry over.
  const second = createCookieChecker(responderPublic);
  createCookieReply(crypto, random, second, freshMessage(), 2, createCookieSource(sourceBytes), 0);
  assert.equal(second.secretCreatedAt, first.secretCreatedAt);
  assert.equal(hasValidMac2(second, withCookie, source, 10), false);
  assert.ok(hasValidMac2(first, withCookie, source, 10), "and back: the first checker still accepts it");

  // After the secret rotates, the old cookie's mac2 is refused, and a new reply gives a new cookie.
  const later = COOKIE_REFRESH_TIME_MS + 5;
  const reply = createCookieReply(crypto, random, first, withCookie, 3, source, later);
  assert.equal(hasValidMac2(first, withCookie, source, later), false);
  assert.ok(consumeCookieReply(crypto, decodeCookieReply(reply)!, cookieKey(responderPublic), jar, later));
  const renewed = freshMessage();
  addMacs(renewed, mac1Key(responderPublic), jar, later);
  assert.ok(hasValidMac2(first, renewed, source, later));
});
