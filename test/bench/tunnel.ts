// npm run bench:tunnel [-- --json] [-- --seconds S]   (root: it builds network namespaces)
//
// In one run, between two namespaces joined by a veth pair, for five paths — the plain veth;
// wireguard-go ↔ wireguard-go with Debian bookworm's wireguard-go (on PATH, 0.0.20220316, no
// offloads); the same with Debian trixie's (package 0.0.20231211, its binary reports
// v0.0.20230223; TUN offloads, UDP GSO/GRO; fetched into test-output/cache/wireguard-go-trixie/
// by ./modern-wireguard-go.ts, never installed);
// meshgate ↔ wireguard-go (bookworm's; meshgate sending); meshgate ↔ meshgate — it measures
// iperf3 TCP throughput (S seconds, default 10, 1 and 4 streams), ping RTT, UDP with 64-byte
// payloads sent as fast as iperf3 can (min(S, 5) seconds: packets/s received and loss), and
// the CPU of each WireGuard process during the single-stream run, also as CPU-seconds per
// Gbit (both ends summed). It prints both wireguard-go versions and the ratios of
// meshgate ↔ meshgate to each wireguard-go baseline. Without trixie's wireguard-go (offline,
// say) it fails, naming the command that failed.
//
// MESHGATE_BENCH_PROFILE=<dir> makes each meshgate write a V8 CPU profile there.
//
// --json prints one JSON object as the last line of stdout. Per path prefix P in veth, wggo
// (bookworm), wggo_modern (trixie), meshgate_wggo, meshgate: P_gbps (1 stream), P_gbps4,
// P_rtt_ms, P_pps (64-byte UDP datagrams received per second), P_udp_loss_pct; for every P but
// veth P_cpu_s_per_gbit; then wggo_version, wggo_modern_version (as `--version` reports them),
// wggo_modern_package (Debian's package version), seconds, udp_seconds:
// {"veth_gbps":…,"wggo_gbps":…,"wggo_modern_gbps":…,"meshgate_wggo_gbps":…,"meshgate_gbps":…,
//  "veth_gbps4":…,…,"veth_rtt_ms":…,"wggo_rtt_ms":…,"wggo_modern_rtt_ms":…,…,"meshgate_rtt_ms":…,
//  "veth_pps":…,"wggo_pps":…,"wggo_modern_pps":…,…,"meshgate_pps":…,"veth_udp_loss_pct":…,…,
//  "wggo_cpu_s_per_gbit":…,…,"wggo_version":"0.0.20220316","wggo_modern_version":…,
//  "wggo_modern_package":…,"seconds":…,"udp_seconds":…}

import { Lab, NAMESPACE_NEEDS } from "../interop/netns.js";
import { connect, startMeshgate, startWireguardGo, type WireGuardSide } from "../interop/wireguard-peers.js";
import { missing, tool } from "../requirements.js";
import { modernWireguardGo } from "./modern-wireguard-go.js";
import { parseBenchOptions } from "./options.js";
import { measurePath, type PathOptions, type PathResult } from "./tunnel-measure.js";
import { formatReport, jsonSummary } from "./tunnel-report.js";
import { wireguardGoVersion } from "./wireguard-go-version.js";

// The small-packet flood is capped: past a few seconds it only fills queues, and on a shared
// two-core machine it starves everything else.
const UDP_SECONDS_MAX = 5;

// meshgate, or wireguard-go run from `binary`.
type Implementation = { readonly kind: "meshgate" } | { readonly kind: "wireguard-go"; readonly binary: string };

const progress = (line: string): void => void process.stderr.write(`${line}\n`);

