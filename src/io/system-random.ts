// The operating system's randomness as the protocol core's RandomSource.

import { randomBytes } from "node:crypto";
import type { RandomSource } from "../wireguard/random-source.js";

export function createSystemRandom(): RandomSource {
  return { bytes: (length) => Uint8Array.from(randomBytes(length)) };
}
