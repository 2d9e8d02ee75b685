// How much handshake work the device may do, and when: a token bucket of estimated
// microseconds, refilled by the `now` each call passes in (the core reads no clock). It caps
// both the work one call may do (HANDSHAKE_BURST_US: the data packets of that call wait at
// most this long) and its share of time (HANDSHAKE_SHARE: whatever the flood, at least the
// rest goes to moving packets). Work beyond it waits in the handshake queue, which drops what
// does not fit and, once 1/8 full, puts the device under load (cookies, then rate limits).
//
// Costs are estimates measured on the development machine (Node 20, x86-64, 2 cores), not clock
// reads: the checks (mac1, the under-load decision, mac2) ~2.5 µs; a cookie reply ~6 µs more,
// mostly the system call that sends it (the packet loop's, but caused here); Noise with
// Curve25519 (consuming an initiation and answering it, or consuming a response) 40–250 µs.

export const CHECK_COST_US = 3;
export const COOKIE_REPLY_COST_US = 6;
export const NOISE_COST_US = 100;
// A quarter of the time, in slices of at most half a millisecond: ~27,000 cookie replies or
// ~2,500 handshakes a second, far above what a legitimate mesh needs.
export const HANDSHAKE_SHARE = 0.25;
export const HANDSHAKE_BURST_US = 500;

export interface HandshakeBudget {
  // True if work may start now (some budget is left).
  canWork(now: number): boolean;
  spend(costUs: number): void;
  // From when on canWork is true, as of the last call (-Infinity: already).
  readyAt(): number;
}

export function createHandshakeBudget(): HandshakeBudget {
  let tokensUs = HANDSHAKE_BURST_US;
  let refilledAt: number | null = null;
  const refill = (now: number): void => {
    if (refilledAt !== null && now > refilledAt) {
      // `now` is in milliseconds: each one earns HANDSHAKE_SHARE × 1000 µs of work.
      tokensUs = Math.min(HANDSHAKE_BURST_US, tokensUs + (now - refilledAt) * 1000 * HANDSHAKE_SHARE);
    }
    if (refilledAt === null || now > refilledAt) refilledAt = now;
  };
  return {
    canWork(now) {
      refill(now);
      return tokensUs > 0;
    },
    // Work is paid after it is done (its cost is known only then), so the balance may go
    // below zero by one message's cost; the next calls pay the debt back.
    spend(costUs) {
      tokensUs -= costUs;
    },
    readyAt() {
      if (tokensUs > 0 || refilledAt === null) return -Infinity;
      return refilledAt + (-tokensUs + 1) / (1000 * HANDSHAKE_SHARE);
    },
  };
}