// MESHGATE_BENCH_PROFILE=<dir>: every meshgate of the run writes a V8 CPU profile there when it
// stops (open it in Chrome DevTools' Performance panel), to see where a packet's time goes.
function profileFlags(): string[] {
  const dir = process.env.MESHGATE_BENCH_PROFILE;
  return dir === undefined || dir === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`];
}

async function startSide(implementation: Implementation, lab: Lab, side: "left" | "right", subnet: number): Promise<WireGuardSide> {
  const ns = lab[side];
  const common = { ns, iface: `${ns.name.slice(0, 12)}wg`, port: side === "left" ? 51820 : 51821, host: side === "left" ? 1 : 2, net: subnet };
  if (implementation.kind === "meshgate") return startMeshgate(lab, { ...common, nodeFlags: profileFlags() });
  return startWireguardGo(lab, { ...common, binary: implementation.binary });
}

async function tunnel(name: string, left: Implementation, right: Implementation, tag: string, subnet: number, options: PathOptions): Promise<PathResult> {
  const lab = await Lab.create(tag, subnet);
  try {
    const a = await startSide(left, lab, "left", subnet);
    const b = await startSide(right, lab, "right", subnet);
    await connect(a, lab.underlay4(1), b, lab.underlay4(2));
    const ping = await lab.left.ping(b.tunnel4, 2);
    if (ping.received === 0) throw new Error(`${name}: no ping answered through the tunnel`);
    const pids = [lab.pidOf(0), lab.pidOf(1)].filter((pid) => pid !== undefined);
    return await measurePath(name, lab, b.tunnel4, pids, options);
  } finally {
    await lab.destroy();
  }
}

async function veth(options: PathOptions): Promise<PathResult> {
  const lab = await Lab.create("v", 81);
  try {
    return await measurePath("veth", lab, lab.underlay4(2), [], options);
  } finally {
    await lab.destroy();
  }
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2), 10);
  const needs = [...NAMESPACE_NEEDS, tool("ping"), tool("wg"), tool("wireguard-go"), tool("iperf3"), tool("apt-get"), tool("dpkg-deb")];
  const unavailable = missing(needs);
  if (unavailable !== null) throw new Error(`bench:tunnel ${unavailable}`);

  progress("bench:tunnel — fetching Debian trixie's wireguard-go (reused when already unpacked)…");
  const modern = await modernWireguardGo();
  const versions = { bookworm: await wireguardGoVersion("wireguard-go"), trixie: await wireguardGoVersion(modern.binary), trixiePackage: modern.packageVersion };
  const udpSeconds = Math.min(options.seconds, UDP_SECONDS_MAX);
  progress(`bench:tunnel — iperf3 ${options.seconds} s per TCP run, ${udpSeconds} s UDP, node ${process.version}`);
  progress(`  wireguard-go (bookworm): v${versions.bookworm}; wireguard-go (trixie): v${versions.trixie}, package ${versions.trixiePackage}, ${modern.binary}`);

  const pathOptions: PathOptions = { seconds: options.seconds, udpSeconds, progress };
  const meshgate: Implementation = { kind: "meshgate" };
  const bookworm: Implementation = { kind: "wireguard-go", binary: "wireguard-go" };
  const trixie: Implementation = { kind: "wireguard-go", binary: modern.binary };
  const bench = {
    seconds: options.seconds,
    udpSeconds,
    versions,
    veth: await veth(pathOptions),
    wggo: await tunnel("wireguard-go ↔ wireguard-go (bookworm)", bookworm, bookworm, "w", 82, pathOptions),
    wggoModern: await tunnel("wireguard-go ↔ wireguard-go (trixie)", trixie, trixie, "t", 85, pathOptions),
    mixed: await tunnel("meshgate ↔ wireguard-go (bookworm)", meshgate, bookworm, "x", 83, pathOptions),
    meshgate: await tunnel("meshgate ↔ meshgate", meshgate, meshgate, "m", 84, pathOptions),
  };

  if (options.json) process.stdout.write(`${JSON.stringify(jsonSummary(bench))}\n`);
  else process.stdout.write(`${formatReport(bench).join("\n")}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:tunnel: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
