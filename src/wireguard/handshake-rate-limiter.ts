// Per-source limit on handshake messages, applied when the device is under load to messages
// that carried a valid mac2 (whitepaper §5.3): the source has proven it receives at its
// address, so the address is worth limiting. A token bucket per source — an IPv4 address, or
// an IPv6 /64 (the kernel's rule: one host holds a whole /64, and must not get 2^64 buckets) —
// with HANDSHAKES_PER_SECOND per source and a burst of HANDSHAKE_BURST, wireguard-go's values.

export const HANDSHAKES_PER_SECOND = 20;
export const HANDSHAKE_BURST = 5;
const TOKEN_MS = 1000 / HANDSHAKES_PER_SECOND;
const MAX_TOKENS_MS = TOKEN_MS * HANDSHAKE_BURST;
// Buckets idle this long are full again and can be forgotten.
const IDLE_MS = MAX_TOKENS_MS;
// Forgetting walks every bucket, so it runs at most this often (wireguard-go: once a second).
export const PRUNE_INTERVAL_MS = 1000;
// Sources with valid cookies must not grow memory without bound: past this many tracked
// sources, new ones are refused until buckets go idle (the kernel refuses too).
export const MAX_SOURCES = 65_536;

export type RateDecision = "allowed" | "limited" | "full";

interface Bucket {
  tokensMs: number;
  updatedAt: number;
}

export interface HandshakeRateLimiter {
  // Whether a handshake message from `source` (sourceKey()) may be processed now.
  allow(now: number, source: string): RateDecision;
  // Forgets idle sources, at most once per PRUNE_INTERVAL_MS; call from the device tick.
  prune(now: number): void;
  readonly trackedSources: number;
}

// The limiter's key for an address: IPv4 as it is, IPv6 by its /64.
export function sourceKey(address: { readonly family: 4 | 6; readonly bytes: Uint8Array }): string {
  if (address.family === 4) return address.bytes.join(".");
  return `${Buffer.from(address.bytes.subarray(0, 8)).toString("hex")}::/64`;
}

export function createHandshakeRateLimiter(maxSources = MAX_SOURCES): HandshakeRateLimiter {
  const buckets = new Map<string, Bucket>();
  let prunedAt = -Infinity;
  return {
    allow(now, source) {
      let bucket = buckets.get(source);
      if (bucket === undefined) {
        if (buckets.size >= maxSources) return "full";
        bucket = { tokensMs: MAX_TOKENS_MS, updatedAt: now };
        buckets.set(source, bucket);
      }
      bucket.tokensMs = Math.min(MAX_TOKENS_MS, bucket.tokensMs + Math.max(0, now - bucket.updatedAt));
      bucket.updatedAt = now;
      if (bucket.tokensMs < TOKEN_MS) return "limited";
      bucket.tokensMs -= TOKEN_MS;
      return "allowed";
    },
    prune(now) {
      if (now - prunedAt < PRUNE_INTERVAL_MS) return;
      prunedAt = now;
      for (const [source, bucket] of buckets) if (now - bucket.updatedAt >= IDLE_MS) buckets.delete(source);
    },
    get trackedSources() {
      return buckets.size;
    },
  };
}
