// A deterministic random source for tests: sfc32 (Chris Doty-Humphrey's Small Fast Counter),
// seeded from one 32-bit number, so every "random" case can be replayed from its seed.

export interface SeededRandom {
  // Uniform integer in [0, bound).
  below(bound: number): number;
  // `length` uniform bytes.
  bytes(length: number): Uint8Array;
  // One element of a non-empty list.
  pick<T>(items: readonly T[]): T;
}

export function createSeededRandom(seed: number): SeededRandom {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Warm-up: the first outputs of a fresh sfc32 state are correlated with the seed.
  for (let i = 0; i < 12; i++) next();
  return {
    below(bound) {
      return Math.floor((next() / 2 ** 32) * bound);
    },
    bytes(length) {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i += 4) {
        const word = next();
        for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
      }
      return out;
    },
    pick(items) {
      const item = items[this.below(items.length)];
      if (item === undefined) throw new RangeError("pick() needs a non-empty list");
      return item;
    },
  };
}
