// RFC 7693 (BLAKE2) known answers shared by the BLAKE2s tests.

// Appendix B: BLAKE2s-256("abc"), and of the empty input.
export const BLAKE2S_256_ABC = "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982";
export const BLAKE2S_256_EMPTY = "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9";

// Appendix E: the self-test's input generator (a Fibonacci-like sequence, top bytes).
export function selftestSequence(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let a = Math.imul(0xdead4bad, seed) >>> 0;
  let b = 1;
  for (let i = 0; i < length; i++) {
    const t = (a + b) >>> 0;
    a = b;
    b = t;
    out[i] = t >>> 24;
  }
  return out;
}
