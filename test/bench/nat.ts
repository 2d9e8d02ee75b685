// npm run bench:nat [-- --seconds S] [-- --json]   (root)
//
// NAT traversal in the NAT lab (test/interop/nat-lab.ts), one fresh pair of homes per case:
//   easy       two endpoint-independent NATs            (a direct path exists)
//   mapped     symmetric NATs, one router maps ports    (direct through the mapping)
//   hard       two symmetric NATs                       (a relay: the peer relay once it runs)
//   blocked    UDP blocked at one home                  (the TCP relay)
//   peerRelay  two symmetric NATs and a peer relay      (a UDP peer relay)
// Per case: time to the first packet (the first ping answered, counted from the first ping
// sent) and time until the path is direct where it can be; then TCP throughput (iperf3, S s)
// through the direct path, the TCP relay and the UDP peer relay, each as a ratio of the direct
// path in the same run. Goals (issue 9): first packet ≤ 1 s, direct ≤ 3 s, relays ≥ 0.5×.
// Printed, never asserted. --json prints one object on the last stdout line:
// {"cases":{"easy":{"first_packet_ms":…,"direct_ms":…|null,"path":…},…},
//  "throughput":{"direct_gbps":…,"tcp_relay_gbps":…,"udp_relay_gbps":…,"tcp_relay_ratio":…,"udp_relay_ratio":…}}

import type { HomeOptions } from "../interop/nat-lab.js";
import { eventually, NatMesh, type MeshHost } from "../interop/nat-mesh.js";
import { NAMESPACE_NEEDS, type Namespace } from "../interop/netns.js";
import { missing, tool } from "../requirements.js";
import { parseBenchOptions } from "./options.js";

const progress = (line: string): void => void process.stderr.write(`${line}\n`);
const PATH_LIMIT_MS = 30_000;

interface CaseResult {
  readonly firstPacketMs: number;
  readonly directMs: number | null; // null: not direct within the limit (a relay carries it)
  readonly path: string; // what status says at the end
}

interface Pair {
  readonly a: MeshHost;
  readonly b: MeshHost;
  readonly address: string; // b's mesh IPv4
}

async function pair(mesh: NatMesh, name: string, left: HomeOptions, right: HomeOptions): Promise<Pair> {
  const a = await mesh.node(`${name}-a`, (await mesh.home(left)).host);
  const b = await mesh.node(`${name}-b`, (await mesh.home(right)).host);
  return { a, b, address: (await b.status()).self!.ipv4 };
}

// Pings every 100 ms (1 s timeout each) until one is answered; then, with a ping every 200 ms
// (the path layer probes while traffic flows), until the path is direct.
async function timeCase(p: Pair, expectDirect: boolean): Promise<CaseResult> {
  const started = performance.now();
  let firstPacketMs: number | null = null;
  while (firstPacketMs === null && performance.now() - started < PATH_LIMIT_MS) {
    const sent = performance.now();
    const answered = await p.a.ping(p.address, 1);
    if (answered) firstPacketMs = performance.now() - started;
    else await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (performance.now() - sent))));
  }
  if (firstPacketMs === null) throw new Error(`${p.a.name} never reached ${p.b.name}`);
  let directMs: number | null = null;
  const peerName = p.b.name;
  if (expectDirect) {
    directMs = await eventually(`${p.a.name} → ${peerName} direct`, PATH_LIMIT_MS, async () => {
      void p.a.ping(p.address, 1);
      const peer = await p.a.peer(peerName);
      return peer?.path === "direct" ? performance.now() - started : null;
    }).then(({ value }) => value, () => null);
  } else {
    for (let i = 0; i < 10; i++) await p.a.ping(p.address, 1);
  }
  const peer = await p.a.peer(peerName);
  const path = peer === undefined ? "?" : peer.path === "direct" ? `direct ${peer.endpoint}` : peer.path === "relay" ? `relay ${peer.relay}` : "none";
  return { firstPacketMs, directMs, path };
}

