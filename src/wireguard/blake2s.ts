// BLAKE2s (RFC 7693), keyed or not, any output length from 1 to 32 bytes: the engine behind
// WireGuard's HASH, MAC, HMAC and KDF (kdf.ts), and so behind every mac1 and mac2 check
// (cookie.ts) and every step of the handshake (noise.ts).
//
// Why not @noble/hashes: under a handshake flood every datagram with a valid mac1 costs several
// MACs (mac1, the source's cookie, mac2), and noble's BLAKE2s takes ~1.5 µs per 64-byte block
// here (its G function returns an object); this one keeps the state in locals and takes
// ~0.16 µs. A MAC under a fixed key (mac1's, the cookie secret) also skips the key block: a
// keyed BLAKE2s compresses the zero-padded key first, which `createBlake2s` does once.
//
// Buffer ownership: inputs are only read; results are fresh arrays. The scratch below is reused
// by every call (single-threaded, no call re-enters; allocated once like the WASM core's static
// buffers) and wiped after it held a key.

const BLOCK_BYTES = 64;
export const BLAKE2S_MAX_KEY_BYTES = 32;
export const BLAKE2S_MAX_OUTPUT_BYTES = 32;

const IV = Uint32Array.of(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19);

// RFC 7693 §2.7: the message word schedule of the ten rounds.
const SIGMA = Uint8Array.of(
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
  11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
  7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
  9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
  2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
  12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
  13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
  6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
  10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
);

const words = new Uint32Array(16);
const lastBlock = new Uint8Array(BLOCK_BYTES);
const state = new Uint32Array(8);

