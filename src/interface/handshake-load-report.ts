// One log line about the handshake DoS defence (whitepaper §5.3) when it changes, at most one
// per LINE_INTERVAL_MS (counts-report.ts): a flood is tens of thousands of messages a second, and
// logging them one by one (as wireguard-go's verbose log does) would be a flood of its own. The
// line gives totals since start as key=value pairs, so operators and tests can read it:
//
//   wg0: handshake load: under_load=yes queued=0 cookie_replies_sent=18342
//        cookie_replies_received=0 valid_mac2=4 queue_full=0 rate_limited=3 limiter_full=0 bad_mac1=0

import type { Device } from "../wireguard/device.js";
import { Drop } from "../wireguard/drop-reasons.js";
import { createCountsReport, type CountsReport } from "./counts-report.js";

export interface HandshakeLoadReportDeps {
  readonly name: string;
  readonly device: Pick<Device, "handshakeLoad" | "drops">;
  readonly log: (line: string) => void;
  readonly now: () => number; // monotonic milliseconds
}

export function createHandshakeLoadReport(deps: HandshakeLoadReportDeps): CountsReport {
  return createCountsReport(
    (now) => {
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
    },
    deps.log,
    deps.now,
  );
}