async function iperf(client: Namespace, server: Namespace, address: string, seconds: number): Promise<number> {
  const listener = server.spawn("iperf3", ["-s", "-1", "-B", address, "-p", "5301"]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  try {
    const { stdout } = await client.exec("iperf3", ["-c", address, "-p", "5301", "-t", String(seconds), "-J"], (seconds + 30) * 1000);
    return (JSON.parse(stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second / 1e9;
  } finally {
    listener.kill("SIGTERM");
  }
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2), 5);
  const unavailable = missing([...NAMESPACE_NEEDS, tool("ping"), tool("nft"), tool("conntrack"), tool("miniupnpd"), tool("iperf3")]);
  if (unavailable !== null) throw new Error(`bench:nat ${unavailable}`);
  progress(`bench:nat — the NAT lab, iperf3 ${options.seconds} s per path, node ${process.version}`);
  const mesh = await NatMesh.create("b");
  try {
    const relayHost = await mesh.lab.publicHost("r");
    await mesh.node("relay", relayHost.ns, ["--relay-port", "7777"]);
    const cases: Record<string, CaseResult> = {};
    const pairs: Record<string, Pair> = {};
    const plan: [string, HomeOptions, HomeOptions, boolean][] = [
      ["easy", { nat: "endpoint-independent" }, { nat: "endpoint-independent" }, true],
      ["mapped", { nat: "symmetric" }, { nat: "symmetric", portMapping: true }, true],
      ["hard", { nat: "symmetric" }, { nat: "symmetric" }, false],
      ["blocked", { nat: "endpoint-independent", udpBlocked: true }, { nat: "endpoint-independent" }, false],
    ];
    for (const [name, left, right, direct] of plan) {
      progress(`  ${name}: two nodes, first packet and path…`);
      pairs[name] = await pair(mesh, name, left, right);
      cases[name] = await timeCase(pairs[name]!, direct);
    }
    // The peer relay joins last: the hard case above had to use the TCP relay. Its own pair of
    // symmetric homes then finds the UDP relay in the netmap from the start.
    progress("  peerRelay: two nodes behind symmetric NATs, a peer relay on the internet…");
    pairs["peerRelay"] = await pair(mesh, "pr", { nat: "symmetric" }, { nat: "symmetric" });
    cases["peerRelay"] = await timeCase(pairs["peerRelay"]!, false);
    await eventually("the peer relay carries pr-a → pr-b", PATH_LIMIT_MS, async () => {
      await pairs["peerRelay"]!.a.ping(pairs["peerRelay"]!.address, 1);
      return (await pairs["peerRelay"]!.a.peer("pr-b"))?.relay?.startsWith("udp ") === true;
    }).catch(() => progress("  (the peer relay did not take over: its throughput is the TCP relay's)"));

    const throughput = async (name: string): Promise<number> => {
      progress(`  ${name}: iperf3 ${options.seconds} s…`);
      const p = pairs[name]!;
      return iperf(p.a.ns, p.b.ns, p.address, options.seconds);
    };
    // "blocked" can only use the TCP relay; "peerRelay" the UDP one ("hard" may use either).
    const direct = await throughput("easy");
    const tcpRelay = await throughput("blocked");
    const udpRelay = await throughput("peerRelay");

    const round = (n: number | null): number | null => (n === null ? null : Number(n.toFixed(n < 10 ? 3 : 0)));
    if (options.json) {
      process.stdout.write(`${JSON.stringify({
        cases: Object.fromEntries(Object.entries(cases).map(([name, r]) => [name, { first_packet_ms: round(r.firstPacketMs), direct_ms: round(r.directMs), path: r.path }])),
        throughput: {
          direct_gbps: round(direct), tcp_relay_gbps: round(tcpRelay), udp_relay_gbps: round(udpRelay),
          tcp_relay_ratio: round(tcpRelay / direct), udp_relay_ratio: round(udpRelay / direct),
        },
      })}\n`);
      return;
    }
    const out = (line: string): void => void process.stdout.write(`${line}\n`);
    out(`${"case".padEnd(12)}${"first packet".padEnd(15)}${"direct after".padEnd(15)}path at the end`);
    for (const [name, r] of Object.entries(cases)) {
      out(`${name.padEnd(12)}${`${r.firstPacketMs.toFixed(0)} ms`.padEnd(15)}${(r.directMs === null ? "-" : `${r.directMs.toFixed(0)} ms`).padEnd(15)}${r.path}`);
    }
    out("");
    out(`TCP throughput: direct ${direct.toFixed(3)} Gbit/s, TCP relay ${tcpRelay.toFixed(3)} Gbit/s (${(tcpRelay / direct).toFixed(2)}×), UDP peer relay ${udpRelay.toFixed(3)} Gbit/s (${(udpRelay / direct).toFixed(2)}×)`);
  } finally {
    await mesh.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:nat: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
