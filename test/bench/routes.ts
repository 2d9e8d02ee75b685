// npm run bench:routes [-- --seconds S] [-- --json]   (root)
//
// Subnet routing in the route lab (test/interop/route-lab.ts): a remote node and two routers
// (pia, pib) on one home LAN whose host runs no meshgate.
//   approval   time from `meshgate routes approve` to the LAN host's first answer (±20 ms)
//   throughput TCP (iperf3, S s) remote → LAN host through pia, and remote → pia itself (node ↔
//              node), in the same run; the ratio is what routing into the LAN costs (goal ≥ 0.9×)
//   failover   time from the primary's kill -9 until the LAN host answers through the other
//              router, then the same after the new primary's link goes down (goal ≤ 20 s)
// Printed, never asserted. --json prints one object on the last stdout line:
// {"approval_ms":…,"lan_gbps":…,"node_gbps":…,"ratio":…,"failover_kill_ms":…,"failover_link_down_ms":…}

import { eventually, RouteLab } from "../interop/route-lab.js";
import { NAMESPACE_NEEDS, type Namespace } from "../interop/netns.js";
import { missing, tool } from "../requirements.js";
import { parseBenchOptions } from "./options.js";

const progress = (line: string): void => void process.stderr.write(`${line}\n`);
const LAN_HOST = "192.168.1.20";
const PING_INTERVAL_MS = 20;
const PING_COUNT = 750; // 15 s

async function iperf(lab: RouteLab, client: Namespace, server: Namespace, address: string, seconds: number): Promise<number> {
  const listener = lab.adopt(server.spawn("iperf3", ["-s", "-1", "-p", "5302"]));
  await new Promise((resolve) => setTimeout(resolve, 300));
  try {
    const { stdout } = await client.exec("iperf3", ["-c", address, "-p", "5302", "-t", String(seconds), "-J"], (seconds + 30) * 1000);
    return (JSON.parse(stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second / 1e9;
  } finally {
    listener.kill("SIGTERM");
  }
}

// One ping with a short timeout: does `address` answer from `from`?
const answers = async (from: Namespace, address: string): Promise<boolean> => (await from.ping(address, 1, ["-W", "1"])).received === 1;

// Pings every 100 ms until answered (at most `limitMs`); milliseconds from `since`.
async function untilAnswered(from: Namespace, address: string, since: number, limitMs: number, also: () => Promise<boolean> = async () => true): Promise<number> {
  await eventually(`${address} answering`, limitMs, async () => (await answers(from, address)) && (await also()));
  return performance.now() - since;
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2), 5);
  const unavailable = missing([...NAMESPACE_NEEDS, tool("ping"), tool("nft"), tool("iperf3")]);
  if (unavailable !== null) throw new Error(`bench:routes ${unavailable}`);
  progress(`bench:routes — remote → LAN host through a subnet router, iperf3 ${options.seconds} s per path, node ${process.version}`);
  const lab = await RouteLab.create("b", 94, []);
  try {
    const remoteHost = await lab.nodeHost("remote");
    const piaHost = await lab.nodeHost("pia");
    const pibHost = await lab.nodeHost("pib");
    const lan = await lab.lan("l", `${LAN_HOST}/24`);
    await lan.attach(piaHost.ns, "192.168.1.2/24");
    await lan.attach(pibHost.ns, "192.168.1.3/24");
    await lan.host.exec("ip", ["route", "add", "default", "via", "192.168.1.2"]);
    progress("  three nodes joining…");
    const remote = await lab.startNode(remoteHost);
    const pia = await lab.startNode(piaHost, ["--advertise-routes", "192.168.1.0/24"]);
    const pib = await lab.startNode(pibHost, ["--advertise-routes", "192.168.1.0/24"]);
    const routeOf = async (node: string): Promise<{ approved: boolean; primary: boolean } | undefined> => {
      const listed = await lab.coordinatorCli(["routes", "list", "--json"]);
      return (JSON.parse(listed.text) as { node: string; prefix: string; approved: boolean; primary: boolean }[]).find((row) => row.node === node);
    };
    await eventually("both routes advertised", 15_000, async () => (await routeOf("pia")) !== undefined && (await routeOf("pib")) !== undefined);

    progress("  approval → first answer…");
    // A ping every 20 ms from the moment of approval: the first reply's sequence number dates it.
    const pinger = lab.adopt(remote.ns.spawn("ping", ["-n", "-i", "0.02", "-c", String(PING_COUNT), "-W", "1", LAN_HOST]));
    const approved = await lab.coordinatorCli(["routes", "approve", "pia", "192.168.1.0/24"]);
    if (!approved.ok) throw new Error(approved.text);
    const firstSequence = await eventually("the LAN host answering after approval", 15_000, async () => Number(/icmp_seq=(\d+)/.exec(pinger.output.join(""))?.[1] ?? NaN) || null);
    pinger.kill("SIGTERM");
    const approvalMs = (firstSequence.value - 1) * PING_INTERVAL_MS;
    await lab.coordinatorCli(["routes", "approve", "pib", "192.168.1.0/24"]);

    progress(`  iperf3 remote → LAN host through pia, ${options.seconds} s…`);
    const lanGbps = await iperf(lab, remote.ns, lan.host, LAN_HOST, options.seconds);
    progress(`  iperf3 remote → pia (node ↔ node), ${options.seconds} s…`);
    const nodeGbps = await iperf(lab, remote.ns, pia.ns, (await pia.status()).self!.ipv4, options.seconds);

    progress("  failover: kill -9 the primary…");
    await eventually("pib approved", 10_000, async () => (await routeOf("pib"))?.approved === true);
    const killedAt = performance.now();
    pia.process.kill("SIGKILL");
    const failoverKillMs = await untilAnswered(remote.ns, LAN_HOST, killedAt, 30_000, async () => (await routeOf("pib"))?.primary === true);
    progress("  failover: the new primary's link goes down…");
    await lab.restartNode(pia);
    await eventually("pia back", 20_000, async () => (await pia.status()).coordinator.state.kind === "connected");
    const downAt = performance.now();
    await pib.ns.exec("ip", ["link", "set", pib.uplink, "down"]);
    const failoverLinkMs = await untilAnswered(remote.ns, LAN_HOST, downAt, 30_000, async () => (await routeOf("pia"))?.primary === true);

    const round = (n: number): number => Number(n.toFixed(n < 10 ? 3 : 0));
    if (options.json) {
      process.stdout.write(`${JSON.stringify({
        approval_ms: round(approvalMs), lan_gbps: round(lanGbps), node_gbps: round(nodeGbps), ratio: round(lanGbps / nodeGbps),
        failover_kill_ms: round(failoverKillMs), failover_link_down_ms: round(failoverLinkMs),
      })}\n`);
      return;
    }
    const out = (line: string): void => void process.stdout.write(`${line}\n`);
    out(`approval → first answer from the LAN host   ${approvalMs.toFixed(0)} ms`);
    out(`TCP remote → LAN host through the router    ${lanGbps.toFixed(3)} Gbit/s`);
    out(`TCP remote → router (node ↔ node)           ${nodeGbps.toFixed(3)} Gbit/s   ratio ${(lanGbps / nodeGbps).toFixed(2)}× (goal ≥ 0.9×)`);
    out(`failover after the primary's kill -9        ${failoverKillMs.toFixed(0)} ms (goal ≤ 20 s)`);
    out(`failover after the primary's link went down ${failoverLinkMs.toFixed(0)} ms (goal ≤ 20 s)`);
  } finally {
    await lab.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:routes: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
