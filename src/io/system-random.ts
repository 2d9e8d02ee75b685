// The operating system's randomness as the protocol core's RandomSource.
//
// Small requests come out of a pool filled POOL_BYTES at a time: under a handshake flood every
// cookie reply takes a 24-byte nonce, and one getrandom call per reply cost more than the
// reply's cryptography. Bytes handed out are wiped from the pool, so no key material lingers
// there; large requests bypass it.

import { randomFillSync } from "node:crypto";
import type { RandomSource } from "../wireguard/random-source.js";

const POOL_BYTES = 4096;

export function createSystemRandom(): RandomSource {
  const pool = new Uint8Array(POOL_BYTES);
  let used = POOL_BYTES; // nothing drawn yet: fill on first use
  return {
    bytes(length) {
      const out = new Uint8Array(length);
      if (length > POOL_BYTES / 4) return randomFillSync(out);
      if (used + length > POOL_BYTES) {
        randomFillSync(pool);
        used = 0;
      }
      const taken = pool.subarray(used, used + length);
      out.set(taken);
      taken.fill(0);
      used += length;
      return out;
    },
  };
}
