// WireGuard's HASH, MAC, HMAC and KDF_n (whitepaper §5.4), all built on BLAKE2s (RFC 7693),
// all on blake2s.ts. A complete handshake runs 42 HMACs (16 KDFs) and 12 HASHes, so their
// cost per call matters: measured side by side on Node 20 with 32-byte keys and inputs, an HMAC
// here takes ~0.95 µs against 2.2–4 µs for node:crypto's createHmac("blake2s256") (most of
// which is creating the OpenSSL context), and kdf2 ~2.2 µs against ~8 µs; nothing is allocated
// but the results. MAC (mac1, mac2) is keyed BLAKE2s with a 16-byte output, which node:crypto does
// not offer at all.
//
// Buffer ownership: inputs are only read; every result is a fresh Uint8Array owning its memory.
// The scratch below is reused by every call (single-threaded, no call re-enters) and zeroed
// after each HMAC and KDF, since it held keys.

import {
  BLAKE2S_BLOCK_WORDS,
  BLAKE2S_MAX_OUTPUT_BYTES,
  BLAKE2S_STATE_WORDS,
  blake2s,
  blake2s256Initialize,
  blake2sAbsorbLast,
  blake2sCompress,
  createBlake2s,
} from "./blake2s.js";

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
const EMPTY = new Uint8Array(0);

// HMAC works on BLAKE2s message words, not bytes: its key blocks, the inner digest the outer
// hash reads and the chained KDF inputs are words already, so only the caller's inputs and
// the results cross between bytes and words (little-endian, RFC 7693 §2.1).
const keyWords = new Uint32Array(BLAKE2S_BLOCK_WORDS); // K, then K ⊕ ipad, then K ⊕ opad
const message = new Uint32Array(BLAKE2S_BLOCK_WORDS); // a one-block message
// A KDF's τ0 keys two or three HMACs: its key blocks are compressed once, into these states
// (after K ⊕ ipad, after K ⊕ opad), and each HMAC under it starts from them: two compressions
// fewer per HMAC after the first (kdf2: 10 blocks instead of 12, kdf3: 12 instead of 16).
const innerState = new Uint32Array(BLAKE2S_STATE_WORDS);
const outerState = new Uint32Array(BLAKE2S_STATE_WORDS);
const work = new Uint32Array(BLAKE2S_STATE_WORDS);
const digestWords = new Uint32Array(BLAKE2S_STATE_WORDS); // τ0, then each τi
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
  loadKey(key);
  hmacOfBytes(input, digestWords);
  const out = new Uint8Array(HASH_BYTES);
  writeBytes(digestWords, out);
  wipeHmac();
  return out;
}

// K into keyWords, zero-padded to a block (RFC 2104: hashed first if longer than a block).
function loadKey(key: Uint8Array): void {
  keyWords.fill(0);
  if (key.length > HMAC_BLOCK_BYTES) {
    const hashedKey = blake2s(key, EMPTY, HASH_BYTES);
    loadBytes(hashedKey, keyWords);
    hashedKey.fill(0);
  } else {
    loadBytes(key, keyWords);
  }
}

// `bytes` (at most 4 × words.length) ORed into zeroed `words`, little-endian.
function loadBytes(bytes: Uint8Array, words: Uint32Array): void {
  for (let i = 0; i < bytes.length; i++) words[i >> 2]! |= bytes[i]! << (8 * (i & 3));
}

// A 32-byte digest's 8 words as bytes, little-endian, into out[0..32).
function writeBytes(words: Uint32Array, out: Uint8Array): void {
  for (let i = 0; i < HASH_BYTES; i++) out[i] = (words[i >> 2]! >>> (8 * (i & 3))) & 0xff;
}

function xorKeyWords(pad: number): void {
  for (let i = 0; i < BLAKE2S_BLOCK_WORDS; i++) keyWords[i]! ^= pad;
}

// The key in keyWords → innerState (after K ⊕ ipad) and outerState (after K ⊕ opad), both
// non-final blocks; keyWords is zeroed. `innerFinal`: the inner message is the key block alone
// (an empty input), so it is compressed as the final block, into `work`, instead.
function prepareKey(innerFinal: boolean): void {
  xorKeyWords(IPAD_WORD);
  const inner = innerFinal ? work : innerState;
  blake2s256Initialize(inner);
  blake2sCompress(inner, keyWords, HMAC_BLOCK_BYTES, innerFinal);
  xorKeyWords(IPAD_WORD ^ OPAD_WORD);
  blake2s256Initialize(outerState);
  blake2sCompress(outerState, keyWords, HMAC_BLOCK_BYTES, false);
  keyWords.fill(0);
}

// The outer hash, H((K ⊕ opad) ‖ inner digest), from the inner hash's final state in `work`,
// into `out` (8 words).
function finishHmac(out: Uint32Array): void {
  message.set(work);
  message.fill(0, BLAKE2S_STATE_WORDS);
  work.set(outerState);
  blake2sCompress(work, message, HMAC_BLOCK_BYTES + HASH_BYTES, true);
  out.set(work);
  work.fill(0);
  message.fill(0);
}

// HMAC under the key in keyWords, of `input`, into `out` (8 words); leaves the key prepared.
function hmacOfBytes(input: Uint8Array, out: Uint32Array): void {
  prepareKey(input.length === 0);
  if (input.length > 0) {
    work.set(innerState);
    blake2sAbsorbLast(work, input, HMAC_BLOCK_BYTES);
  }
  finishHmac(out);
}

// HMAC under the prepared key, of the first `length` bytes (1 to 64) of `message`, into `out`.
function hmacOfMessage(length: number, out: Uint32Array): void {
  work.set(innerState);
  blake2sCompress(work, message, HMAC_BLOCK_BYTES + length, true);
  finishHmac(out);
}

function wipeHmac(): void {
  innerState.fill(0);
  outerState.fill(0);
  digestWords.fill(0);
}

// KDF_n(key, input) (whitepaper §5.4, the HKDF of RFC 5869 with HMAC-BLAKE2s):
//   τ0 = HMAC(key, input), τ1 = HMAC(τ0, 0x1), τ2 = HMAC(τ0, τ1 ‖ 0x2), τ3 = HMAC(τ0, τ2 ‖ 0x3),
// returning τ1 … τn, 32 bytes each. τ0 lives only in the scratch (as words, then as the
// prepared key states), zeroed once the outputs are derived.
function kdf(key: Uint8Array, input: Uint8Array, count: number): Uint8Array[] {
  loadKey(key);
  hmacOfBytes(input, digestWords); // τ0
  keyWords.set(digestWords); // the rest of keyWords is zero (prepareKey cleared it)
  prepareKey(false);
  const outputs: Uint8Array[] = [];
  for (let i = 1; i <= count; i++) {
    // The message: the byte 1 alone, then τ(i−1) ‖ i (finishHmac left it zeroed).
    if (i > 1) message.set(digestWords);
    message[i > 1 ? BLAKE2S_STATE_WORDS : 0] = i;
    hmacOfMessage(i > 1 ? HASH_BYTES + 1 : 1, digestWords);
    const tau = new Uint8Array(HASH_BYTES);
    writeBytes(digestWords, tau);
    outputs.push(tau);
  }
  wipeHmac();
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
