// ChaCha20 encryption of a whole message (RFC 8439 §2.4): XOR with the keystream, block
// counter incremented per 64 bytes. Picks the path at compile time: with SIMD enabled, whole
// 256-byte groups go four blocks per call; without, one block at a time. Both produce the same
// bytes; the test suite runs the vectors on both builds.

import { BLOCK_BYTES, chachaXorBlock } from "./chacha20";
import { chachaKeystreamPair } from "./chacha20-pair";
import { BLOCKS4_BYTES, chachaXorBlocks4 } from "./chacha20-simd";
import { keystreamScratch, zeroes } from "./layout";

// Bytes of keystream one call of the widest available block function produces.
export const KEYSTREAM_GROUP_BYTES: usize = ASC_FEATURE_SIMD ? BLOCKS4_BYTES : BLOCK_BYTES;

// Writes one group of keystream (KEYSTREAM_GROUP_BYTES, starting at block `counter`) to
// keystreamScratch.
export function keystreamGroup(key: usize, counter: u32, n0: u32, n1: u32, n2: u32): void {
  if (ASC_FEATURE_SIMD) {
    chachaXorBlocks4(key, counter, n0, n1, n2, zeroes, keystreamScratch, 0, 0);
  } else {
    chachaXorBlock(key, counter, n0, n1, n2, zeroes, keystreamScratch);
  }
}

// Writes the keystream from block 0 on to keystreamScratch for an AEAD message of `len` bytes:
// block 0 (the Poly1305 key) and, in the SIMD build, up to three more for the message's head.
// A message that fits one block gets two blocks, not four: half the work for small packets.
export function keystreamFirst(key: usize, n0: u32, n1: u32, n2: u32, len: usize): void {
  if (ASC_FEATURE_SIMD && len <= BLOCK_BYTES) {
    chachaKeystreamPair(key, 0, n0, n1, n2, keystreamScratch);
  } else {
    keystreamGroup(key, 0, n0, n1, n2);
  }
}

// dst[i] = src[i] ^ keystream[i] for `len` bytes (regions may alias exactly).
export function xorBytes(src: usize, keystream: usize, dst: usize, len: usize): void {
  let i: usize = 0;
  for (; i + 8 <= len; i += 8) {
    store<u64>(dst + i, load<u64>(src + i) ^ load<u64>(keystream + i));
  }
  for (; i < len; i++) {
    store<u8>(dst + i, load<u8>(src + i) ^ load<u8>(keystream + i));
  }
}

// XORs `len` bytes from `src` into `dst` with the ChaCha20 keystream starting at block
// `counter`. Uses keystreamScratch for a final partial group.
export function chacha20Xor(key: usize, counter: u32, n0: u32, n1: u32, n2: u32, src: usize, dst: usize, len: usize): void {
  while (len >= KEYSTREAM_GROUP_BYTES) {
    if (ASC_FEATURE_SIMD) {
      chachaXorBlocks4(key, counter, n0, n1, n2, src, dst, 0, 0);
    } else {
      chachaXorBlock(key, counter, n0, n1, n2, src, dst);
    }
    counter += <u32>(KEYSTREAM_GROUP_BYTES / BLOCK_BYTES);
    src += KEYSTREAM_GROUP_BYTES;
    dst += KEYSTREAM_GROUP_BYTES;
    len -= KEYSTREAM_GROUP_BYTES;
  }
  if (len > 0) {
    keystreamGroup(key, counter, n0, n1, n2);
    xorBytes(src, keystreamScratch, dst, len);
  }
}
