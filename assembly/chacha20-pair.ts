// ChaCha20, two blocks per call with 128-bit SIMD in the "horizontal" layout (RFC 8439 §2.3):
// vector a holds words 0–3 of a block, b 4–7, c 8–11, d 12–15. For messages of one block
// at most, where the four-block function (chacha20-simd.ts) would make two blocks nobody
// reads: seal and open of a small packet need the Poly1305 key block and one more.
// Flow:
//   1. rows of block n (counter c) and n + 1 (counter c + 1);
//   2. ten double rounds, both blocks side by side: a column round works on whole rows, and
//      rotating the lanes of b, c and d by 1, 2 and 3 turns diagonals into columns and back;
//   3. add the input rows back and store 128 bytes of keystream.

import { SIGMA0, SIGMA1, SIGMA2, SIGMA3 } from "./chacha20";
import { rotl12, rotl16, rotl7, rotl8 } from "./chacha20-simd";

export const PAIR_BYTES: usize = 128;

// Writes two blocks of keystream (key at `key`, counters counter and counter + 1, nonce words
// n0..n2) to `dst`, 128 bytes.
export function chachaKeystreamPair(key: usize, counter: u32, n0: u32, n1: u32, n2: u32, dst: usize): void {
  const a = i32x4(SIGMA0, SIGMA1, SIGMA2, SIGMA3);
  const b = v128.load(key, 0);
  const c = v128.load(key, 16);
  const d = i32x4(counter, n0, n1, n2);
  const e = i32x4(counter + 1, n0, n1, n2);
  let a0 = a, b0 = b, c0 = c, d0 = d;
  let a1 = a, b1 = b, c1 = c, d1 = e;
  for (let round = 0; round < 10; round++) {
    // Column round, then rotate lanes so the diagonals line up.
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); d0 = rotl16(v128.xor(d0, a0)); d1 = rotl16(v128.xor(d1, a1));
    c0 = i32x4.add(c0, d0); c1 = i32x4.add(c1, d1); b0 = rotl12(v128.xor(b0, c0)); b1 = rotl12(v128.xor(b1, c1));
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); d0 = rotl8(v128.xor(d0, a0)); d1 = rotl8(v128.xor(d1, a1));
    c0 = i32x4.add(c0, d0); c1 = i32x4.add(c1, d1); b0 = rotl7(v128.xor(b0, c0)); b1 = rotl7(v128.xor(b1, c1));
    b0 = i32x4.shuffle(b0, b0, 1, 2, 3, 0); b1 = i32x4.shuffle(b1, b1, 1, 2, 3, 0);
    c0 = i32x4.shuffle(c0, c0, 2, 3, 0, 1); c1 = i32x4.shuffle(c1, c1, 2, 3, 0, 1);
    d0 = i32x4.shuffle(d0, d0, 3, 0, 1, 2); d1 = i32x4.shuffle(d1, d1, 3, 0, 1, 2);
    // Diagonal round, then rotate the lanes back.
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); d0 = rotl16(v128.xor(d0, a0)); d1 = rotl16(v128.xor(d1, a1));
    c0 = i32x4.add(c0, d0); c1 = i32x4.add(c1, d1); b0 = rotl12(v128.xor(b0, c0)); b1 = rotl12(v128.xor(b1, c1));
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); d0 = rotl8(v128.xor(d0, a0)); d1 = rotl8(v128.xor(d1, a1));
    c0 = i32x4.add(c0, d0); c1 = i32x4.add(c1, d1); b0 = rotl7(v128.xor(b0, c0)); b1 = rotl7(v128.xor(b1, c1));
    b0 = i32x4.shuffle(b0, b0, 3, 0, 1, 2); b1 = i32x4.shuffle(b1, b1, 3, 0, 1, 2);
    c0 = i32x4.shuffle(c0, c0, 2, 3, 0, 1); c1 = i32x4.shuffle(c1, c1, 2, 3, 0, 1);
    d0 = i32x4.shuffle(d0, d0, 1, 2, 3, 0); d1 = i32x4.shuffle(d1, d1, 1, 2, 3, 0);
  }
  v128.store(dst, i32x4.add(a0, a), 0);
  v128.store(dst, i32x4.add(b0, b), 16);
  v128.store(dst, i32x4.add(c0, c), 32);
  v128.store(dst, i32x4.add(d0, d), 48);
  v128.store(dst, i32x4.add(a1, a), 64);
  v128.store(dst, i32x4.add(b1, b), 80);
  v128.store(dst, i32x4.add(c1, c), 96);
  v128.store(dst, i32x4.add(d1, e), 112);
}
