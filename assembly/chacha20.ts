// ChaCha20 (RFC 8439 §2.3–2.4) and HChaCha20 (draft-irtf-cfrg-xchacha §2.2), scalar path.
//
// Keystream flow:
//   1. chachaInit writes the 16-word input state: constants, key, block counter, nonce.
//   2. chachaPermute runs the 20 rounds (10 column + diagonal double rounds).
//   3. a block adds the input state to the permuted words (§2.3); HChaCha20 does not, and
//      keeps words 0–3 and 12–15 as the subkey.
//   4. chachaXorBlock XORs the 64-byte block into the message.
// The SIMD path (chacha20-simd.ts) computes four blocks per call with the same state layout.

import { chachaState, chachaWork } from "./layout";

// "expand 32-byte k" as four little-endian words (RFC 8439 §2.3).
export const SIGMA0: u32 = 0x61707865;
export const SIGMA1: u32 = 0x3320646e;
export const SIGMA2: u32 = 0x79622d32;
export const SIGMA3: u32 = 0x6b206574;
export const BLOCK_BYTES: usize = 64;

// Writes the RFC 8439 §2.3 input state to `state` (64 bytes): constants, the 32-byte key at
// `key`, the 32-bit block counter and the three nonce words.
export function chachaInit(state: usize, key: usize, counter: u32, n0: u32, n1: u32, n2: u32): void {
  store<u32>(state, SIGMA0, 0);
  store<u32>(state, SIGMA1, 4);
  store<u32>(state, SIGMA2, 8);
  store<u32>(state, SIGMA3, 12);
  memory.copy(state + 16, key, 32);
  store<u32>(state, counter, 48);
  store<u32>(state, n0, 52);
  store<u32>(state, n1, 56);
  store<u32>(state, n2, 60);
}

// The ChaCha20 permutation: 20 rounds over the 16 words at `src`, result at `dst` (64 bytes
// each, may alias). RFC 8439 §2.1 quarter round, §2.3 column and diagonal rounds.
export function chachaPermute(src: usize, dst: usize): void {
  let x0 = load<u32>(src, 0), x1 = load<u32>(src, 4), x2 = load<u32>(src, 8), x3 = load<u32>(src, 12);
  let x4 = load<u32>(src, 16), x5 = load<u32>(src, 20), x6 = load<u32>(src, 24), x7 = load<u32>(src, 28);
  let x8 = load<u32>(src, 32), x9 = load<u32>(src, 36), x10 = load<u32>(src, 40), x11 = load<u32>(src, 44);
  let x12 = load<u32>(src, 48), x13 = load<u32>(src, 52), x14 = load<u32>(src, 56), x15 = load<u32>(src, 60);
  for (let round = 0; round < 10; round++) {
    // Column round: QR(0,4,8,12) QR(1,5,9,13) QR(2,6,10,14) QR(3,7,11,15).
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 16); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 12);
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 8); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 7);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 16); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 12);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 8); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 7);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 16); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 12);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 8); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 7);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 16); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 12);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 8); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 7);
    // Diagonal round: QR(0,5,10,15) QR(1,6,11,12) QR(2,7,8,13) QR(3,4,9,14).
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 16); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 12);
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 8); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 7);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 16); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 12);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 8); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 7);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 16); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 12);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 8); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 7);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 16); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 12);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 8); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 7);
  }
  store<u32>(dst, x0, 0); store<u32>(dst, x1, 4); store<u32>(dst, x2, 8); store<u32>(dst, x3, 12);
  store<u32>(dst, x4, 16); store<u32>(dst, x5, 20); store<u32>(dst, x6, 24); store<u32>(dst, x7, 28);
  store<u32>(dst, x8, 32); store<u32>(dst, x9, 36); store<u32>(dst, x10, 40); store<u32>(dst, x11, 44);
  store<u32>(dst, x12, 48); store<u32>(dst, x13, 52); store<u32>(dst, x14, 56); store<u32>(dst, x15, 60);
}

// XORs one 64-byte ChaCha20 block (key at `key`, given counter and nonce words) from `src`
// into `dst` (64 bytes each, may alias).
export function chachaXorBlock(key: usize, counter: u32, n0: u32, n1: u32, n2: u32, src: usize, dst: usize): void {
  chachaInit(chachaState, key, counter, n0, n1, n2);
  chachaPermute(chachaState, chachaWork);
  for (let i: usize = 0; i < BLOCK_BYTES; i += 4) {
    const keystream = load<u32>(chachaWork + i) + load<u32>(chachaState + i);
    store<u32>(dst + i, load<u32>(src + i) ^ keystream);
  }
}

// HChaCha20 (draft-irtf-cfrg-xchacha §2.2): derives a 32-byte subkey at `out` from the key at
// `key` and the 16-byte nonce at `nonce`. Leaves key material in chachaState/chachaWork:
// the entry point wipes scratch before it returns.
export function hchacha20(key: usize, nonce: usize, out: usize): void {
  chachaInit(chachaState, key, load<u32>(nonce, 0), load<u32>(nonce, 4), load<u32>(nonce, 8), load<u32>(nonce, 12));
  chachaPermute(chachaState, chachaWork);
  memory.copy(out, chachaWork, 16);
  memory.copy(out + 16, chachaWork + 48, 16);
}
