// ChaCha20, four blocks per call with 128-bit SIMD (RFC 8439 §2.3, same results as the scalar
// path in chacha20.ts, which the tests check on every vector).
//
// Layout: "vertical". Vector xi holds word i of four consecutive blocks (counters c..c+3), so
// one quarter round on vectors is four quarter rounds, and no lane ever crosses to another.
// Flow:
//   1. load constants and key words splatted; word 12 gets counters c, c+1, c+2, c+3;
//   2. ten double rounds (twenty half rounds); rotations by 16 and 8 are byte swizzles, by 12
//      and 7 shift pairs;
//   3. add the input state back, transpose each 4×4 group of words into block order;
//   4. XOR 256 bytes of input and store.
// Optionally Poly1305 is woven into step 2 (the stitched seal and open, stitched-aead.ts): one 16-byte
// block after each half round. The rounds keep the vector units busy and Poly1305 the scalar
// multiplier, so the CPU runs both at once instead of one after the other.

import { SIGMA0, SIGMA1, SIGMA2, SIGMA3 } from "./chacha20";
import { POLY_BLOCK_BYTES, POLY_FULL_BLOCK_BIT, polyBlockWith, r0, r1, r2, r3, s1, s2, s3 } from "./poly1305";

export const BLOCKS4_BYTES: usize = 256;

// The four constant words, each splatted to a row. Loaded from memory (one load each, also for
// the feed-forward) rather than built from immediates at both places (two vector instructions
// each): in this loop every vector instruction saved counts.
const sigmaRows: usize = memory.data<u32>([
  SIGMA0, SIGMA0, SIGMA0, SIGMA0, SIGMA1, SIGMA1, SIGMA1, SIGMA1,
  SIGMA2, SIGMA2, SIGMA2, SIGMA2, SIGMA3, SIGMA3, SIGMA3, SIGMA3,
]);

