// Compares a secret a request presents with the one expected, in time that does not depend on
// where they differ (nor on the length of either: both are hashed to 32 bytes first).

import { createHash, timingSafeEqual } from "node:crypto";

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

export function equalSecrets(presented: string, expected: string): boolean {
  // An empty expected secret would let an empty header through: nothing matches it.
  return expected !== "" && timingSafeEqual(digest(presented), digest(expected));
}
