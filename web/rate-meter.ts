// Each peer's current rate, from the byte counters the page reads every few seconds: the bytes
// moved since the newest reading at least RATE_WINDOW_MS old (or the oldest there is), over
// the time between — a rate over the last ten seconds or so, smooth enough to read. Kept on the
// server, so the first paint of a page opened now shows a rate already (another tab or the last
// poll left readings), and the page's script only swaps HTML.
//
// A counter that went down (the peer was replaced, the node restarted) starts over. Readings
// of peers no longer listed are dropped.

export const RATE_WINDOW_MS = 10_000;
// Below this the division says more about timing jitter than about traffic.
const MIN_SPAN_MS = 1000;
const MAX_READINGS = 32; // per peer: polls from many tabs within one window

export interface Reading {
  readonly at: number;
  readonly rxBytes: number;
  readonly txBytes: number;
}

export interface Rate {
  readonly rxPerSecond: number;
  readonly txPerSecond: number;
}

export interface RateMeter {
  /** Records the counters of every listed peer at `now`; each peer's rate, or null while too few readings exist. */
  observe(now: number, peers: readonly { readonly nodeKey: string; readonly rxBytes: number; readonly txBytes: number }[]): Map<string, Rate | null>;
}

export function createRateMeter(): RateMeter {
  const readings = new Map<string, Reading[]>();

  return {
    observe(now, peers) {
      const rates = new Map<string, Rate | null>();
      const listed = new Set(peers.map((peer) => peer.nodeKey));
      for (const key of readings.keys()) if (!listed.has(key)) readings.delete(key);
      for (const peer of peers) {
        const reading = { at: now, rxBytes: peer.rxBytes, txBytes: peer.txBytes };
        let kept = readings.get(peer.nodeKey) ?? [];
        const last = kept.at(-1);
        if (last !== undefined && (reading.rxBytes < last.rxBytes || reading.txBytes < last.txBytes || now < last.at)) kept = [];
        // Keep the newest reading older than the window as the base, and everything after it.
        const firstInWindow = kept.findIndex((old) => now - old.at <= RATE_WINDOW_MS);
        kept = firstInWindow === -1 ? kept.slice(-1) : kept.slice(Math.max(0, firstInWindow - 1));
        kept = [...kept, reading].slice(-MAX_READINGS);
        readings.set(peer.nodeKey, kept);
        const base = kept[0]!;
        const spanMs = now - base.at;
        rates.set(
          peer.nodeKey,
          spanMs < MIN_SPAN_MS ? null : { rxPerSecond: ((reading.rxBytes - base.rxBytes) * 1000) / spanMs, txPerSecond: ((reading.txBytes - base.txBytes) * 1000) / spanMs },
        );
      }
      return rates;
    },
  };
}
