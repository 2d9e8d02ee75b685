// WireGuard's HASH, MAC, HMAC and KDF_n (whitepaper §5.4), all built on BLAKE2s (RFC 7693).
//
// HASH and HMAC run on node:crypto's BLAKE2s-256 (OpenSSL 3) when this runtime has it: measured
// on Node 20 for 32–200-byte inputs it does 450,000–600,000 hashes/s against @noble/hashes'
// 135,000–360,000, and 275,000–330,000 HMACs/s against 70,000–93,000. MAC is keyed BLAKE2s with
// a 16-byte output, which node:crypto does not offer: it runs on blake2s.ts, ~9× faster here
// than @noble/hashes' BLAKE2s (mac1 and mac2 checks are what a handshake flood costs per
// datagram).
//
// Buffer ownership: inputs are only read; every result is a fresh Uint8Array owning its memory.

import { createHash, createHmac } from "node:crypto";
import { blake2s } from "@noble/hashes/blake2.js";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { blake2s as blake2sKeyed, createBlake2s } from "./blake2s.js";

const MAC_BYTES = 16;
// Keyed BLAKE2s takes keys of 1 to 32 bytes (RFC 7693 §2.5, kk ≤ 32).
const MAC_KEY_MAX_BYTES = 32;

interface Blake2s256 {
  hash(inputs: readonly Uint8Array[]): Uint8Array;
  hmac(key: Uint8Array, inputs: readonly Uint8Array[]): Uint8Array;
}

const nodeBlake2s256: Blake2s256 = {
  hash(inputs) {
    const state = createHash("blake2s256");
    for (const input of inputs) state.update(input);
    return ownedView(state.digest());
  },
  hmac(key, inputs) {
    const state = createHmac("blake2s256", key);
    for (const input of inputs) state.update(input);
    return ownedView(state.digest());
  },
};

const nobleBlake2s256: Blake2s256 = {
  hash(inputs) {
    const state = blake2s.create();
    for (const input of inputs) state.update(input);
    return state.digest();
  },
  hmac(key, inputs) {
    const state = nobleHmac.create(blake2s, key);
    for (const input of inputs) state.update(input);
    return state.digest();
  },
};

// Chosen on first use rather than at import (nothing runs at import time), then kept: whether
// this runtime's OpenSSL has BLAKE2s cannot change while it runs.
let selected: Blake2s256 | undefined;

function blake2s256(): Blake2s256 {
  return (selected ??= nodeHasBlake2s256() ? nodeBlake2s256 : nobleBlake2s256);
}

// RFC 7693 Appendix B: BLAKE2s-256("abc"). A runtime without it (a FIPS-only or BoringSSL build)
// throws from createHash; one that answered wrongly would be just as unusable.
function nodeHasBlake2s256(): boolean {
  try {
    const digest = createHash("blake2s256").update("abc").digest("hex");
    return digest === "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982";
  } catch {
    return false;
  }
}

// HASH(input): BLAKE2s-256 of the concatenation of `inputs` (concatenated without copying).
export function hash(...inputs: Uint8Array[]): Uint8Array {
  return blake2s256().hash(inputs);
}

// MAC(key, input): keyed BLAKE2s with a 16-byte output (whitepaper §5.4, used for mac1 and
// mac2, §5.4.4). Not a truncation of a 32-byte digest: the output length is hashed in (RFC 7693
// §2.5). `key` is 1–32 bytes (32 for mac1's HASH(LABEL_MAC1 ‖ S_pub), 16 for a cookie).
export function mac(key: Uint8Array, input: Uint8Array): Uint8Array {
  requireMacKey(key);
  return blake2sKeyed(input, key, MAC_BYTES);
}

// MAC(key, ·) for a key used many times (the device's mac1 key, the cookie secret): the same
// results as mac(), one BLAKE2s block cheaper each.
export type MacUnderKey = (input: Uint8Array) => Uint8Array;

export function createMac(key: Uint8Array): MacUnderKey {
  requireMacKey(key);
  const keyed = createBlake2s(key, MAC_BYTES);
  return (input) => keyed.digest(input);
}

function requireMacKey(key: Uint8Array): void {
  if (key.length < 1 || key.length > MAC_KEY_MAX_BYTES) {
    throw new RangeError(`MAC key must be 1 to ${MAC_KEY_MAX_BYTES} bytes, got ${key.length}`);
  }
}

// HMAC(key, input): RFC 2104 HMAC over BLAKE2s-256 (64-byte block), 32 bytes.
export function hmac(key: Uint8Array, input: Uint8Array): Uint8Array {
  return blake2s256().hmac(key, [input]);
}

// KDF_n(key, input) (whitepaper §5.4, the HKDF of RFC 5869 with HMAC-BLAKE2s):
//   τ0 = HMAC(key, input), τ1 = HMAC(τ0, 0x1), τ2 = HMAC(τ0, τ1 ‖ 0x2), τ3 = HMAC(τ0, τ2 ‖ 0x3),
// returning τ1 … τn, 32 bytes each. τ0 is zeroed once the outputs are derived.
const BYTE_1 = Uint8Array.of(1);
const BYTE_2 = Uint8Array.of(2);
const BYTE_3 = Uint8Array.of(3);

export function kdf1(key: Uint8Array, input: Uint8Array): [Uint8Array] {
  const blake = blake2s256();
  const tau0 = blake.hmac(key, [input]);
  const tau1 = blake.hmac(tau0, [BYTE_1]);
  tau0.fill(0);
  return [tau1];
}

export function kdf2(key: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array] {
  const blake = blake2s256();
  const tau0 = blake.hmac(key, [input]);
  const tau1 = blake.hmac(tau0, [BYTE_1]);
  const tau2 = blake.hmac(tau0, [tau1, BYTE_2]);
  tau0.fill(0);
  return [tau1, tau2];
}

export function kdf3(key: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] {
  const blake = blake2s256();
  const tau0 = blake.hmac(key, [input]);
  const tau1 = blake.hmac(tau0, [BYTE_1]);
  const tau2 = blake.hmac(tau0, [tau1, BYTE_2]);
  const tau3 = blake.hmac(tau0, [tau2, BYTE_3]);
  tau0.fill(0);
  return [tau1, tau2, tau3];
}

// Node's digest() allocates a Buffer of its own; viewing it as a plain Uint8Array (not a Buffer)
// keeps results comparable with other byte arrays without copying.
function ownedView(digest: Buffer): Uint8Array {
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}
