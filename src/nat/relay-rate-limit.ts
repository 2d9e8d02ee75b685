// Rate limits for the relays: a token bucket (a rate with a burst), one per source in a bounded
// map, and what counts as one source. Time is an argument (monotonic ms).
//
// The same idea as src/mesh/token-bucket.ts, which src/nat may not import (the layer table puts
// mesh and nat side by side); both are small enough that one copy each is the simpler choice.

import { parseIpAddress } from "../net/ip-prefix.js";

export interface Rate {
  readonly perSecond: number;
  readonly burst: number;
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly rate: Rate,
    now: number,
  ) {
    this.tokens = rate.burst;
    this.updatedAt = now;
  }

  // Takes a token when there is one.
  take(now: number): boolean {
    const elapsed = now - this.updatedAt;
    if (elapsed > 0) this.tokens = Math.min(this.rate.burst, this.tokens + (elapsed * this.rate.perSecond) / 1000);
    this.updatedAt = Math.max(this.updatedAt, now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

// One bucket per key, at most `maxKeys` (least recently used goes: a Map keeps insertion order
// and a used key moves to the end). An evicted key comes back with a full bucket, which is why
// a global budget stands behind these wherever work is expensive.
export class KeyedTokenBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly rate: Rate,
    private readonly maxKeys: number,
  ) {}

  take(key: string, now: number): boolean {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.rate, now);
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    } else {
      this.buckets.delete(key);
    }
    this.buckets.set(key, bucket);
    return bucket.take(now);
  }

  get size(): number {
    return this.buckets.size;
  }
}

// What a limit counts as one source: an IPv4 address, or an IPv6 /64 (a subscriber gets a whole
// /64, so its addresses are one source); an IPv4-mapped IPv6 address is its IPv4 address.
export function sourceGroup(host: string): string {
  const parsed = parseIpAddress(host.replace(/%.*$/, ""));
  if (parsed === null) return "unknown";
  const bytes = parsed.bytes;
  if (parsed.family === 4) return bytes.join(".");
  const mapped = bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return Array.from(bytes.subarray(12)).join(".");
  return `${Buffer.from(bytes.subarray(0, 8)).toString("hex")}::/64`;
}
