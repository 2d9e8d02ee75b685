// Poly1305 (RFC 8439 §2.5) in radix 2^32: h is four 32-bit limbs plus a few bits above 2^128,
// r is four 32-bit limbs, and every product is a 32×32 → 64-bit multiply summed in 64 bits.
//
// Why this radix: the clamp (§2.5.1) leaves r's limbs below 2^28, so sums of five products
// stay below 2^63, and leaves limbs 1–3 multiples of 4, so r_j · 2^128 ≡ (r_j / 4) · 5 =
// r_j + r_j / 4 =: s_j (mod 2^130 − 5) exactly. A block then costs 20 multiplies instead of the
// 25 of 26-bit limbs, and the message words need no shifting into limbs.
//
// Flow: polyInit(key) clamps r and keeps s (the "pad"); polyBlockWith / polyBlocks absorb whole
// 16-byte blocks (h = (h + block) · r mod 2^130 − 5, partially reduced); polyFinish reduces h
// fully, adds the pad and writes the tag. The state is module-level because one MAC is in
// flight at a time in this single-threaded core; polyFinish wipes it.

import { polyBlockScratch } from "./layout";

const WORD_MASK: u64 = 0xffffffff;
// Bit 128 of a full block (the appended 0x01 byte of §2.5.1), as seen in h4 (bits 128 and up).
export const POLY_FULL_BLOCK_BIT: u32 = 1;
export const POLY_BLOCK_BYTES: usize = 16;

// r and s1..s3 (see above) are below 2^29. Between blocks h0..h3 are kept below 2.3 · 2^32
// and h4 at most 3: carries are not propagated along the limbs, each limb takes only its
// neighbour's, so a block's dependency chain is short (worst-case bounds checked
// exhaustively over the limb maxima: every product sum stays below 0.87 · 2^64).
// r and s are exported only to be read: a loop absorbing many blocks copies them into locals
// once and passes them to polyBlockWith (see there).
export let r0: u64 = 0, r1: u64 = 0, r2: u64 = 0, r3: u64 = 0;
export let s1: u64 = 0, s2: u64 = 0, s3: u64 = 0;
let h0: u64 = 0, h1: u64 = 0, h2: u64 = 0, h3: u64 = 0, h4: u64 = 0;
let pad0: u32 = 0, pad1: u32 = 0, pad2: u32 = 0, pad3: u32 = 0;

// Starts a MAC under the 32-byte one-time key at `key`: r = clamp(key[0..16]) (§2.5.1),
// s = key[16..32].
export function polyInit(key: usize): void {
  r0 = <u64>(load<u32>(key, 0) & 0x0fffffff);
  r1 = <u64>(load<u32>(key, 4) & 0x0ffffffc);
  r2 = <u64>(load<u32>(key, 8) & 0x0ffffffc);
  r3 = <u64>(load<u32>(key, 12) & 0x0ffffffc);
  s1 = r1 + (r1 >> 2);
  s2 = r2 + (r2 >> 2);
  s3 = r3 + (r3 >> 2);
  h0 = 0; h1 = 0; h2 = 0; h3 = 0; h4 = 0;
  pad0 = load<u32>(key, 16);
  pad1 = load<u32>(key, 20);
  pad2 = load<u32>(key, 24);
  pad3 = load<u32>(key, 28);
}

// Absorbs one whole 16-byte block at `m`, with r0..r3 and s1..s3 passed in by the caller.
// Inlined into loops that hold them in locals: V8 keeps a local in a register or a stack slot
// that a multiply takes as its operand, whereas every read of a global is a load of its own,
// seven per block. The stitched seal and open (chacha20-simd.ts) inline it between ChaCha20
// rounds, where a call would make V8 spill every vector register.
// @ts-ignore: decorator
@inline export function polyBlockWith(m: usize, fullBlockBit: u32, R0: u64, R1: u64, R2: u64, R3: u64, S1: u64, S2: u64, S3: u64): void {
  // h += block, limb by limb (no carries: the limbs have room).
  const a0 = h0 + <u64>load<u32>(m, 0);
  const a1 = h1 + <u64>load<u32>(m, 4);
  const a2 = h2 + <u64>load<u32>(m, 8);
  const a3 = h3 + <u64>load<u32>(m, 12);
  const a4 = h4 + <u64>fullBlockBit;

  // h · r: products at 2^128 and above fold back through s_j.
  const d0 = a0 * R0 + a1 * S3 + a2 * S2 + a3 * S1;
  const d1 = a0 * R1 + a1 * R0 + a2 * S3 + a3 * S2 + a4 * S1;
  const d2 = a0 * R2 + a1 * R1 + a2 * R0 + a3 * S3 + a4 * S2;
  const d3 = a0 * R3 + a1 * R2 + a2 * R1 + a3 * R0 + a4 * S3;
  // Bits 128 and up; those from 130 on come back to the bottom times 5 (2^130 ≡ 5).
  const d4 = a4 * R0 + (d3 >> 32);
  h0 = (d0 & WORD_MASK) + (d4 >> 2) * 5;
  h1 = (d1 & WORD_MASK) + (d0 >> 32);
  h2 = (d2 & WORD_MASK) + (d1 >> 32);
  h3 = (d3 & WORD_MASK) + (d2 >> 32);
  h4 = d4 & 3;
}

