// A peer's candidate endpoints and where each came from: the netmap (what the peer reported),
// the peer's last callMeMaybe, and the source addresses of its pings (a NAT rebinding, or a NAT
// that gives the peer a new port per destination). Every source is capped, so neither a
// netmap nor a peer (or anyone replaying its packets) can grow the set without bound.
// Only IP literal endpoints are candidates: a name cannot be pinged or compared.

import { formatEndpoint, type Endpoint } from "../net/endpoint.js";
import { canonicalEndpoint } from "./disco.js";
import { MAX_DISCOVERED_CANDIDATES } from "./path-timing.js";

export const FROM_NETMAP = 1;
export const FROM_CALL_ME_MAYBE = 2;
export const FROM_PING = 4;

export interface Candidate {
  readonly endpoint: Endpoint;
  readonly key: string; // formatEndpoint of the canonical endpoint
  sources: number; // FROM_* bits
  lastPingAt: number | null;
  lastPongAt: number | null;
  rttMs: number | null; // of the last pong
}

export class CandidateSet {
  private readonly byKey = new Map<string, Candidate>();

  get size(): number {
    return this.byKey.size;
  }

  values(): IterableIterator<Candidate> {
    return this.byKey.values();
  }

  get(endpoint: Endpoint): Candidate | undefined {
    return this.byKey.get(formatEndpoint(endpoint));
  }

  // Whether `candidate` is still in the set (it may have been replaced or evicted).
  holds(candidate: Candidate): boolean {
    return this.byKey.get(candidate.key) === candidate;
  }

  // Makes the first `cap` usable `endpoints` the candidates from `source`; returns whether any
  // is new. A candidate left with no source goes, unless `keep` says it still answers: then it
  // stays as if learnt from a ping (the path in use is not dropped because a report moved on).
  replaceSource(source: number, endpoints: readonly Endpoint[], cap: number, keep: (candidate: Candidate) => boolean): boolean {
    const wanted = new Map<string, Endpoint>();
    for (const endpoint of endpoints) {
      const canonical = canonicalEndpoint(endpoint);
      if (canonical !== null && wanted.size < cap) wanted.set(formatEndpoint(canonical), canonical);
    }
    for (const candidate of [...this.byKey.values()]) {
      if ((candidate.sources & source) === 0 || wanted.has(candidate.key)) continue;
      candidate.sources &= ~source;
      if (candidate.sources !== 0) continue;
      if (keep(candidate)) candidate.sources = FROM_PING;
      else this.byKey.delete(candidate.key);
    }
    let added = false;
    for (const endpoint of wanted.values()) {
      added ||= !this.byKey.has(formatEndpoint(endpoint));
      this.upsert(endpoint, source);
    }
    return added;
  }

  // The source address of a ping, as a candidate; beyond the cap the oldest learnt this way
  // (never `protect`, the path in use) makes room.
  addFromPing(endpoint: Endpoint, protect: Candidate | null): Candidate {
    const existing = this.get(endpoint);
    if (existing !== undefined) return existing;
    const learnt = [...this.byKey.values()].filter((candidate) => candidate.sources === FROM_PING && candidate !== protect);
    if (learnt.length >= MAX_DISCOVERED_CANDIDATES) this.byKey.delete(learnt[0]!.key);
    return this.upsert(endpoint, FROM_PING);
  }

  private upsert(endpoint: Endpoint, source: number): Candidate {
    const key = formatEndpoint(endpoint);
    const existing = this.byKey.get(key);
    if (existing !== undefined) {
      existing.sources |= source;
      return existing;
    }
    const candidate: Candidate = { endpoint, key, sources: source, lastPingAt: null, lastPongAt: null, rttMs: null };
    this.byKey.set(key, candidate);
    return candidate;
  }
}
