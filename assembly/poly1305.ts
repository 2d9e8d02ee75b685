// Poly1305 (RFC 8439 §2.5), 26-bit limbs so every product fits a 64-bit multiply.
//
// Flow: polyInit(key) clamps r and keeps s (the "pad"); polyBlocks absorbs whole 16-byte
// blocks (h = (h + block) · r mod 2^130 − 5); polyFinish reduces h fully, adds s and writes the
// tag. The state is module-level because one MAC is in flight at a time in this
// single-threaded core; polyFinish wipes it.

const LIMB_MASK: u32 = 0x3ffffff;
// Bit 128 of a full block (the appended 0x01 byte of §2.5.1), as seen in limb 4 (bits 104–129).
export const POLY_FULL_BLOCK_BIT: u32 = 1 << 24;
export const POLY_BLOCK_BYTES: usize = 16;

let r0: u32 = 0, r1: u32 = 0, r2: u32 = 0, r3: u32 = 0, r4: u32 = 0;
// 5·r1..5·r4: r·2^130 ≡ 5r (mod p), so the high products fold back multiplied by 5.
let s1: u32 = 0, s2: u32 = 0, s3: u32 = 0, s4: u32 = 0;
let h0: u32 = 0, h1: u32 = 0, h2: u32 = 0, h3: u32 = 0, h4: u32 = 0;
let pad0: u32 = 0, pad1: u32 = 0, pad2: u32 = 0, pad3: u32 = 0;

// Starts a MAC under the 32-byte one-time key at `key`: r = clamp(key[0..16]) (§2.5.1),
// s = key[16..32].
export function polyInit(key: usize): void {
  r0 = load<u32>(key, 0) & 0x3ffffff;
  r1 = (load<u32>(key, 3) >> 2) & 0x3ffff03;
  r2 = (load<u32>(key, 6) >> 4) & 0x3ffc0ff;
  r3 = (load<u32>(key, 9) >> 6) & 0x3f03fff;
  r4 = (load<u32>(key, 12) >> 8) & 0x00fffff;
  s1 = r1 * 5; s2 = r2 * 5; s3 = r3 * 5; s4 = r4 * 5;
  h0 = 0; h1 = 0; h2 = 0; h3 = 0; h4 = 0;
  pad0 = load<u32>(key, 16);
  pad1 = load<u32>(key, 20);
  pad2 = load<u32>(key, 24);
  pad3 = load<u32>(key, 28);
}

// Absorbs one whole 16-byte block at `m`: h = (h + block) · r mod 2^130 − 5, partially
// reduced. Works on the module state directly so that the stitched seal (chacha20-simd.ts) can
// inline it between ChaCha20 rounds: a call there would make V8 spill every vector register.
// @ts-ignore: decorator
@inline export function polyBlock(m: usize, fullBlockBit: u32): void {
  const R0 = <u64>r0, R1 = <u64>r1, R2 = <u64>r2, R3 = <u64>r3, R4 = <u64>r4;
  const S1 = <u64>s1, S2 = <u64>s2, S3 = <u64>s3, S4 = <u64>s4;
  const A0 = <u64>(h0 + (load<u32>(m, 0) & LIMB_MASK));
  const A1 = <u64>(h1 + ((load<u32>(m, 3) >> 2) & LIMB_MASK));
  const A2 = <u64>(h2 + ((load<u32>(m, 6) >> 4) & LIMB_MASK));
  const A3 = <u64>(h3 + ((load<u32>(m, 9) >> 6) & LIMB_MASK));
  const A4 = <u64>(h4 + ((load<u32>(m, 12) >> 8) | fullBlockBit));

  const d0 = A0 * R0 + A1 * S4 + A2 * S3 + A3 * S2 + A4 * S1;
  let d1 = A0 * R1 + A1 * R0 + A2 * S4 + A3 * S3 + A4 * S2;
  let d2 = A0 * R2 + A1 * R1 + A2 * R0 + A3 * S4 + A4 * S3;
  let d3 = A0 * R3 + A1 * R2 + A2 * R1 + A3 * R0 + A4 * S4;
  const d4 = A0 * R4 + A1 * R3 + A2 * R2 + A3 * R1 + A4 * R0;

  // Partial carry: limbs end below 2^26 except h1, which may exceed it by a few bits.
  d1 += d0 >> 26;
  d2 += d1 >> 26;
  d3 += d2 >> 26;
  const c4 = d4 + (d3 >> 26);
  const a0 = (<u32>d0 & LIMB_MASK) + <u32>(c4 >> 26) * 5;
  h0 = a0 & LIMB_MASK;
  h1 = (<u32>d1 & LIMB_MASK) + (a0 >> 26);
  h2 = <u32>d2 & LIMB_MASK;
  h3 = <u32>d3 & LIMB_MASK;
  h4 = <u32>c4 & LIMB_MASK;
}

