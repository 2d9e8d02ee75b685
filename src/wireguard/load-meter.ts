// Whether the device is "under load" (whitepaper §5.3): then handshake messages must carry a
// valid mac2 (else they get a cookie reply) and each source is rate-limited. Load is the
// number of handshake messages that passed mac1 in the last second; once over the threshold
// the device stays under load for UNDER_LOAD_HOLD_MS, so an attacker cannot toggle it off by
// pausing for a moment.

export const DEFAULT_HANDSHAKES_PER_SECOND_UNDER_LOAD = 100;
const WINDOW_MS = 1000;
const UNDER_LOAD_HOLD_MS = 1000;

export interface LoadMeter {
  record(now: number): void;
  underLoad(now: number): boolean;
}

export function createLoadMeter(threshold: number): LoadMeter {
  let windowStart = 0;
  let count = 0;
  let underLoadUntil = -Infinity;
  return {
    record(now) {
      if (now - windowStart >= WINDOW_MS) {
        windowStart = now;
        count = 0;
      }
      count++;
      if (count >= threshold) underLoadUntil = now + UNDER_LOAD_HOLD_MS;
    },
    underLoad(now) {
      return now < underLoadUntil;
    },
  };
}
