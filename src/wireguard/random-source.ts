// Where the protocol core gets randomness: ephemeral keys, receiver indices, cookie secrets,
// timer jitter. Injected, so tests replay a seeded source and the daemon passes node:crypto.

export interface RandomSource {
  bytes(length: number): Uint8Array;
}

// A uniform 32-bit value (receiver indices, jitter).
export function randomUint32(random: RandomSource): number {
  const bytes = random.bytes(4);
  return ((bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16)) + bytes[3]! * 2 ** 24) >>> 0;
}
