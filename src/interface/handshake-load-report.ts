// One log line about the handshake DoS defence (whitepaper §5.3) when it changes, at most one
// per LINE_INTERVAL_MS: a flood is tens of thousands of messages a second, and logging them
// one by one (as wireguard-go's verbose log does) would be a flood of its own. The line gives
// totals since start as key=value pairs, so operators and tests can read it:
//
//   wg0: handshake load: under_load=yes queued=0 cookie_replies_sent=18342
//        cookie_replies_received=0 valid_mac2=4 queue_full=0 rate_limited=3 limiter_full=0 bad_mac1=0
//
// The caller polls (say every second) and flushes once at shutdown, so the last counts are
// never lost.

import type { Device } from "../wireguard/device.js";
import { Drop } from "../wireguard/drop-reasons.js";

export const LINE_INTERVAL_MS = 10_000;

export interface HandshakeLoadReportDeps {
  readonly name: string;
  readonly device: Pick<Device, "handshakeLoad" | "drops">;
  readonly log: (line: string) => void;
  readonly now: () => number; // monotonic milliseconds
}

export interface HandshakeLoadReport {
  // Logs a line if the counts changed and the last line is at least LINE_INTERVAL_MS old.
  poll(): void;
  // Logs a line if the counts changed since the last one, whatever its age.
  flush(): void;
}

export function createHandshakeLoadReport(deps: HandshakeLoadReportDeps): HandshakeLoadReport {
  let lastLineAt = -Infinity;

  const line = (now: number): { counts: string; text: string } => {
    const load = deps.device.handshakeLoad(now);
    const drops = deps.device.drops();
    const counts = [
      `cookie_replies_sent=${load.cookieRepliesSent}`,
      `cookie_replies_received=${load.cookieRepliesConsumed}`,
      `valid_mac2=${load.validMac2}`,
      `queue_full=${drops[Drop.handshakeQueueFull] ?? 0}`,
      `rate_limited=${drops[Drop.rateLimited] ?? 0}`,
      `limiter_full=${drops[Drop.rateLimiterFull] ?? 0}`,
      `bad_mac1=${drops[Drop.badMac1] ?? 0}`,
    ].join(" ");
    return { counts, text: `${deps.name}: handshake load: under_load=${load.underLoad ? "yes" : "no"} queued=${load.queued} ${counts}` };
  };

  // Nothing to say until something changes from what the device starts with.
  let lastCounts = line(deps.now()).counts;

  const report = (force: boolean): void => {
    const now = deps.now();
    if (!force && now - lastLineAt < LINE_INTERVAL_MS) return;
    const { counts, text } = line(now);
    if (counts === lastCounts) return;
    lastCounts = counts;
    lastLineAt = now;
    deps.log(text);
  };

  return {
    poll: () => report(false),
    flush: () => report(true),
  };
}
