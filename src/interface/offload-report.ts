// What the TUN offloads did (src/io/README.md, "Offloads"), in the log when it changes, at most
// one line per LINE_INTERVAL_MS (counts-report.ts), totals since start:
//
//   wg0: offloads: super_packets_read=812 segments_cut=24360 coalesced_writes=1020
//        coalesced_packets=30611 malformed_dropped=0
//
// malformed_dropped counts what the kernel handed over that could not be used (a read shorter
// than its virtio-net header, a checksum offset outside the packet, a super-packet whose
// headers disagree with its virtio-net header): dropped, never passed on half-cut.

import type { Tun } from "../io/tun.js";
import { createCountsReport, type CountsReport } from "./counts-report.js";

export interface OffloadReportDeps {
  readonly name: string;
  readonly tun: Pick<Tun, "stats">;
  readonly log: (line: string) => void;
  readonly now: () => number; // monotonic milliseconds
}

export function createOffloadReport(deps: OffloadReportDeps): CountsReport {
  return createCountsReport(
    () => {
      const stats = deps.tun.stats();
      const counts = [
        `super_packets_read=${stats.superPackets}`,
        `segments_cut=${stats.segmentsCut}`,
        `coalesced_writes=${stats.coalescedWrites}`,
        `coalesced_packets=${stats.coalescedPackets}`,
        `malformed_dropped=${stats.dropped}`,
      ].join(" ");
      return { counts, text: `${deps.name}: offloads: ${counts}` };
    },
    deps.log,
    deps.now,
  );
}
