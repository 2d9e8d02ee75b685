// MACs and cookies: WireGuard's denial-of-service defence (whitepaper §5.3, §5.4.4, §5.4.7).
//
// Every handshake message carries mac1 = MAC(HASH(LABEL_MAC1 ‖ Spub_receiver), msg up to mac1),
// which proves the sender knows the receiver's public key; a receiver drops messages without a
// valid mac1 before any Curve25519 work. Under load, a receiver also demands mac2 =
// MAC(cookie, msg up to mac2), where the cookie is MAC(secret, sender's IP and port) and the
// secret changes every COOKIE_REFRESH_TIME_MS; a message without it gets a cookie reply
// (the cookie, XChaCha20-Poly1305-sealed under HASH(LABEL_COOKIE ‖ Spub_receiver) with the
// message's mac1 as associated data) instead of a handshake. The sender keeps the cookie for
// COOKIE_REFRESH_TIME_MS and adds mac2 to its next messages.

import type { CryptoCore } from "../dataplane/crypto-core.js";
import { createMac, hash, mac, type MacUnderKey } from "./kdf.js";
import { encodeCookieReply, MAC_BYTES, type CookieReply } from "./messages.js";
import { WIREGUARD_HANDSHAKE, type HandshakeProtocol } from "./noise.js";
import type { RandomSource } from "./random-source.js";

const encoder = new TextEncoder();
const LABEL_COOKIE = encoder.encode("cookie--");
// whitepaper §6.1: the cookie secret's and a received cookie's lifetime.
export const COOKIE_REFRESH_TIME_MS = 120_000;
const COOKIE_BYTES = 16;
const COOKIE_NONCE_BYTES = 24;

// The label is the protocol's (noise.ts): WireGuard's "mac1----" unless another is given.
export function mac1Key(publicKey: Uint8Array, protocol: HandshakeProtocol = WIREGUARD_HANDSHAKE): Uint8Array {
  return hash(protocol.mac1Label, publicKey);
}

export function cookieKey(publicKey: Uint8Array): Uint8Array {
  return hash(LABEL_COOKIE, publicKey);
}

// Where mac1 and mac2 sit: the last 32 and the last 16 bytes of a handshake message.
const mac1Offset = (message: Uint8Array): number => message.length - 2 * MAC_BYTES;
const mac2Offset = (message: Uint8Array): number => message.length - MAC_BYTES;

function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

// --- Sending side: one per peer ---------------------------------------------------------

export interface CookieJar {
  // The cookie from the peer's last cookie reply and when it came, if any.
  cookie: Uint8Array | null;
  receivedAt: number;
  // mac1 of the last handshake message we sent: a cookie reply must be bound to it.
  lastMac1: Uint8Array | null;
}

export function createCookieJar(): CookieJar {
  return { cookie: null, receivedAt: 0, lastMac1: null };
}

// Writes mac1 (under the receiving peer's mac1 key) and, with a fresh cookie, mac2 into the
// last 32 bytes of `message`.
export function addMacs(message: Uint8Array, peerMac1Key: Uint8Array, jar: CookieJar, now: number): void {
  const mac1 = mac(peerMac1Key, message.subarray(0, mac1Offset(message)));
  message.set(mac1, mac1Offset(message));
  jar.lastMac1 = mac1;
  const fresh = jar.cookie !== null && now - jar.receivedAt < COOKIE_REFRESH_TIME_MS;
  const mac2 = fresh ? mac(jar.cookie!, message.subarray(0, mac2Offset(message))) : new Uint8Array(MAC_BYTES);
  message.set(mac2, mac2Offset(message));
}

// Opens a cookie reply from the peer (sealed under its cookie key, bound to our last mac1)
// and keeps the cookie. False if it is not authentic or answers nothing we sent.
export function consumeCookieReply(
  crypto: CryptoCore,
  reply: CookieReply,
  peerCookieKey: Uint8Array,
  jar: CookieJar,
  now: number,
): boolean {
  if (jar.lastMac1 === null) return false;
  const cookie = crypto.xopen(peerCookieKey, reply.nonce, reply.encryptedCookie, jar.lastMac1);
  if (cookie === null || cookie.length !== COOKIE_BYTES) return false;
  jar.cookie = Uint8Array.from(cookie);
  jar.receivedAt = now;
  return true;
}

