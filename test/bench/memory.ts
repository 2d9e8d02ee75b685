// npm run bench:memory [-- --json] [-- --seconds S] [-- --peers N]   (root: network namespaces)
//
// The resident memory (VmRSS) of a WireGuard interface process with N peers (default 100: the
// one it talks to, and N − 1 with random keys and a /32 each), for meshgate and for Debian's
// wireguard-go in the same run: idle once the peers are in, the peak while iperf3 pushes TCP
// through the tunnel for S seconds (default 600: ten minutes, sampled every second), and again
// 5 s after. Both ends of each pair are the same implementation; the N peers are on the sending
// side, which is the one measured (the receiving side, one peer, is printed too).
// --json prints one JSON object as the last stdout line:
// {"peers":…,"seconds":…,"meshgate_rss_idle_mb":…,"meshgate_rss_peak_mb":…,"meshgate_rss_after_mb":…,
//  "meshgate_rss_executable_mb":…,
//  "meshgate_gbps":…,"wggo_rss_idle_mb":…,"wggo_rss_peak_mb":…,"wggo_rss_after_mb":…,"wggo_gbps":…}

import { randomBytes } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { Lab, NAMESPACE_NEEDS } from "../interop/netns.js";
import { connect, startMeshgate, startWireguardGo, type WireGuardSide } from "../interop/wireguard-peers.js";
import { missing, tool } from "../requirements.js";
import { tcpGbps, withIperfServer } from "./iperf.js";
import { parseBenchOptions } from "./options.js";

const SETTLE_MS = 5000;
const progress = (line: string): void => void process.stderr.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// VmRSS of a process, in MB (0 once it is gone).
function rssMb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? 0 : Number(match[1]) / 1024;
  } catch {
    return 0;
  }
}

// The resident pages of a process's own executable, in MB: for meshgate, Node's binary (clean
// file pages every Node process has mapped, 40–46 MB of a bare `node -e` here), which the RSS
// figures include and nothing in meshgate can shrink. From /proc/<pid>/smaps.
function executableRssMb(pid: number): number {
  try {
    const executable = readlinkSync(`/proc/${pid}/exe`);
    let inExecutable = false;
    let kb = 0;
    for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
      const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (mapping !== null) inExecutable = mapping[1] === executable;
      else if (inExecutable) kb += Number(/^Rss:\s+(\d+) kB/.exec(line)?.[1] ?? 0);
    }
    return kb / 1024;
  } catch {
    return 0;
  }
}

interface Measured {
  readonly name: string;
  readonly idle: number;
  readonly peak: number;
  readonly after: number;
  readonly executablePeak: number;
  readonly receiverIdle: number;
  readonly receiverPeak: number;
  readonly gbps: number;
}

// `wg set` clauses for `count` peers with random public keys and one /32 each (10.<net>.x.y).
function extraPeers(count: number): string[] {
  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    args.push("peer", randomBytes(32).toString("base64"), "allowed-ips", `10.200.${1 + Math.floor(i / 250)}.${1 + (i % 250)}/32`);
  }
  return args;
}

