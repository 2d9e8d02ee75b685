// Whether the device is "under load" (whitepaper §5.3): then handshake messages must carry a
// valid mac2 (else they get a cookie reply) and each source is rate-limited. Two signals, each
// checked as a message passes mac1:
//   - the handshake queue is at least 1/8 full (wireguard-go's and the kernel's rule): the
//     handshake budget cannot keep up;
//   - at least `handshakesPerSecond` messages passed mac1 in the current one-second window: a
//     flood the budget could absorb still gets cookies, not Curve25519 work, and the state does
//     not flap as the queue drains and refills.
// Once either fires, the device stays under load for UNDER_LOAD_HOLD_MS (wireguard-go's
// UnderLoadAfterTime), so an attacker cannot toggle it off by pausing for a moment.

export const DEFAULT_HANDSHAKES_PER_SECOND_UNDER_LOAD = 100;
const WINDOW_MS = 1000;
export const UNDER_LOAD_HOLD_MS = 1000;

export interface LoadMeterOptions {
  readonly handshakesPerSecond: number;
  // Queue length at and above which the device is under load.
  readonly queuedThreshold: number;
}

export interface LoadMeter {
  // Counts one message that passed mac1, with `queued` handshake messages still waiting, and
  // says whether the device is under load for it.
  record(now: number, queued: number): boolean;
  underLoad(now: number): boolean;
}

export function createLoadMeter(options: LoadMeterOptions): LoadMeter {
  let windowStart = -Infinity;
  let count = 0;
  let underLoadUntil = -Infinity;
  return {
    record(now, queued) {
      if (now - windowStart >= WINDOW_MS) {
        windowStart = now;
        count = 0;
      }
      count++;
      if (count >= options.handshakesPerSecond || queued >= options.queuedThreshold) underLoadUntil = now + UNDER_LOAD_HOLD_MS;
      return now < underLoadUntil;
    },
    underLoad(now) {
      return now < underLoadUntil;
    },
  };
}
