// npm run bench:tunnel [-- --json] [-- --seconds S]   (root: it builds network namespaces)
//
// TCP throughput (iperf3, S seconds, 1 and 4 streams) and ping RTT, in one run, between two
// namespaces joined by a veth pair, for: the plain veth, wireguard-go ↔ wireguard-go,
// meshgate ↔ wireguard-go (meshgate sending) and meshgate ↔ meshgate; with the CPU each
// WireGuard process used, and meshgate / wireguard-go ratios. --json prints one JSON object
// (single-stream figures) as the last line of stdout:
// {"veth_gbps":…,"wggo_gbps":…,"meshgate_wggo_gbps":…,"meshgate_gbps":…,"veth_rtt_ms":…,
//  "wggo_rtt_ms":…,"meshgate_rtt_ms":…}

import { Lab, NAMESPACE_NEEDS, type Namespace } from "../interop/netns.js";
import { connect, startMeshgate, startWireguardGo, type WireGuardSide } from "../interop/wireguard-peers.js";
import { missing, tool } from "../requirements.js";
import { parseBenchOptions } from "./options.js";
import { cpuSeconds } from "./process-cpu.js";


interface Result {
  readonly name: string;
  readonly gbps1: number;
  readonly gbps4: number;
  readonly rttMs: number;
  readonly cpu: string; // "left% / right%" of one core, during the single-stream run
}


const progress = (line: string): void => void process.stderr.write(`${line}\n`);

async function iperf(client: Namespace, server: Namespace, address: string, seconds: number, streams: number): Promise<number> {
  const port = String(5300 + streams);
  const listener = server.spawn("iperf3", ["-s", "-1", "-B", address, "-p", port]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  try {
    const { stdout } = await client.exec("iperf3", ["-c", address, "-p", port, "-t", String(seconds), "-P", String(streams), "-J"], (seconds + 30) * 1000);
    const report = JSON.parse(stdout) as { end: { sum_received: { bits_per_second: number } } };
    return report.end.sum_received.bits_per_second / 1e9;
  } finally {
    listener.kill("SIGTERM");
  }
}

async function rtt(client: Namespace, address: string): Promise<number> {
  const { stdout } = await client.exec("ping", ["-c", "20", "-i", "0.05", "-q", address]);
  return Number(/= [\d.]+\/([\d.]+)\//.exec(stdout)?.[1] ?? NaN);
}

async function measure(name: string, lab: Lab, address: string, seconds: number, pids: readonly (number | undefined)[]): Promise<Result> {
  progress(`  ${name}: ${seconds} s single stream…`);
  const before = pids.map(cpuSeconds);
  const started = performance.now();
  const gbps1 = await iperf(lab.left, lab.right, address, seconds, 1);
  const wall = (performance.now() - started) / 1000;
  const cpu = pids.map((pid, i) => (pid === undefined ? "-" : `${Math.round((100 * (cpuSeconds(pid) - before[i]!)) / wall)}%`)).join(" / ");
  progress(`  ${name}: ${seconds} s, 4 streams…`);
  const gbps4 = await iperf(lab.left, lab.right, address, seconds, 4);
  const rttMs = await rtt(lab.left, address);
  progress(`  ${name}: ${gbps1.toFixed(3)} Gbit/s (1), ${gbps4.toFixed(3)} Gbit/s (4), RTT ${rttMs.toFixed(3)} ms, CPU ${cpu}`);
  return { name, gbps1, gbps4, rttMs, cpu };
}

type Kind = "meshgate" | "wireguard-go";

async function tunnel(name: string, left: Kind, right: Kind, seconds: number, tag: string, subnet: number): Promise<Result> {
  const lab = await Lab.create(tag, subnet);
  try {
    const start = (kind: Kind) => (kind === "meshgate" ? startMeshgate : startWireguardGo);
    const a: WireGuardSide = await start(left)(lab, { ns: lab.left, iface: `${lab.left.name.slice(0, 12)}wg`, port: 51820, host: 1, net: subnet });
    const b: WireGuardSide = await start(right)(lab, { ns: lab.right, iface: `${lab.right.name.slice(0, 12)}wg`, port: 51821, host: 2, net: subnet });
    await connect(a, lab.underlay4(1), b, lab.underlay4(2));
    await lab.left.ping(b.tunnel4, 2);
    return await measure(name, lab, b.tunnel4, seconds, [lab.pidOf(0), lab.pidOf(1)]);
  } finally {
    await lab.destroy();
  }
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2), 10);
  const unavailable = missing([...NAMESPACE_NEEDS, tool("ping"), tool("wg"), tool("wireguard-go"), tool("iperf3")]);
  if (unavailable !== null) throw new Error(`bench:tunnel ${unavailable}`);
  progress(`bench:tunnel — iperf3 ${options.seconds} s per run, node ${process.version}`);
  const veth = await (async () => {
    const lab = await Lab.create("v", 81);
    try {
      return await measure("veth", lab, lab.underlay4(2), options.seconds, [undefined, undefined]);
    } finally {
      await lab.destroy();
    }
  })();
  const wggo = await tunnel("wireguard-go ↔ wireguard-go", "wireguard-go", "wireguard-go", options.seconds, "w", 82);
  const mixed = await tunnel("meshgate ↔ wireguard-go", "meshgate", "wireguard-go", options.seconds, "x", 83);
  const meshgate = await tunnel("meshgate ↔ meshgate", "meshgate", "meshgate", options.seconds, "m", 84);

  if (options.json) {
    const round = (n: number): number => Number(n.toFixed(4));
    process.stdout.write(
      `${JSON.stringify({
        veth_gbps: round(veth.gbps1),
        wggo_gbps: round(wggo.gbps1),
        meshgate_wggo_gbps: round(mixed.gbps1),
        meshgate_gbps: round(meshgate.gbps1),
        veth_rtt_ms: round(veth.rttMs),
        wggo_rtt_ms: round(wggo.rttMs),
        meshgate_rtt_ms: round(meshgate.rttMs),
      })}\n`,
    );
    return;
  }
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(`${"path".padEnd(30)}${"1 stream".padEnd(14)}${"4 streams".padEnd(14)}${"RTT".padEnd(12)}CPU (sender / receiver process)`);
  for (const r of [veth, wggo, mixed, meshgate]) {
    out(`${r.name.padEnd(30)}${`${r.gbps1.toFixed(3)} Gbit/s`.padEnd(14)}${`${r.gbps4.toFixed(3)} Gbit/s`.padEnd(14)}${`${r.rttMs.toFixed(3)} ms`.padEnd(12)}${r.cpu}`);
  }
  out("");
  out(`meshgate ↔ meshgate / wireguard-go ↔ wireguard-go: ${(meshgate.gbps1 / wggo.gbps1).toFixed(2)}× (1 stream), ${(meshgate.gbps4 / wggo.gbps4).toFixed(2)}× (4 streams), RTT ${(meshgate.rttMs / wggo.rttMs).toFixed(2)}×`);
  out(`meshgate ↔ wireguard-go / wireguard-go ↔ wireguard-go: ${(mixed.gbps1 / wggo.gbps1).toFixed(2)}× (1 stream)`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:tunnel: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