// --- Receiving side: one per device -----------------------------------------------------

// Checking is the per-datagram cost of a handshake flood, so the MACs under the device's
// long-lived keys (mac1's, the cookie secret's, and each source's cookie) are prepared once
// (createMac) rather than per message.
export interface CookieChecker {
  readonly mac1: MacUnderKey;
  readonly cookieKey: Uint8Array;
  // MAC(secret, ·) for the current secret, and when the secret was made (null: none yet).
  cookieMac: MacUnderKey | null;
  secretCreatedAt: number | null;
}

export function createCookieChecker(localPublicKey: Uint8Array, protocol: HandshakeProtocol = WIREGUARD_HANDSHAKE): CookieChecker {
  return { mac1: createMac(mac1Key(localPublicKey, protocol)), cookieKey: cookieKey(localPublicKey), cookieMac: null, secretCreatedAt: null };
}

// A source as the checker sees it: the bytes its cookie is bound to (IP address, then port,
// big-endian) and, once worked out, its cookie under the current secret with MAC(cookie, ·)
// prepared — a source sending many messages costs one cookie per secret, not one per message.
export interface CookieSource {
  readonly bytes: Uint8Array;
  // The secret's MAC `cookie` was made with (identity, not a time: unique per secret, and per
  // checker when a new private key brings a new one).
  madeWith: MacUnderKey | null;
  cookie: Uint8Array | null;
  mac2: MacUnderKey | null;
}

export function createCookieSource(bytes: Uint8Array): CookieSource {
  return { bytes, madeWith: null, cookie: null, mac2: null };
}

export function hasValidMac1(checker: CookieChecker, message: Uint8Array): boolean {
  const expected = checker.mac1(message.subarray(0, mac1Offset(message)));
  return equalConstantTime(expected, message.subarray(mac1Offset(message), mac2Offset(message)));
}

const secretLive = (checker: CookieChecker, now: number): boolean =>
  checker.cookieMac !== null && checker.secretCreatedAt !== null && now - checker.secretCreatedAt < COOKIE_REFRESH_TIME_MS;

// Brings the source's cookie up to the current secret (the secret must be live).
function refreshCookie(checker: CookieChecker, source: CookieSource): { cookie: Uint8Array; mac2: MacUnderKey } {
  if (source.madeWith !== checker.cookieMac || source.cookie === null || source.mac2 === null) {
    source.cookie = checker.cookieMac!(source.bytes);
    source.mac2 = createMac(source.cookie);
    source.madeWith = checker.cookieMac;
  }
  return { cookie: source.cookie, mac2: source.mac2 };
}

// False also when the secret has expired: then no mac2 can be valid until a cookie reply
// issues a new secret.
export function hasValidMac2(checker: CookieChecker, message: Uint8Array, source: CookieSource, now: number): boolean {
  if (!secretLive(checker, now)) return false;
  const expected = refreshCookie(checker, source).mac2(message.subarray(0, mac2Offset(message)));
  return equalConstantTime(expected, message.subarray(mac2Offset(message)));
}

// The cookie reply to a handshake message (with a valid mac1) from `source`, addressed to the
// message's sender index. Rotates the secret when it is older than COOKIE_REFRESH_TIME_MS (the
// secret itself is not kept: only the MAC prepared under it).
export function createCookieReply(
  crypto: CryptoCore,
  random: RandomSource,
  checker: CookieChecker,
  message: Uint8Array,
  senderIndex: number,
  source: CookieSource,
  now: number,
): Uint8Array {
  if (!secretLive(checker, now)) {
    const secret = random.bytes(32);
    checker.cookieMac = createMac(secret);
    secret.fill(0);
    checker.secretCreatedAt = now;
  }
  const { cookie } = refreshCookie(checker, source);
  const nonce = random.bytes(COOKIE_NONCE_BYTES);
  const mac1 = message.subarray(mac1Offset(message), mac2Offset(message));
  const encryptedCookie = crypto.xseal(checker.cookieKey, nonce, cookie, mac1);
  return encodeCookieReply({ receiverIndex: senderIndex, nonce, encryptedCookie });
}
