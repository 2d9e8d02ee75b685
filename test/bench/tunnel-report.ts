// What `npm run bench:tunnel` prints: the table (one row per path), the small-packet and CPU
// figures, the meshgate ↔ meshgate ratios to each wireguard-go baseline, and the --json object.
// Pure: figures in, text out.

import type { PathResult } from "./tunnel-measure.js";

export interface WireguardGoVersions {
  readonly bookworm: string; // what `wireguard-go --version` reports, e.g. "0.0.20220316"
  readonly trixie: string;
  readonly trixiePackage: string; // Debian's package version, e.g. "0.0.20231211-1+b9"
}

export interface TunnelBench {
  readonly seconds: number;
  readonly udpSeconds: number;
  readonly versions: WireguardGoVersions;
  readonly veth: PathResult;
  readonly wggo: PathResult; // bookworm's wireguard-go at both ends
  readonly wggoModern: PathResult; // trixie's wireguard-go at both ends
  readonly mixed: PathResult; // meshgate sending, bookworm's wireguard-go receiving
  readonly meshgate: PathResult;
}

// CPU-seconds (both WireGuard processes summed) per Gbit carried, in the single-stream run:
// cores busy / Gbit/s. Null for the veth, which has no WireGuard process.
export function cpuSecondsPerGbit(result: PathResult): number | null {
  if (result.cores.length === 0 || !(result.gbps1 > 0)) return null;
  return result.cores.reduce((sum, share) => sum + share, 0) / result.gbps1;
}

// The JSON prefix of each path. The first four keys' names predate the trixie baseline.
function prefixed(bench: TunnelBench): [string, PathResult][] {
  return [["veth", bench.veth], ["wggo", bench.wggo], ["wggo_modern", bench.wggoModern], ["meshgate_wggo", bench.mixed], ["meshgate", bench.meshgate]];
}

const round = (n: number): number => Number(n.toFixed(4));

export function jsonSummary(bench: TunnelBench): Record<string, number | string | null> {
  const paths = prefixed(bench);
  const metric = (suffix: string, value: (r: PathResult) => number | null) =>
    Object.fromEntries(paths.map(([prefix, r]) => [`${prefix}_${suffix}`, ((v) => (v === null ? null : round(v)))(value(r))]));
  return {
    ...metric("gbps", (r) => r.gbps1),
    ...metric("gbps4", (r) => r.gbps4),
    ...metric("rtt_ms", (r) => r.rttMs),
    ...metric("pps", (r) => Math.round(r.udp.receivedPps)),
    ...metric("udp_loss_pct", (r) => r.udp.lossPercent),
    ...Object.fromEntries(paths.slice(1).map(([prefix, r]) => [`${prefix}_cpu_s_per_gbit`, ((v) => (v === null ? null : round(v)))(cpuSecondsPerGbit(r))])),
    wggo_version: bench.versions.bookworm,
    wggo_modern_version: bench.versions.trixie,
    wggo_modern_package: bench.versions.trixiePackage,
    seconds: bench.seconds,
    udp_seconds: bench.udpSeconds,
  };
}

const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
const percent = (share: number): string => `${Math.round(100 * share)}%`;

export function formatReport(bench: TunnelBench): string[] {
  const rows = [bench.veth, bench.wggo, bench.wggoModern, bench.mixed, bench.meshgate];
  const width = Math.max(...rows.map((r) => r.name.length)) + 2;
  const lines = [
    `wireguard-go (bookworm): wireguard-go on PATH, reports v${bench.versions.bookworm}`,
    `wireguard-go (trixie): Debian package ${bench.versions.trixiePackage}, reports v${bench.versions.trixie}`,
    "",
    `${"path".padEnd(width)}${"TCP 1 stream".padEnd(15)}${"TCP 4 streams".padEnd(15)}${"RTT".padEnd(11)}${"UDP 64 B recv".padEnd(16)}${"UDP loss".padEnd(10)}${"CPU sender / receiver".padEnd(23)}CPU-s per Gbit`,
  ];
  for (const r of rows) {
    const perGbit = cpuSecondsPerGbit(r);
    lines.push(
      r.name.padEnd(width) +
        `${r.gbps1.toFixed(3)} Gbit/s`.padEnd(15) +
        `${r.gbps4.toFixed(3)} Gbit/s`.padEnd(15) +
        `${r.rttMs.toFixed(3)} ms`.padEnd(11) +
        `${Math.round(r.udp.receivedPps)} pps`.padEnd(16) +
        `${r.udp.lossPercent.toFixed(1)} %`.padEnd(10) +
        (r.cores.map(percent).join(" / ") || "-").padEnd(23) +
        (perGbit === null ? "-" : perGbit.toFixed(2)),
    );
  }
  lines.push("");
  for (const baseline of [bench.wggo, bench.wggoModern]) {
    const m = bench.meshgate;
    const cpu = [cpuSecondsPerGbit(m), cpuSecondsPerGbit(baseline)];
    lines.push(
      `${m.name} / ${baseline.name}: ${ratio(m.gbps1, baseline.gbps1)} (1 stream), ${ratio(m.gbps4, baseline.gbps4)} (4 streams), ` +
        `RTT ${ratio(m.rttMs, baseline.rttMs)}, UDP pps ${ratio(m.udp.receivedPps, baseline.udp.receivedPps)}` +
        (cpu[0] != null && cpu[1] != null ? `, CPU per Gbit ${ratio(cpu[0], cpu[1])}` : ""),
    );
  }
  lines.push(`${bench.mixed.name} / ${bench.wggo.name}: ${ratio(bench.mixed.gbps1, bench.wggo.gbps1)} (1 stream)`);
  return lines;
}