// Absorbs `len` bytes at `m` (a multiple of 16). `fullBlockBit` is POLY_FULL_BLOCK_BIT for
// whole blocks and 0 for a final partial block the caller has already padded with 0x01, 0….
export function polyBlocks(m: usize, len: usize, fullBlockBit: u32): void {
  const R0 = r0, R1 = r1, R2 = r2, R3 = r3, S1 = s1, S2 = s2, S3 = s3;
  for (const end = m + len; m < end; m += POLY_BLOCK_BYTES) polyBlockWith(m, fullBlockBit, R0, R1, R2, R3, S1, S2, S3);
}

// Absorbs `len` bytes and zero-pads to a 16-byte boundary (the AEAD's pad16, RFC 8439 §2.8).
export function polyPadded(m: usize, len: usize): void {
  const whole = len & ~(POLY_BLOCK_BYTES - 1);
  polyBlocks(m, whole, POLY_FULL_BLOCK_BIT);
  const rest = len - whole;
  if (rest > 0) {
    memory.fill(polyBlockScratch, 0, POLY_BLOCK_BYTES);
    memory.copy(polyBlockScratch, m + whole, rest);
    polyBlocks(polyBlockScratch, POLY_BLOCK_BYTES, POLY_FULL_BLOCK_BIT);
  }
}

// Finishes the MAC: h mod p, plus s, mod 2^128, written as 16 bytes at `tag`; wipes the state.
export function polyFinish(tag: usize): void {
  // Carry through, so h0..h3 are words; then h4 is at most 4.
  let t = h0;
  const c0 = t & WORD_MASK;
  t = h1 + (t >> 32);
  const c1 = t & WORD_MASK;
  t = h2 + (t >> 32);
  const c2 = t & WORD_MASK;
  t = h3 + (t >> 32);
  const c3 = t & WORD_MASK;
  const c4 = h4 + (t >> 32);

  // h < 5 · 2^128 < 2p, so h mod p is h or h − p. g = h + 5 reaches 2^130 exactly when h ≥ p,
  // and then g − 2^130 = h − p; below 2^128 only g's low words matter.
  t = c0 + 5;
  const g0 = t & WORD_MASK;
  t = c1 + (t >> 32);
  const g1 = t & WORD_MASK;
  t = c2 + (t >> 32);
  const g2 = t & WORD_MASK;
  t = c3 + (t >> 32);
  const g3 = t & WORD_MASK;
  const g4 = c4 + (t >> 32);
  // Constant-time select: useG is all ones when g reached 2^130 (g4 is at most 5).
  const useG = <u64>0 - (g4 >> 2);
  const useH = ~useG;
  const w0 = (c0 & useH) | (g0 & useG);
  const w1 = (c1 & useH) | (g1 & useG);
  const w2 = (c2 & useH) | (g2 & useG);
  const w3 = (c3 & useH) | (g3 & useG);

  let f: u64 = w0 + pad0;
  store<u32>(tag, <u32>f, 0);
  f = w1 + pad1 + (f >> 32);
  store<u32>(tag, <u32>f, 4);
  f = w2 + pad2 + (f >> 32);
  store<u32>(tag, <u32>f, 8);
  f = w3 + pad3 + (f >> 32);
  store<u32>(tag, <u32>f, 12);

  r0 = 0; r1 = 0; r2 = 0; r3 = 0;
  s1 = 0; s2 = 0; s3 = 0;
  h0 = 0; h1 = 0; h2 = 0; h3 = 0; h4 = 0;
  pad0 = 0; pad1 = 0; pad2 = 0; pad3 = 0;
}