// RFC 7693 §3.2, F: mixes the 64-byte block at `data[offset…]` into `h`. `counter` is the
// number of bytes compressed so far including this block (WireGuard's inputs stay far below
// 2^32, but the high word is kept for the general case).
function compress(h: Uint32Array, data: Uint8Array, offset: number, counter: number, last: boolean): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + 4 * i;
    words[i] = data[j]! | (data[j + 1]! << 8) | (data[j + 2]! << 16) | (data[j + 3]! << 24);
  }
  const m = words;
  let v0 = h[0]! | 0, v1 = h[1]! | 0, v2 = h[2]! | 0, v3 = h[3]! | 0;
  let v4 = h[4]! | 0, v5 = h[5]! | 0, v6 = h[6]! | 0, v7 = h[7]! | 0;
  let v8 = IV[0]! | 0, v9 = IV[1]! | 0, v10 = IV[2]! | 0, v11 = IV[3]! | 0;
  let v12 = (IV[4]! ^ counter) | 0;
  let v13 = (IV[5]! ^ Math.floor(counter / 0x100000000)) | 0;
  let v14 = (last ? ~IV[6]! : IV[6]!) | 0;
  let v15 = IV[7]! | 0;
  // Ten rounds of the G function (§3.1) with rotations 16, 12, 8, 7, written out on locals.
  for (let r = 0; r < 160; r += 16) {
    let x = m[SIGMA[r]!]!, y = m[SIGMA[r + 1]!]!;
    v0 = (v0 + v4 + x) | 0; v12 ^= v0; v12 = (v12 >>> 16) | (v12 << 16); v8 = (v8 + v12) | 0; v4 ^= v8; v4 = (v4 >>> 12) | (v4 << 20);
    v0 = (v0 + v4 + y) | 0; v12 ^= v0; v12 = (v12 >>> 8) | (v12 << 24); v8 = (v8 + v12) | 0; v4 ^= v8; v4 = (v4 >>> 7) | (v4 << 25);
    x = m[SIGMA[r + 2]!]!; y = m[SIGMA[r + 3]!]!;
    v1 = (v1 + v5 + x) | 0; v13 ^= v1; v13 = (v13 >>> 16) | (v13 << 16); v9 = (v9 + v13) | 0; v5 ^= v9; v5 = (v5 >>> 12) | (v5 << 20);
    v1 = (v1 + v5 + y) | 0; v13 ^= v1; v13 = (v13 >>> 8) | (v13 << 24); v9 = (v9 + v13) | 0; v5 ^= v9; v5 = (v5 >>> 7) | (v5 << 25);
    x = m[SIGMA[r + 4]!]!; y = m[SIGMA[r + 5]!]!;
    v2 = (v2 + v6 + x) | 0; v14 ^= v2; v14 = (v14 >>> 16) | (v14 << 16); v10 = (v10 + v14) | 0; v6 ^= v10; v6 = (v6 >>> 12) | (v6 << 20);
    v2 = (v2 + v6 + y) | 0; v14 ^= v2; v14 = (v14 >>> 8) | (v14 << 24); v10 = (v10 + v14) | 0; v6 ^= v10; v6 = (v6 >>> 7) | (v6 << 25);
    x = m[SIGMA[r + 6]!]!; y = m[SIGMA[r + 7]!]!;
    v3 = (v3 + v7 + x) | 0; v15 ^= v3; v15 = (v15 >>> 16) | (v15 << 16); v11 = (v11 + v15) | 0; v7 ^= v11; v7 = (v7 >>> 12) | (v7 << 20);
    v3 = (v3 + v7 + y) | 0; v15 ^= v3; v15 = (v15 >>> 8) | (v15 << 24); v11 = (v11 + v15) | 0; v7 ^= v11; v7 = (v7 >>> 7) | (v7 << 25);
    x = m[SIGMA[r + 8]!]!; y = m[SIGMA[r + 9]!]!;
    v0 = (v0 + v5 + x) | 0; v15 ^= v0; v15 = (v15 >>> 16) | (v15 << 16); v10 = (v10 + v15) | 0; v5 ^= v10; v5 = (v5 >>> 12) | (v5 << 20);
    v0 = (v0 + v5 + y) | 0; v15 ^= v0; v15 = (v15 >>> 8) | (v15 << 24); v10 = (v10 + v15) | 0; v5 ^= v10; v5 = (v5 >>> 7) | (v5 << 25);
    x = m[SIGMA[r + 10]!]!; y = m[SIGMA[r + 11]!]!;
    v1 = (v1 + v6 + x) | 0; v12 ^= v1; v12 = (v12 >>> 16) | (v12 << 16); v11 = (v11 + v12) | 0; v6 ^= v11; v6 = (v6 >>> 12) | (v6 << 20);
    v1 = (v1 + v6 + y) | 0; v12 ^= v1; v12 = (v12 >>> 8) | (v12 << 24); v11 = (v11 + v12) | 0; v6 ^= v11; v6 = (v6 >>> 7) | (v6 << 25);
    x = m[SIGMA[r + 12]!]!; y = m[SIGMA[r + 13]!]!;
    v2 = (v2 + v7 + x) | 0; v13 ^= v2; v13 = (v13 >>> 16) | (v13 << 16); v8 = (v8 + v13) | 0; v7 ^= v8; v7 = (v7 >>> 12) | (v7 << 20);
    v2 = (v2 + v7 + y) | 0; v13 ^= v2; v13 = (v13 >>> 8) | (v13 << 24); v8 = (v8 + v13) | 0; v7 ^= v8; v7 = (v7 >>> 7) | (v7 << 25);
    x = m[SIGMA[r + 14]!]!; y = m[SIGMA[r + 15]!]!;
    v3 = (v3 + v4 + x) | 0; v14 ^= v3; v14 = (v14 >>> 16) | (v14 << 16); v9 = (v9 + v14) | 0; v4 ^= v9; v4 = (v4 >>> 12) | (v4 << 20);
    v3 = (v3 + v4 + y) | 0; v14 ^= v3; v14 = (v14 >>> 8) | (v14 << 24); v9 = (v9 + v14) | 0; v4 ^= v9; v4 = (v4 >>> 7) | (v4 << 25);
  }
  h[0] = h[0]! ^ v0 ^ v8; h[1] = h[1]! ^ v1 ^ v9; h[2] = h[2]! ^ v2 ^ v10; h[3] = h[3]! ^ v3 ^ v11;
  h[4] = h[4]! ^ v4 ^ v12; h[5] = h[5]! ^ v5 ^ v13; h[6] = h[6]! ^ v6 ^ v14; h[7] = h[7]! ^ v7 ^ v15;
}

function checkSizes(keyBytes: number, outputBytes: number): void {
  if (keyBytes > BLAKE2S_MAX_KEY_BYTES) throw new RangeError(`a BLAKE2s key is 0 to ${BLAKE2S_MAX_KEY_BYTES} bytes, got ${keyBytes}`);
  if (!Number.isInteger(outputBytes) || outputBytes < 1 || outputBytes > BLAKE2S_MAX_OUTPUT_BYTES) {
    throw new RangeError(`a BLAKE2s output is 1 to ${BLAKE2S_MAX_OUTPUT_BYTES} bytes, got ${outputBytes}`);
  }
}

