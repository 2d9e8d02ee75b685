// Encryption or decryption and the MAC in one pass over the message (SIMD build): RFC 8439
// §2.8 with Poly1305 absorbed between the ChaCha20 rounds instead of in a second pass.
//
// Seal flow (the first keystream group, blocks 0–3, is already in keystreamScratch and
// Poly1305 already holds its key):
//   1. XOR the head (up to 192 bytes) with blocks 1–3; it is the first pending ciphertext;
//   2. each further whole 256-byte group is encrypted while Poly1305 absorbs the pending
//      ciphertext (the group before it), which is then replaced by this group's;
//   3. a final partial group: its keystream is made into scratch, again absorbing the pending
//      ciphertext, and XORed in;
//   4. the last pending bytes (whole blocks, then the zero-padded rest) go through Poly1305.
// The MAC always runs one group behind the cipher because a group's ciphertext exists only
// after its rounds. Open needs no lag: the ciphertext is there from the start, and a group is
// absorbed during its own rounds, before the XOR at their end overwrites it.

import { BLOCK_BYTES } from "./chacha20";
import { BLOCKS4_BYTES, chachaXorBlocks4 } from "./chacha20-simd";
import { xorBytes } from "./keystream";
import { keystreamScratch, zeroes } from "./layout";
import { POLY_BLOCK_BYTES, polyPadded } from "./poly1305";

const HEAD_BYTES: usize = BLOCKS4_BYTES - BLOCK_BYTES;
const BLOCKS_PER_GROUP: u32 = <u32>(BLOCKS4_BYTES / BLOCK_BYTES);

// Encrypts `len` bytes at `data` in place and absorbs the ciphertext's whole 16-byte blocks
// into Poly1305. Returns how many bytes at the end (data + returned offset, up to `len`) are
// still to be absorbed: the caller pads and absorbs them (fewer than 256).
export function encryptAndMac(key: usize, n0: u32, n1: u32, n2: u32, data: usize, len: usize): usize {
  const head = len < HEAD_BYTES ? len : HEAD_BYTES;
  xorBytes(data, keystreamScratch + BLOCK_BYTES, data, head);
  let pending = data;
  let pendingLen = head;
  let at = data + head;
  let left = len - head;
  let counter = BLOCKS_PER_GROUP;
  while (left >= BLOCKS4_BYTES) {
    chachaXorBlocks4(key, counter, n0, n1, n2, at, at, pending, <u32>(pendingLen / POLY_BLOCK_BYTES));
    pending = at;
    pendingLen = BLOCKS4_BYTES;
    at += BLOCKS4_BYTES;
    left -= BLOCKS4_BYTES;
    counter += BLOCKS_PER_GROUP;
  }
  if (left > 0) {
    chachaXorBlocks4(key, counter, n0, n1, n2, zeroes, keystreamScratch, pending, <u32>(pendingLen / POLY_BLOCK_BYTES));
    xorBytes(at, keystreamScratch, at, left);
    pending = at;
    pendingLen = left;
  }
  return pending - data;
}

// Absorbs all `len` ciphertext bytes at `data` into Poly1305 (the last block zero-padded) and
// decrypts them in place, each group absorbed before it is overwritten.
export function macAndDecrypt(key: usize, n0: u32, n1: u32, n2: u32, data: usize, len: usize): void {
  const head = len < HEAD_BYTES ? len : HEAD_BYTES;
  polyPadded(data, head); // pads only when the head is the whole message
  xorBytes(data, keystreamScratch + BLOCK_BYTES, data, head);
  let at = data + head;
  let left = len - head;
  let counter = BLOCKS_PER_GROUP;
  while (left >= BLOCKS4_BYTES) {
    chachaXorBlocks4(key, counter, n0, n1, n2, at, at, at, <u32>(BLOCKS4_BYTES / POLY_BLOCK_BYTES));
    at += BLOCKS4_BYTES;
    left -= BLOCKS4_BYTES;
    counter += BLOCKS_PER_GROUP;
  }
  if (left > 0) {
    const whole = left & ~(POLY_BLOCK_BYTES - 1);
    chachaXorBlocks4(key, counter, n0, n1, n2, zeroes, keystreamScratch, at, <u32>(whole / POLY_BLOCK_BYTES));
    polyPadded(at + whole, left - whole);
    xorBytes(at, keystreamScratch, at, left);
  }
}
