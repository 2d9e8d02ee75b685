// One path of the tunnel benchmark, measured from lab.left to `address` in lab.right:
// 1. TCP, one stream, `seconds`, sampling the CPU of the two WireGuard processes meanwhile;
// 2. TCP, four streams, `seconds`;
// 3. ping RTT (20 pings, 50 ms apart), before the flood below can leave queues behind;
// 4. UDP, 64-byte payloads, as fast as iperf3 sends, `udpSeconds`.

import type { Lab, Namespace } from "../interop/netns.js";
import { tcpGbps, udpFlood, withIperfServer, type UdpResult } from "./iperf.js";
import { cpuSeconds } from "./process-cpu.js";

// Distinct ports per run, so a server still exiting never answers the next client.
const PORT_TCP_1 = 5301;
const PORT_TCP_4 = 5304;
const PORT_UDP = 5310;
export const UDP_PAYLOAD_BYTES = 64;

export interface PathResult {
  readonly name: string;
  readonly gbps1: number;
  readonly gbps4: number;
  readonly rttMs: number;
  // Share of one core each WireGuard process (sender, receiver) used during the single-stream
  // run; empty for the plain veth, which has none.
  readonly cores: readonly number[];
  readonly udp: UdpResult;
}

export interface PathOptions {
  readonly seconds: number;
  readonly udpSeconds: number;
  readonly progress: (line: string) => void;
}

async function rttMs(client: Namespace, address: string): Promise<number> {
  const { stdout } = await client.exec("ping", ["-c", "20", "-i", "0.05", "-q", address]);
  return Number(/= [\d.]+\/([\d.]+)\//.exec(stdout)?.[1] ?? NaN);
}

// The share of a core each pid used while `body` ran (its wall time only, without the
// server's start-up wait).
async function withCpuShares<T>(pids: readonly number[], body: () => Promise<T>): Promise<{ value: T; cores: number[] }> {
  const before = pids.map(cpuSeconds);
  const started = performance.now();
  const value = await body();
  const wall = (performance.now() - started) / 1000;
  return { value, cores: pids.map((pid, i) => (cpuSeconds(pid) - before[i]!) / wall) };
}

export async function measurePath(name: string, lab: Lab, address: string, pids: readonly number[], options: PathOptions): Promise<PathResult> {
  const { seconds, udpSeconds, progress } = options;
  const { left, right } = lab;
  progress(`  ${name}: TCP ${seconds} s, 1 stream…`);
  const single = await withIperfServer(right, address, PORT_TCP_1, () => withCpuShares(pids, () => tcpGbps(left, address, PORT_TCP_1, seconds, 1)));
  progress(`  ${name}: TCP ${seconds} s, 4 streams…`);
  const gbps4 = await withIperfServer(right, address, PORT_TCP_4, () => tcpGbps(left, address, PORT_TCP_4, seconds, 4));
  const rtt = await rttMs(left, address);
  progress(`  ${name}: UDP ${udpSeconds} s, ${UDP_PAYLOAD_BYTES}-byte datagrams…`);
  const udp = await withIperfServer(right, address, PORT_UDP, () => udpFlood(left, address, PORT_UDP, udpSeconds, UDP_PAYLOAD_BYTES));
  const result = { name, gbps1: single.value, gbps4, rttMs: rtt, cores: single.cores, udp };
  progress(
    `  ${name}: ${result.gbps1.toFixed(3)} Gbit/s (1), ${gbps4.toFixed(3)} Gbit/s (4), RTT ${rtt.toFixed(3)} ms, ` +
      `${Math.round(udp.receivedPps)} pps (${udp.lossPercent.toFixed(1)} % lost), CPU ${result.cores.map((c) => `${Math.round(100 * c)}%`).join(" / ") || "-"}`,
  );
  return result;
}