async function measure(kind: "meshgate" | "wireguard-go", peers: number, seconds: number, tag: string, subnet: number): Promise<Measured> {
  const lab = await Lab.create(tag, subnet);
  try {
    const start = kind === "meshgate" ? startMeshgate : startWireguardGo;
    const a: WireGuardSide = await start(lab, { ns: lab.left, iface: `${lab.left.name.slice(0, 12)}wg`, port: 51820, host: 1, net: subnet });
    const b: WireGuardSide = await start(lab, { ns: lab.right, iface: `${lab.right.name.slice(0, 12)}wg`, port: 51821, host: 2, net: subnet });
    const [sender, receiver] = [lab.pidOf(0)!, lab.pidOf(1)!];
    await connect(a, lab.underlay4(1), b, lab.underlay4(2));
    if (peers > 1) await a.wgSet(extraPeers(peers - 1));
    const configured = (await a.peers()).length;
    if (configured !== peers) throw new Error(`${kind}: ${configured} peers configured, ${peers} wanted`);
    if ((await lab.left.ping(b.tunnel4, 2)).received === 0) throw new Error(`${kind}: no ping answered through the tunnel`);
    await sleep(SETTLE_MS);
    const idle = rssMb(sender);
    const receiverIdle = rssMb(receiver);
    progress(`  ${kind}: ${peers} peers, idle ${idle.toFixed(1)} MB; iperf3 for ${seconds} s…`);
    let peak = idle;
    let executablePeak = executableRssMb(sender);
    let receiverPeak = receiverIdle;
    const sampler = setInterval(() => {
      const rss = rssMb(sender);
      if (rss > peak) [peak, executablePeak] = [rss, executableRssMb(sender)];
      receiverPeak = Math.max(receiverPeak, rssMb(receiver));
    }, 1000);
    let gbps: number;
    try {
      gbps = await withIperfServer(lab.right, b.tunnel4, 5201, () => tcpGbps(lab.left, b.tunnel4, 5201, seconds, 1));
    } finally {
      clearInterval(sampler);
    }
    await sleep(SETTLE_MS);
    const after = rssMb(sender);
    progress(`  ${kind}: peak ${peak.toFixed(1)} MB (its executable ${executablePeak.toFixed(1)} MB), after ${after.toFixed(1)} MB, ${gbps.toFixed(3)} Gbit/s`);
    return { name: kind, idle, peak, after, executablePeak, receiverIdle, receiverPeak, gbps };
  } finally {
    await lab.destroy();
  }
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2), 600, { peers: 100 });
  const unavailable = missing([...NAMESPACE_NEEDS, tool("ping"), tool("wg"), tool("wireguard-go"), tool("iperf3")]);
  if (unavailable !== null) throw new Error(`bench:memory ${unavailable}`);
  const peers = Math.floor(options.peers);
  progress(`bench:memory — ${peers} peers, iperf3 for ${options.seconds} s, node ${process.version}`);
  const meshgate = await measure("meshgate", peers, options.seconds, "r", 83);
  const wggo = await measure("wireguard-go", peers, options.seconds, "s", 84);
  const mb = (value: number): string => `${value.toFixed(1)} MB`.padEnd(10);
  process.stdout.write(`\n${"interface process".padEnd(20)}${"idle".padEnd(10)}${"peak".padEnd(10)}${"after".padEnd(10)}${"peak less executable".padEnd(22)}${"receiver idle / peak".padEnd(22)}TCP\n`);
  for (const row of [meshgate, wggo]) {
    process.stdout.write(
      `${row.name.padEnd(20)}${mb(row.idle)}${mb(row.peak)}${mb(row.after)}${`${(row.peak - row.executablePeak).toFixed(1)} MB`.padEnd(22)}` +
        `${`${row.receiverIdle.toFixed(1)} / ${row.receiverPeak.toFixed(1)} MB`.padEnd(22)}${row.gbps.toFixed(3)} Gbit/s\n`,
    );
  }
  process.stdout.write(`\nmeshgate / wireguard-go: idle ${(meshgate.idle / wggo.idle).toFixed(1)}×, peak ${(meshgate.peak / wggo.peak).toFixed(1)}×\n`);
  process.stdout.write(`meshgate's peak includes ${meshgate.executablePeak.toFixed(1)} MB of Node's own executable (${process.execPath}), resident in every Node process\n`);
  if (options.json) {
    const round = (value: number): number => Math.round(value * 10) / 10;
    const json = {
      peers,
      seconds: options.seconds,
      meshgate_rss_idle_mb: round(meshgate.idle),
      meshgate_rss_peak_mb: round(meshgate.peak),
      meshgate_rss_after_mb: round(meshgate.after),
      meshgate_rss_executable_mb: round(meshgate.executablePeak),
      meshgate_gbps: Math.round(meshgate.gbps * 1000) / 1000,
      wggo_rss_idle_mb: round(wggo.idle),
      wggo_rss_peak_mb: round(wggo.peak),
      wggo_rss_after_mb: round(wggo.after),
      wggo_gbps: Math.round(wggo.gbps * 1000) / 1000,
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
  }
}

await main();
