// AEAD_CHACHA20_POLY1305 (RFC 8439 §2.8) on memory the caller owns.
//
// Seal flow:
//   1. keystream from block 0: its first 32 bytes are the Poly1305 key (§2.6), the rest (SIMD
//      build: block 1, or blocks 1–3 for messages over one block) encrypt the message's head;
//   2. the remaining message is encrypted from the next block on;
//   3. Poly1305 over aad ‖ pad16 ‖ ciphertext ‖ pad16 ‖ le64(aad length) ‖ le64(ct length).
// The SIMD build does 2 and most of 3 in one pass (stitched-aead.ts).
// Open: the scalar build computes the tag first and decrypts only when it matches
// (constant-time compare). The SIMD build absorbs each ciphertext group and decrypts it in the
// same pass, and when the tag then does not match, encrypts the message again: either way a
// forged message releases no plaintext and leaves the caller's bytes as they came. A forgery
// costs the SIMD build two ChaCha20 passes instead of none; an authentic message one pass less.
//
// Both leave keystream and the one-time key in scratch: the entry point (one-shot call or
// batch) calls wipeScratch() once before returning, so a batch pays for one wipe, not one
// per message.

import { STATUS_AUTH_FAILED, STATUS_OK } from "./abi";
import { BLOCK_BYTES } from "./chacha20";
import { chacha20Xor, KEYSTREAM_GROUP_BYTES, keystreamFirst, xorBytes } from "./keystream";
import { keystreamScratch, polyBlockScratch, tagScratch } from "./layout";
import { POLY_BLOCK_BYTES, POLY_FULL_BLOCK_BIT, polyBlocks, polyFinish, polyInit, polyPadded } from "./poly1305";
import { encryptAndMac, macAndDecrypt } from "./stitched-aead";

// Message bytes covered by the first keystream group (after the 64-byte Poly1305 key block).
const HEAD_BYTES: usize = KEYSTREAM_GROUP_BYTES - BLOCK_BYTES;

// The §2.8 MAC's last block (the two lengths), then the tag at `tag`.
function macLengthsAndFinish(aadLen: usize, len: usize, tag: usize): void {
  store<u64>(polyBlockScratch, <u64>aadLen, 0);
  store<u64>(polyBlockScratch, <u64>len, 8);
  polyBlocks(polyBlockScratch, POLY_BLOCK_BYTES, POLY_FULL_BLOCK_BIT);
  polyFinish(tag);
}

// The §2.8 MAC over aad and ciphertext, tag written at `tag`; polyInit must have been called
// with the one-time key.
function aeadMac(aad: usize, aadLen: usize, ciphertext: usize, len: usize, tag: usize): void {
  polyPadded(aad, aadLen);
  polyPadded(ciphertext, len);
  macLengthsAndFinish(aadLen, len, tag);
}

// XORs the message with keystream from block 1 on; the first group is already in scratch.
function applyKeystream(key: usize, n0: u32, n1: u32, n2: u32, data: usize, len: usize): void {
  const head = len < HEAD_BYTES ? len : HEAD_BYTES;
  xorBytes(data, keystreamScratch + BLOCK_BYTES, data, head);
  if (len > head) {
    const nextBlock = <u32>(KEYSTREAM_GROUP_BYTES / BLOCK_BYTES);
    chacha20Xor(key, nextBlock, n0, n1, n2, data + head, data + head, len - head);
  }
}

// Constant-time equality of two 16-byte tags.
function tagsEqual(a: usize, b: usize): bool {
  const diff = (load<u64>(a, 0) ^ load<u64>(b, 0)) | (load<u64>(a, 8) ^ load<u64>(b, 8));
  return diff == 0;
}

// Encrypts `len` bytes at `data` in place and writes the 16-byte tag at `tag`.
// key: 32 bytes; nonce: the three little-endian words n0 n1 n2; aad: aadLen bytes.
// Lengths are the caller's to check (≤ MAX_MESSAGE_BYTES / MAX_AAD_BYTES).
export function aeadSeal(key: usize, n0: u32, n1: u32, n2: u32, aad: usize, aadLen: usize, data: usize, len: usize, tag: usize): void {
  keystreamFirst(key, n0, n1, n2, len);
  // The MAC key must be taken before the keystream scratch is reused for the tail.
  polyInit(keystreamScratch);
  if (ASC_FEATURE_SIMD) {
    polyPadded(aad, aadLen);
    const macDone = encryptAndMac(key, n0, n1, n2, data, len);
    polyPadded(data + macDone, len - macDone);
    macLengthsAndFinish(aadLen, len, tag);
  } else {
    applyKeystream(key, n0, n1, n2, data, len);
    aeadMac(aad, aadLen, data, len, tag);
  }
}

// Verifies the tag at `tag` over `len` ciphertext bytes at `data` and, only if it matches,
// decrypts them in place. Returns STATUS_OK or STATUS_AUTH_FAILED (data untouched).
export function aeadOpen(key: usize, n0: u32, n1: u32, n2: u32, aad: usize, aadLen: usize, data: usize, len: usize, tag: usize): i32 {
  keystreamFirst(key, n0, n1, n2, len);
  polyInit(keystreamScratch);
  if (ASC_FEATURE_SIMD) {
    polyPadded(aad, aadLen);
    macAndDecrypt(key, n0, n1, n2, data, len);
    macLengthsAndFinish(aadLen, len, tagScratch);
    if (tagsEqual(tagScratch, tag)) return STATUS_OK;
    // Not authentic: the ciphertext goes back (the first group's keystream again, as the
    // pass overwrote the scratch).
    keystreamFirst(key, n0, n1, n2, len);
    applyKeystream(key, n0, n1, n2, data, len);
    return STATUS_AUTH_FAILED;
  }
  aeadMac(aad, aadLen, data, len, tagScratch);
  if (!tagsEqual(tagScratch, tag)) return STATUS_AUTH_FAILED;
  applyKeystream(key, n0, n1, n2, data, len);
  return STATUS_OK;
}
