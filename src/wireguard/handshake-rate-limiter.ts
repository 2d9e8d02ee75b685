// Per-source limit on handshake initiations, applied when the device is under load (together
// with cookies, whitepaper §5.3): a token bucket per source IP address (not port: one host
// changing ports must not get more), HANDSHAKES_PER_SECOND per source with a burst of
// HANDSHAKE_BURST, the same budget wireguard-go grants.

export const HANDSHAKES_PER_SECOND = 20;
export const HANDSHAKE_BURST = 5;
const TOKEN_MS = 1000 / HANDSHAKES_PER_SECOND;
const MAX_TOKENS_MS = TOKEN_MS * HANDSHAKE_BURST;
// Buckets idle this long are full again and can be forgotten.
const IDLE_MS = MAX_TOKENS_MS;
// A flood from spoofed addresses must not grow memory without bound: past this many tracked
// sources, new sources are refused until buckets go idle.
const MAX_SOURCES = 65_536;

interface Bucket {
  tokensMs: number;
  updatedAt: number;
}

export interface HandshakeRateLimiter {
  // True if a handshake from `source` (its IP address, as text) may be processed now.
  allow(now: number, source: string): boolean;
  // Forgets idle sources; call from the device tick.
  prune(now: number): void;
  readonly trackedSources: number;
}

export function createHandshakeRateLimiter(): HandshakeRateLimiter {
  const buckets = new Map<string, Bucket>();
  return {
    allow(now, source) {
      let bucket = buckets.get(source);
      if (bucket === undefined) {
        if (buckets.size >= MAX_SOURCES) return false;
        bucket = { tokensMs: MAX_TOKENS_MS, updatedAt: now };
        buckets.set(source, bucket);
      }
      bucket.tokensMs = Math.min(MAX_TOKENS_MS, bucket.tokensMs + Math.max(0, now - bucket.updatedAt));
      bucket.updatedAt = now;
      if (bucket.tokensMs < TOKEN_MS) return false;
      bucket.tokensMs -= TOKEN_MS;
      return true;
    },
    prune(now) {
      for (const [source, bucket] of buckets) if (now - bucket.updatedAt >= IDLE_MS) buckets.delete(source);
    },
    get trackedSources() {
      return buckets.size;
    },
  };
}