// Rotations by 16 and 8 are byte permutations, written as swizzles with a constant mask rather
// than i8x16.shuffle. V8 (x64) turns these shuffles into pshuflw + pshufhw (by 16) and into a
// pshufb whose mask it rebuilds from immediates at every use, four more instructions (by 8).
// A constant swizzle mask is a value of its own, built once outside the round loop, and V8
// sees its indices are in range: one pshufb (tbl on arm64) per rotation.
// Measured: ChaCha20 over 1420 B 1053-1142 ns against 1111-1197 ns with shuffles. Shared with
// chacha20-pair.ts.
// @ts-ignore: decorator
@inline export function rotl16(v: v128): v128 {
  return i8x16.swizzle(v, i8x16(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
}
// @ts-ignore: decorator
@inline export function rotl8(v: v128): v128 {
  return i8x16.swizzle(v, i8x16(3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14));
}
// @ts-ignore: decorator
@inline export function rotl12(v: v128): v128 {
  return v128.or(i32x4.shl(v, 12), i32x4.shr_u(v, 20));
}
// @ts-ignore: decorator
@inline export function rotl7(v: v128): v128 {
  return v128.or(i32x4.shl(v, 7), i32x4.shr_u(v, 25));
}

// Transposes words i..i+3 of the four blocks (vectors a, b, c, d hold words i, i+1, i+2, i+3)
// and XORs them into bytes 4i..4i+15 of each of the four 64-byte blocks at src → dst. The
// blocks' offsets are immediates, which V8 folds into the addresses (an added constant would
// cost an instruction of its own, as a wasm address must wrap at 32 bits).
// @ts-ignore: decorator
@inline function xorWordGroup(a: v128, b: v128, c: v128, d: v128, src: usize, dst: usize): void {
  const ab01 = i32x4.shuffle(a, b, 0, 4, 1, 5); // block0: a b, block1: a b
  const ab23 = i32x4.shuffle(a, b, 2, 6, 3, 7); // block2, block3
  const cd01 = i32x4.shuffle(c, d, 0, 4, 1, 5);
  const cd23 = i32x4.shuffle(c, d, 2, 6, 3, 7);
  v128.store(dst, v128.xor(v128.load(src), i64x2.shuffle(ab01, cd01, 0, 2)));
  v128.store(dst, v128.xor(v128.load(src, 64), i64x2.shuffle(ab01, cd01, 1, 3)), 64);
  v128.store(dst, v128.xor(v128.load(src, 128), i64x2.shuffle(ab23, cd23, 0, 2)), 128);
  v128.store(dst, v128.xor(v128.load(src, 192), i64x2.shuffle(ab23, cd23, 1, 3)), 192);
}

// XORs four ChaCha20 blocks (key at `key`, counters counter..counter+3, nonce words n0..n2)
// from `src` into `dst`: 256 bytes each, may alias. Meanwhile absorbs `macBlocks` (at most
// 20, one per half round) whole 16-byte blocks at `mac` into the running Poly1305. All of them
// are absorbed before `dst` is written (after the rounds), so `mac` may be `src` itself (open
// absorbs a group's ciphertext as it decrypts it); it must not be other bytes of `dst`.
//
// Why the loop has this shape (each measured on the stitched seal of 1420 B): it runs over
// half rounds, one Poly1305 block after each. Written as a double round with a block after
// each half, the compiled loop (binaryen, then V8) had both blocks back to back after the
// double round (in the x64 code, the double round's ~190 instructions, then both blocks), and
// the CPU overlapped the two kinds of work less. Poly1305's r and s are locals, so V8
// multiplies by their stack slots instead of loading seven globals per block; the key words
// are splatted by a load (v128.load32_splat: no general-purpose registers held for the
// feed-forward). Seal 1,360 → 1,250 ns in all, most of it from the half-round loop.
export function chachaXorBlocks4(key: usize, counter: u32, n0: u32, n1: u32, n2: u32, src: usize, dst: usize, mac: usize, macBlocks: u32): void {
  const counters = i32x4.add(i32x4.splat(counter), i32x4(0, 1, 2, 3));
  let x0 = v128.load(sigmaRows, 0), x1 = v128.load(sigmaRows, 16), x2 = v128.load(sigmaRows, 32), x3 = v128.load(sigmaRows, 48);
  let x4 = v128.load32_splat(key, 0), x5 = v128.load32_splat(key, 4), x6 = v128.load32_splat(key, 8), x7 = v128.load32_splat(key, 12);
  let x8 = v128.load32_splat(key, 16), x9 = v128.load32_splat(key, 20), x10 = v128.load32_splat(key, 24), x11 = v128.load32_splat(key, 28);
  let x12 = counters, x13 = i32x4.splat(n0), x14 = i32x4.splat(n1), x15 = i32x4.splat(n2);
  const macEnd = mac + <usize>macBlocks * POLY_BLOCK_BYTES;
  const R0 = r0, R1 = r1, R2 = r2, R3 = r3, S1 = s1, S2 = s2, S3 = s3;
  for (let half = 0; half < 20; half++) {
    if ((half & 1) == 0) {
      // Column round (§2.2).
      x0 = i32x4.add(x0, x4); x12 = rotl16(v128.xor(x12, x0)); x8 = i32x4.add(x8, x12); x4 = rotl12(v128.xor(x4, x8));
      x1 = i32x4.add(x1, x5); x13 = rotl16(v128.xor(x13, x1)); x9 = i32x4.add(x9, x13); x5 = rotl12(v128.xor(x5, x9));
      x2 = i32x4.add(x2, x6); x14 = rotl16(v128.xor(x14, x2)); x10 = i32x4.add(x10, x14); x6 = rotl12(v128.xor(x6, x10));
      x3 = i32x4.add(x3, x7); x15 = rotl16(v128.xor(x15, x3)); x11 = i32x4.add(x11, x15); x7 = rotl12(v128.xor(x7, x11));
      x0 = i32x4.add(x0, x4); x12 = rotl8(v128.xor(x12, x0)); x8 = i32x4.add(x8, x12); x4 = rotl7(v128.xor(x4, x8));
      x1 = i32x4.add(x1, x5); x13 = rotl8(v128.xor(x13, x1)); x9 = i32x4.add(x9, x13); x5 = rotl7(v128.xor(x5, x9));
      x2 = i32x4.add(x2, x6); x14 = rotl8(v128.xor(x14, x2)); x10 = i32x4.add(x10, x14); x6 = rotl7(v128.xor(x6, x10));
      x3 = i32x4.add(x3, x7); x15 = rotl8(v128.xor(x15, x3)); x11 = i32x4.add(x11, x15); x7 = rotl7(v128.xor(x7, x11));
    } else {
      // Diagonal round (§2.2).
      x0 = i32x4.add(x0, x5); x15 = rotl16(v128.xor(x15, x0)); x10 = i32x4.add(x10, x15); x5 = rotl12(v128.xor(x5, x10));
      x1 = i32x4.add(x1, x6); x12 = rotl16(v128.xor(x12, x1)); x11 = i32x4.add(x11, x12); x6 = rotl12(v128.xor(x6, x11));
      x2 = i32x4.add(x2, x7); x13 = rotl16(v128.xor(x13, x2)); x8 = i32x4.add(x8, x13); x7 = rotl12(v128.xor(x7, x8));
      x3 = i32x4.add(x3, x4); x14 = rotl16(v128.xor(x14, x3)); x9 = i32x4.add(x9, x14); x4 = rotl12(v128.xor(x4, x9));
      x0 = i32x4.add(x0, x5); x15 = rotl8(v128.xor(x15, x0)); x10 = i32x4.add(x10, x15); x5 = rotl7(v128.xor(x5, x10));
      x1 = i32x4.add(x1, x6); x12 = rotl8(v128.xor(x12, x1)); x11 = i32x4.add(x11, x12); x6 = rotl7(v128.xor(x6, x11));
      x2 = i32x4.add(x2, x7); x13 = rotl8(v128.xor(x13, x2)); x8 = i32x4.add(x8, x13); x7 = rotl7(v128.xor(x7, x8));
      x3 = i32x4.add(x3, x4); x14 = rotl8(v128.xor(x14, x3)); x9 = i32x4.add(x9, x14); x4 = rotl7(v128.xor(x4, x9));
    }
    if (mac < macEnd) {
      polyBlockWith(mac, POLY_FULL_BLOCK_BIT, R0, R1, R2, R3, S1, S2, S3);
      mac += POLY_BLOCK_BYTES;
    }
  }
  // Feed-forward (§2.3 step "add the original input words"), then out in block order.
  x0 = i32x4.add(x0, v128.load(sigmaRows, 0)); x1 = i32x4.add(x1, v128.load(sigmaRows, 16));
  x2 = i32x4.add(x2, v128.load(sigmaRows, 32)); x3 = i32x4.add(x3, v128.load(sigmaRows, 48));
  xorWordGroup(x0, x1, x2, x3, src, dst);
  x4 = i32x4.add(x4, v128.load32_splat(key, 0)); x5 = i32x4.add(x5, v128.load32_splat(key, 4));
  x6 = i32x4.add(x6, v128.load32_splat(key, 8)); x7 = i32x4.add(x7, v128.load32_splat(key, 12));
  xorWordGroup(x4, x5, x6, x7, src + 16, dst + 16);
  x8 = i32x4.add(x8, v128.load32_splat(key, 16)); x9 = i32x4.add(x9, v128.load32_splat(key, 20));
  x10 = i32x4.add(x10, v128.load32_splat(key, 24)); x11 = i32x4.add(x11, v128.load32_splat(key, 28));
  xorWordGroup(x8, x9, x10, x11, src + 32, dst + 32);
  x12 = i32x4.add(x12, counters); x13 = i32x4.add(x13, i32x4.splat(n0));
  x14 = i32x4.add(x14, i32x4.splat(n1)); x15 = i32x4.add(x15, i32x4.splat(n2));
  xorWordGroup(x12, x13, x14, x15, src + 48, dst + 48);
}