// Absorbs `len` bytes at `m` (a multiple of 16). `fullBlockBit` is POLY_FULL_BLOCK_BIT for
// whole blocks and 0 for a final partial block the caller has already padded with 0x01, 0….
export function polyBlocks(m: usize, len: usize, fullBlockBit: u32): void {
  for (const end = m + len; m < end; m += POLY_BLOCK_BYTES) polyBlock(m, fullBlockBit);
}

// Finishes the MAC: h mod p, plus s, mod 2^128, written as 16 bytes at `tag`; wipes the state.
export function polyFinish(tag: usize): void {
  let a0 = h0, a1 = h1, a2 = h2, a3 = h3, a4 = h4;
  // Full carry.
  a2 += a1 >> 26; a1 &= LIMB_MASK;
  a3 += a2 >> 26; a2 &= LIMB_MASK;
  a4 += a3 >> 26; a3 &= LIMB_MASK;
  a0 += (a4 >> 26) * 5; a4 &= LIMB_MASK;
  a1 += a0 >> 26; a0 &= LIMB_MASK;

  // g = h + 5 − 2^130; if that did not borrow, h ≥ p and g is the reduced value.
  let g0 = a0 + 5;
  let g1 = a1 + (g0 >> 26); g0 &= LIMB_MASK;
  let g2 = a2 + (g1 >> 26); g1 &= LIMB_MASK;
  let g3 = a3 + (g2 >> 26); g2 &= LIMB_MASK;
  let g4 = a4 + (g3 >> 26) - (1 << 26); g3 &= LIMB_MASK;
  // Constant-time select: useG is all ones when g4 did not go negative.
  const useG = (g4 >> 31) - 1;
  const useH = ~useG;
  a0 = (a0 & useH) | (g0 & useG);
  a1 = (a1 & useH) | (g1 & useG);
  a2 = (a2 & useH) | (g2 & useG);
  a3 = (a3 & useH) | (g3 & useG);
  a4 = (a4 & useH) | (g4 & useG);

  // Repack to four 32-bit words (mod 2^128) and add s with carry.
  const w0 = a0 | (a1 << 26);
  const w1 = (a1 >> 6) | (a2 << 20);
  const w2 = (a2 >> 12) | (a3 << 14);
  const w3 = (a3 >> 18) | (a4 << 8);
  let f: u64 = <u64>w0 + pad0;
  store<u32>(tag, <u32>f, 0);
  f = <u64>w1 + pad1 + (f >> 32);
  store<u32>(tag, <u32>f, 4);
  f = <u64>w2 + pad2 + (f >> 32);
  store<u32>(tag, <u32>f, 8);
  f = <u64>w3 + pad3 + (f >> 32);
  store<u32>(tag, <u32>f, 12);

  r0 = 0; r1 = 0; r2 = 0; r3 = 0; r4 = 0;
  s1 = 0; s2 = 0; s3 = 0; s4 = 0;
  h0 = 0; h1 = 0; h2 = 0; h3 = 0; h4 = 0;
  pad0 = 0; pad1 = 0; pad2 = 0; pad3 = 0;
}
