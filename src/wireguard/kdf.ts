// WireGuard's HASH, MAC, HMAC and KDF_n (whitepaper §5.4), all built on BLAKE2s (RFC 7693),
// all on blake2s.ts. A complete handshake runs 42 HMACs (16 KDFs) and 12 HASHes, so their
// cost per call matters: measured side by side on Node 20 with 32-byte keys and inputs, an HMAC
// here takes ~0.95 µs against 2.2–4 µs for node:crypto's createHmac("blake2s256") (most of
// which is creating the OpenSSL context), and kdf2 ~2.5 µs against ~8 µs; nothing is allocated
// but the results. MAC (mac1, mac2) is keyed BLAKE2s with a 16-byte output, which node:crypto does
// not offer at all.
//
// Buffer ownership: inputs are only read; every result is a fresh Uint8Array owning its memory.
// The scratch below is reused by every call (single-threaded, no call re-enters) and zeroed
// after each HMAC and KDF, since it held keys.

import { BLAKE2S_MAX_OUTPUT_BYTES, blake2s, blake2s256AfterBlock, blake2s256AfterBlockState, blake2s256BlockState, createBlake2s } from "./blake2s.js";

const MAC_BYTES = 16;
// Keyed BLAKE2s takes keys of 1 to 32 bytes (RFC 7693 §2.5, kk ≤ 32).
const MAC_KEY_MAX_BYTES = 32;
const HASH_BYTES = BLAKE2S_MAX_OUTPUT_BYTES;
// RFC 2104: B, the hash's block size; longer keys are hashed first.
const HMAC_BLOCK_BYTES = 64;
// ipad and opad are one byte repeated, so XORing them a 32-bit word at a time is the same in
// either byte order.
const IPAD_WORD = 0x36363636;
const OPAD_WORD = 0x5c5c5c5c;
const BLAKE2S_STATE_WORDS = 8;
const EMPTY = new Uint8Array(0);

const keyBlock = new Uint8Array(HMAC_BLOCK_BYTES); // K ⊕ ipad, then K ⊕ opad
const keyBlockWords = new Uint32Array(keyBlock.buffer);
// A KDF's τ0 keys two or three HMACs: its key blocks are compressed once, into these BLAKE2s
// states (after K ⊕ ipad, after K ⊕ opad), and each HMAC under it starts from them: two
// compressions fewer per HMAC after the first (kdf2: 10 blocks instead of 12, kdf3: 12 instead
// of 16).
const innerState = new Uint32Array(BLAKE2S_STATE_WORDS);
const outerState = new Uint32Array(BLAKE2S_STATE_WORDS);
const innerDigest = new Uint8Array(HASH_BYTES);
const tau0 = new Uint8Array(HASH_BYTES);
// τ(i−1) ‖ i, the input of each KDF output after the first (which is the byte 1 alone).
const chained = new Uint8Array(HASH_BYTES + 1);
const firstCounter = chained.subarray(0, 1);
// HASH of several inputs hashes their concatenation, gathered here (grown on demand).
let gathered = new Uint8Array(256);

// HASH(input): BLAKE2s-256 of the concatenation of `inputs`.
export function hash(...inputs: Uint8Array[]): Uint8Array {
  if (inputs.length === 1) return blake2s(inputs[0]!, EMPTY, HASH_BYTES);
  let length = 0;
  for (const input of inputs) length += input.length;
  if (length > gathered.length) gathered = new Uint8Array(2 * length);
  let offset = 0;
  for (const input of inputs) {
    gathered.set(input, offset);
    offset += input.length;
  }
  const digest = blake2s(gathered.subarray(0, length), EMPTY, HASH_BYTES);
  gathered.fill(0, 0, length);
  return digest;
}

// MAC(key, input): keyed BLAKE2s with a 16-byte output (whitepaper §5.4, used for mac1 and
// mac2, §5.4.4). Not a truncation of a 32-byte digest: the output length is hashed in (RFC 7693
// §2.5). `key` is 1–32 bytes (32 for mac1's HASH(LABEL_MAC1 ‖ S_pub), 16 for a cookie).
export function mac(key: Uint8Array, input: Uint8Array): Uint8Array {
  requireMacKey(key);
  return blake2s(input, key, MAC_BYTES);
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
  const out = new Uint8Array(HASH_BYTES);
  hmacInto(key, input, out);
  return out;
}

