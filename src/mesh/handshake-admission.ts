// Who may make the coordinator do Curve25519 work. A session initiation needs only mac1, and the
// coordinator's key is public, so anyone can send valid-looking initiations; each accepted one
// costs five X25519 operations (~0.25 ms of CPU). Two gates, both before any of that work:
//
// 1. Per source (admitSource, before the body is read): a token bucket per TCP peer address —
//    TCP has already proved the address, so WireGuard's cookie round trip buys nothing here.
//    IPv4 addresses count one by one, IPv6 by /64 (one subscriber gets a whole /64, so its
//    addresses are one source). The table of buckets is bounded (least recently used goes).
// 2. Global (admitHandshake, after mac1): however many sources a flood comes from (addresses
//    are cheap to fake on a LAN, and a /64 per subscriber is not a limit on IPv6), at most
//    `global` handshakes per second are computed. That bounds the flood's CPU cost; it does not
//    stop the flood from using up that budget. So sources that recently completed a handshake
//    for a registered node are *trusted* for a while and draw from a budget of their own
//    first: a flood from fresh addresses cannot starve the nodes the coordinator already knows
//    (a node renews its session every nine minutes from the same address, as a rule).
//
// Refused requests get 429 with Retry-After (plaintext: the client treats it as transient).

import { parseIpAddress } from "../net/ip-prefix.js";
import { KeyedTokenBuckets, TokenBucket, type Rate } from "./token-bucket.js";

export interface HandshakeLimits {
  readonly perSource: Rate;
  readonly trackedSources: number;
  readonly global: Rate;
  readonly trusted: Rate;
  readonly trustedSources: number;
  readonly trustedForMs: number;
}

// The numbers (src/mesh/README.md explains them): a source may open 20 sessions at once and 5
// per second after that (an office of nodes behind one NAT comes back after a coordinator
// restart); all unknown sources together get 400 handshakes/s (~0.1 core), trusted ones 200/s
// more. 16,384 sources are tracked and 16,384 trusted, for an hour after their last handshake.
export const DEFAULT_HANDSHAKE_LIMITS: HandshakeLimits = {
  perSource: { perSecond: 5, burst: 20 },
  trackedSources: 16_384,
  global: { perSecond: 400, burst: 400 },
  trusted: { perSecond: 200, burst: 400 },
  trustedSources: 16_384,
  trustedForMs: 60 * 60_000,
};

// The source a request is counted against: an IPv4 address, an IPv6 /64, or "unknown" (no
// address known: every such request shares one bucket).
export function sourceKey(address: string | null): string {
  if (address === null) return "unknown";
  const parsed = parseIpAddress(address.replace(/%.*$/, ""));
  if (parsed === null) return "unknown";
  const bytes = parsed.bytes;
  if (parsed.family === 4) return bytes.join(".");
  const mapped = bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return Array.from(bytes.subarray(12)).join(".");
  return `${Buffer.from(bytes.subarray(0, 8)).toString("hex")}::/64`;
}

export interface HandshakeAdmission {
  // 0 when `source` may send a handshake now, else the ms until it may.
  admitSource(source: string, now: number): number;
  // After mac1: 0 when a handshake may be computed now (trusted budget first for a trusted
  // source, then the global one), else the ms until one may.
  admitHandshake(source: string, now: number): number;
  // `source` completed a handshake for a registered node.
  trust(source: string, now: number): void;
  stats(): { trackedSources: number; trustedSources: number };
}

export function createHandshakeAdmission(limits: HandshakeLimits, now: number): HandshakeAdmission {
  const perSource = new KeyedTokenBuckets(limits.perSource, limits.trackedSources);
  const global = new TokenBucket(limits.global, now);
  const trustedBudget = new TokenBucket(limits.trusted, now);
  // Source → until when it is trusted; least recently trusted first (evicted first).
  const trusted = new Map<string, number>();

  const isTrusted = (source: string, at: number): boolean => {
    const until = trusted.get(source);
    if (until === undefined) return false;
    if (until > at) return true;
    trusted.delete(source);
    return false;
  };

  return {
    admitSource: (source, at) => perSource.take(source, at),
    admitHandshake(source, at) {
      if (isTrusted(source, at) && trustedBudget.take(at) === 0) return 0;
      return global.take(at);
    },
    trust(source, at) {
      trusted.delete(source);
      trusted.set(source, at + limits.trustedForMs);
      if (trusted.size > limits.trustedSources) trusted.delete(trusted.keys().next().value!);
    },
    stats: () => ({ trackedSources: perSource.size, trustedSources: trusted.size }),
  };
}