// §2.5 parameter block: digest length, key length, fanout 1, depth 1.
function initialize(h: Uint32Array, keyBytes: number, outputBytes: number): void {
  h.set(IV);
  h[0]! ^= 0x01010000 ^ (keyBytes << 8) ^ outputBytes;
}

// §3.3: a keyed hash compresses the zero-padded key as its first block (final only when the
// input is empty).
function absorbKey(h: Uint32Array, key: Uint8Array, final: boolean): void {
  lastBlock.fill(0);
  lastBlock.set(key);
  compress(h, lastBlock, 0, BLOCK_BYTES, final);
  lastBlock.fill(0);
  words.fill(0);
}

// Every block but the last is compressed in place; the last (1 to 64 bytes, or none for an
// empty unkeyed input) is zero-padded and flagged final. `counter`: bytes compressed before.
function absorbInput(h: Uint32Array, input: Uint8Array, counter: number): void {
  let offset = 0;
  while (input.length - offset > BLOCK_BYTES) {
    counter += BLOCK_BYTES;
    compress(h, input, offset, counter, false);
    offset += BLOCK_BYTES;
  }
  lastBlock.fill(0);
  lastBlock.set(input.subarray(offset));
  compress(h, lastBlock, 0, counter + input.length - offset, true);
}

// The first `length` bytes of the state, little-endian words (§2.1).
function output(length: number): Uint8Array {
  const out = new Uint8Array(length);
  writeOutput(out, length);
  return out;
}

function writeOutput(out: Uint8Array, length: number): void {
  for (let i = 0; i < length; i++) out[i] = (state[i >> 2]! >>> (8 * (i & 3))) & 0xff;
}

// One-shot BLAKE2s of `input` under `key` (0 to 32 bytes; empty: unkeyed), `outputBytes` (1 to
// 32) long.
export function blake2s(input: Uint8Array, key: Uint8Array, outputBytes: number): Uint8Array {
  checkSizes(key.length, outputBytes);
  initialize(state, key.length, outputBytes);
  if (key.length > 0) absorbKey(state, key, input.length === 0);
  if (key.length === 0 || input.length > 0) absorbInput(state, input, key.length > 0 ? BLOCK_BYTES : 0);
  return output(outputBytes);
}

// BLAKE2s under one fixed key and output length, for many inputs.
export interface Blake2s {
  digest(input: Uint8Array): Uint8Array;
}

// Like blake2s() with the key block compressed once, here (one block less per digest). The key
// is kept only for the empty input, whose key block is the final one.
export function createBlake2s(key: Uint8Array, outputBytes: number): Blake2s {
  checkSizes(key.length, outputBytes);
  const keyed = key.length > 0;
  const afterKey = new Uint32Array(8);
  initialize(afterKey, key.length, outputBytes);
  if (keyed) absorbKey(afterKey, key, false);
  const keyCopy = Uint8Array.from(key);
  return {
    digest(input) {
      if (keyed && input.length === 0) return blake2s(input, keyCopy, outputBytes);
      state.set(afterKey);
      absorbInput(state, input, keyed ? BLOCK_BYTES : 0);
      return output(outputBytes);
    },
  };
}

// BLAKE2s-256 (unkeyed) of `block ‖ input`, where `block` is exactly one 64-byte block, written
// to out[0..32): the inner and outer hashes of HMAC (RFC 2104), whose key block comes first.
// Nothing is concatenated or allocated. Everything the scratch held is zeroed before returning,
// because HMAC's blocks and digests are secrets (a keyed block, a DH result, a chaining key).
export function blake2s256AfterBlock(block: Uint8Array, input: Uint8Array, out: Uint8Array): void {
  if (block.length !== BLOCK_BYTES) throw new RangeError(`a BLAKE2s block is ${BLOCK_BYTES} bytes, got ${block.length}`);
  initialize(state, 0, BLAKE2S_MAX_OUTPUT_BYTES);
  if (input.length === 0) {
    // The block is the whole message, so it is the final one (§3.3).
    absorbInput(state, block, 0);
  } else {
    compress(state, block, 0, BLOCK_BYTES, false);
    absorbInput(state, input, BLOCK_BYTES);
  }
  writeOutput(out, BLAKE2S_MAX_OUTPUT_BYTES);
  state.fill(0);
  words.fill(0);
  lastBlock.fill(0);
}