// H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ input)) into out[0..32). `out` may be `key`: the key is read
// into the key block before anything is written.
function hmacInto(key: Uint8Array, input: Uint8Array, out: Uint8Array): void {
  loadKeyBlock(key, IPAD_WORD);
  blake2s256AfterBlock(keyBlock, input, innerDigest);
  xorKeyBlock(IPAD_WORD ^ OPAD_WORD);
  blake2s256AfterBlock(keyBlock, innerDigest, out);
  keyBlock.fill(0);
  innerDigest.fill(0);
}

// K, zero-padded to a block (hashed first if longer, RFC 2104), XORed with `pad`, in keyBlock.
function loadKeyBlock(key: Uint8Array, pad: number): void {
  keyBlock.fill(0);
  if (key.length > HMAC_BLOCK_BYTES) {
    const hashedKey = blake2s(key, EMPTY, HASH_BYTES);
    keyBlock.set(hashedKey);
    hashedKey.fill(0);
  } else {
    keyBlock.set(key);
  }
  xorKeyBlock(pad);
}

function xorKeyBlock(pad: number): void {
  for (let i = 0; i < HMAC_BLOCK_BYTES / 4; i++) keyBlockWords[i]! ^= pad;
}

// innerState and outerState for HMAC under `key`; wiped by the caller (wipeHmacKey) when done.
function prepareHmacKey(key: Uint8Array): void {
  loadKeyBlock(key, IPAD_WORD);
  blake2s256BlockState(keyBlock, innerState);
  xorKeyBlock(IPAD_WORD ^ OPAD_WORD);
  blake2s256BlockState(keyBlock, outerState);
  keyBlock.fill(0);
}

// HMAC under the prepared key, of a non-empty `input`, into out[0..32).
function hmacPrepared(input: Uint8Array, out: Uint8Array): void {
  blake2s256AfterBlockState(innerState, input, innerDigest);
  blake2s256AfterBlockState(outerState, innerDigest, out);
  innerDigest.fill(0);
}

function wipeHmacKey(): void {
  innerState.fill(0);
  outerState.fill(0);
}

// KDF_n(key, input) (whitepaper §5.4, the HKDF of RFC 5869 with HMAC-BLAKE2s):
//   τ0 = HMAC(key, input), τ1 = HMAC(τ0, 0x1), τ2 = HMAC(τ0, τ1 ‖ 0x2), τ3 = HMAC(τ0, τ2 ‖ 0x3),
// returning τ1 … τn, 32 bytes each. τ0 lives only in the scratch (and, as key blocks, in the
// prepared states), zeroed once the outputs are derived.
function kdf(key: Uint8Array, input: Uint8Array, count: number): Uint8Array[] {
  hmacInto(key, input, tau0);
  prepareHmacKey(tau0);
  tau0.fill(0);
  const outputs: Uint8Array[] = [];
  for (let i = 1; i <= count; i++) {
    const tau = new Uint8Array(HASH_BYTES);
    if (i === 1) {
      firstCounter[0] = 1;
      hmacPrepared(firstCounter, tau);
    } else {
      chained.set(outputs[i - 2]!);
      chained[HASH_BYTES] = i;
      hmacPrepared(chained, tau);
    }
    outputs.push(tau);
  }
  wipeHmacKey();
  chained.fill(0);
  return outputs;
}

export function kdf1(key: Uint8Array, input: Uint8Array): [Uint8Array] {
  return kdf(key, input, 1) as [Uint8Array];
}

export function kdf2(key: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array] {
  return kdf(key, input, 2) as [Uint8Array, Uint8Array];
}

export function kdf3(key: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] {
  return kdf(key, input, 3) as [Uint8Array, Uint8Array, Uint8Array];
}
