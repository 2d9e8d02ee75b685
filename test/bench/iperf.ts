// iperf3 between two namespaces, as the tunnel benchmark runs it: a one-off server (`-s -1`)
// in one namespace, the client in the other with a JSON report (`-J`), parsed here.

import type { Namespace } from "../interop/netns.js";

// How long the server gets to bind before the client connects.
const SERVER_START_MS = 300;

export interface UdpResult {
  readonly receivedPps: number; // datagrams the server received per second
  readonly lossPercent: number; // of the datagrams the client sent
}

// The parts of iperf3's -J report read here (iperf3 3.x; `sum_received` since 3.10 or so).
interface Report {
  readonly end: {
    readonly sum_received?: { readonly bits_per_second: number; readonly seconds: number; readonly packets?: number; readonly lost_packets?: number; readonly lost_percent?: number };
    readonly sum?: { readonly seconds: number; readonly packets?: number; readonly lost_packets?: number; readonly lost_percent?: number };
  };
}

export class IperfReportError extends Error {
  constructor(what: string, stdout: string) {
    super(`iperf3 report without ${what}: ${stdout.slice(0, 300)}`);
    this.name = "IperfReportError";
  }
}

export function parseTcpGbps(stdout: string): number {
  const received = (JSON.parse(stdout) as Report).end.sum_received;
  if (received === undefined) throw new IperfReportError("end.sum_received", stdout);
  return received.bits_per_second / 1e9;
}

// For UDP the client's report carries the server's counts: `packets` sent by the client,
// `lost_packets` of them not seen by the server (gaps in the sequence numbers).
export function parseUdp(stdout: string): UdpResult {
  const end = (JSON.parse(stdout) as Report).end;
  const sum = end.sum_received ?? end.sum;
  if (sum?.packets === undefined || sum.lost_packets === undefined || !(sum.seconds > 0)) throw new IperfReportError("UDP packet counts", stdout);
  return { receivedPps: (sum.packets - sum.lost_packets) / sum.seconds, lossPercent: sum.lost_percent ?? (100 * sum.lost_packets) / sum.packets };
}

// Runs `body` while a one-off iperf3 server listens on address:port in `server`.
export async function withIperfServer<T>(server: Namespace, address: string, port: number, body: () => Promise<T>): Promise<T> {
  const listener = server.spawn("iperf3", ["-s", "-1", "-B", address, "-p", String(port)]);
  try {
    await new Promise((resolve) => setTimeout(resolve, SERVER_START_MS));
    return await body();
  } finally {
    if (listener.exitCode === null) listener.kill("SIGTERM");
  }
}

export async function tcpGbps(client: Namespace, address: string, port: number, seconds: number, streams: number): Promise<number> {
  const { stdout } = await client.exec("iperf3", ["-c", address, "-p", String(port), "-t", String(seconds), "-P", String(streams), "-J"], (seconds + 30) * 1000);
  return parseTcpGbps(stdout);
}

// UDP datagrams of `payloadBytes`, sent as fast as the client can (-b 0: no rate limit), so
// the figure is what the path delivers when flooded with small packets.
export async function udpFlood(client: Namespace, address: string, port: number, seconds: number, payloadBytes: number): Promise<UdpResult> {
  const args = ["-c", address, "-p", String(port), "-u", "-l", String(payloadBytes), "-b", "0", "-t", String(seconds), "-J"];
  const { stdout } = await client.exec("iperf3", args, (seconds + 30) * 1000);
  return parseUdp(stdout);
}
