// npm run bench:handshake-flood [-- --json] [-- --seconds S] [-- --rate N] [-- --rounds R]
// (root: it builds network namespaces)
//
// What a handshake flood costs an established tunnel. For wireguard-go ↔ wireguard-go and
// meshgate ↔ meshgate, in the same run: three namespaces — the two tunnel ends on a veth pair
// and a "flooder" host on its own link to the receiving end. iperf3 TCP runs through the
// tunnel (left → right, S seconds) while the flooder sends N initiations a second (distinct,
// random, with a valid mac1 for the receiver's key; handshake-flooder.ts) at the receiver:
//   (a) at a closed UDP port — the packet rate alone;
//   (b) at the WireGuard port — the packet rate plus the handshake path.
// b/a is what the handshake path costs. Rounds alternate a, b and the two implementations, so
// a machine getting busier mid-run biases neither; throughputs are medians over the rounds, b/a
// the median of each round's b/a. Also
// printed: the flood rate achieved, the cookie replies the flooder got back, the CPU of both
// WireGuard processes, and meshgate's own counters (its "handshake load" log line).
//
// --json prints one JSON object as the last line of stdout:
// {"rate":…,"seconds":…,"rounds":…,"wggo":{"closed_gbps":…,"flood_gbps":…,"ratio":…,
//  "flood_rate":…,"cookie_replies":…},"meshgate":{…,"counters":{"cookie_replies_sent":…,…}}}

import { fileURLToPath } from "node:url";
import { Lab, NAMESPACE_NEEDS, type AttachedHost, type Namespace } from "../interop/netns.js";
import { missing, tool } from "../requirements.js";
import { connect, startMeshgate, startWireguardGo, type MeshgateSide, type WireGuardSide } from "../interop/wireguard-peers.js";
import { parseBenchOptions } from "./options.js";
import { cpuSeconds } from "./process-cpu.js";

const FLOODER = fileURLToPath(new URL("./handshake-flooder.js", import.meta.url));
const CLOSED_PORT = 51999;
const FLOOD_LEAD_MS = 500; // the flood starts this long before iperf3 and ends after it
const IPERF_PORT = "5301";

const progress = (line: string): void => void process.stderr.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Kind = "wireguard-go" | "meshgate";

interface Setup {
  readonly kind: Kind;
  readonly lab: Lab;
  readonly flooder: AttachedHost;
  readonly sender: WireGuardSide;
  readonly receiver: WireGuardSide;
  readonly pids: readonly [sender: number | undefined, receiver: number | undefined];
}

interface FloodReport {
  readonly sent: number;
  readonly seconds: number;
  readonly rate: number;
  readonly cookie_replies: number;
}

interface Run {
  readonly gbps: number;
  readonly flood: FloodReport;
  readonly cpu: readonly [sender: number, receiver: number]; // shares of one core
}

async function setUp(kind: Kind, tag: string, subnet: number): Promise<Setup> {
  const lab = await Lab.create(tag, subnet);
  try {
    const start = kind === "meshgate" ? startMeshgate : startWireguardGo;
    const sender = await start(lab, { ns: lab.left, iface: `${lab.left.name.slice(0, 12)}wg`, port: 51820, host: 1, net: subnet });
    const receiver = await start(lab, { ns: lab.right, iface: `${lab.right.name.slice(0, 12)}wg`, port: 51821, host: 2, net: subnet });
    const flooder = await lab.attachHost("f", lab.right, subnet);
    await connect(sender, lab.underlay4(1), receiver, lab.underlay4(2));
    const ping = await lab.left.ping(receiver.tunnel4, 3);
    if (ping.received === 0) throw new Error(`${kind}: no ping through the tunnel`);
    return { kind, lab, flooder, sender, receiver, pids: [lab.pidOf(0), lab.pidOf(1)] };
  } catch (error) {
    await lab.destroy();
    throw error;
  }
}

async function iperf(lab: Lab, client: Namespace, server: Namespace, address: string, seconds: number): Promise<number> {
  const listener = lab.adopt(server.spawn("iperf3", ["-s", "-1", "-B", address, "-p", IPERF_PORT]));
  try {
    await sleep(300);
    const { stdout } = await client.exec("iperf3", ["-c", address, "-p", IPERF_PORT, "-t", String(seconds), "-J"], (seconds + 30) * 1000);
    const report = JSON.parse(stdout) as { end: { sum_received: { bits_per_second: number } } };
    return report.end.sum_received.bits_per_second / 1e9;
  } finally {
    if (listener.exitCode === null) listener.kill("SIGTERM");
  }
}

// One measurement: iperf3 for `seconds` inside a flood at `port` of the receiver.
async function measure(setup: Setup, port: number, seconds: number, rate: number): Promise<Run> {
  const { lab, flooder, receiver } = setup;
  const floodSeconds = seconds + (3 * FLOOD_LEAD_MS) / 1000;
  // Adopted: if anything fails, the lab ends it by pid.
  const flooding = lab.adopt(flooder.ns.spawn(process.execPath, [FLOODER, flooder.peerAddress, String(port), receiver.publicKey, String(rate), String(floodSeconds)]));
  // "close", not "exit": the report must have come through stdout.
  const floodDone = new Promise<void>((resolve) => flooding.once("close", () => resolve()));
  // iperf3's own start-up (the 300 ms before the client) also falls inside the flood.
  await sleep(FLOOD_LEAD_MS);
  const cpuBefore = setup.pids.map(cpuSeconds);
  const started = performance.now();
  const gbps = await iperf(lab, lab.left, lab.right, receiver.tunnel4, seconds);
  const wall = (performance.now() - started) / 1000;
  const cpu = setup.pids.map((pid, i) => (cpuSeconds(pid) - cpuBefore[i]!) / wall) as [number, number];
  await floodDone;
  const report = flooding.output.join("").trim().split("\n").at(-1) ?? "";
  if (!report.startsWith("{")) throw new Error(`the flooder failed: ${flooding.output.join("")}`);
  return { gbps, flood: JSON.parse(report) as FloodReport, cpu };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

interface Summary {
  readonly name: string;
  readonly closedGbps: number;
  readonly floodGbps: number;
  readonly ratio: number;
  readonly floodRate: number; // achieved, at the WireGuard port
  readonly cookieReplies: number; // per second, seen by the flooder
  readonly cpu: string; // sender and receiver, closed port | WireGuard port
}

function summarize(name: string, closed: readonly Run[], flood: readonly Run[]): Summary {
  const closedGbps = median(closed.map((r) => r.gbps));
  const floodGbps = median(flood.map((r) => r.gbps));
  const percent = (runs: readonly Run[], side: 0 | 1): string => `${Math.round(100 * median(runs.map((r) => r.cpu[side])))}%`;
  // b/a per round (measured back to back, so slow drift in the machine's load cancels), then
  // the median: steadier than the ratio of the two medians.
  const ratio = median(flood.map((run, i) => run.gbps / closed[i]!.gbps));
  return {
    name,
    closedGbps,
    floodGbps,
    ratio,
    floodRate: median(flood.map((r) => r.flood.rate)),
    cookieReplies: median(flood.map((r) => r.flood.cookie_replies / r.flood.seconds)),
    cpu: `${percent(closed, 0)} / ${percent(closed, 1)} | ${percent(flood, 0)} / ${percent(flood, 1)}`,
  };
}

// meshgate's last "handshake load" line (it logs one when the counts change, at most every
// 10 s, and a final one when it stops), the numbers only.
function meshgateCounters(side: WireGuardSide): Record<string, number> {
  const counters = Object.entries((side as MeshgateSide).handshakeLoad()).filter(([key, value]) => key !== "queued" && /^\d+$/.test(value));
  return Object.fromEntries(counters.map(([key, value]) => [key, Number(value)]));
}

async function main(): Promise<void> {
  // Interrupted: exit, so the labs' exit hooks end our processes and delete the namespaces.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));
  const options = parseBenchOptions(process.argv.slice(2), 10, { rate: 20_000, rounds: 3 });
  const unavailable = missing([...NAMESPACE_NEEDS, tool("ping"), tool("wg"), tool("wireguard-go"), tool("iperf3")]);
  if (unavailable !== null) throw new Error(`bench:handshake-flood ${unavailable}`);
  const rounds = Math.round(options.rounds);
  progress(`bench:handshake-flood — iperf3 ${options.seconds} s per run, flood ${options.rate}/s, ${rounds} round(s), node ${process.version}`);

  const setups: Setup[] = [];
  const runs = new Map<Kind, { closed: Run[]; flood: Run[] }>();
  let meshgate: Record<string, number> = {};
  try {
    setups.push(await setUp("wireguard-go", "hw", 85));
    setups.push(await setUp("meshgate", "hm", 86));
    for (let round = 1; round <= rounds; round++) {
      for (const setup of setups) {
        const results = runs.get(setup.kind) ?? { closed: [], flood: [] };
        runs.set(setup.kind, results);
        for (const [list, port, label] of [[results.closed, CLOSED_PORT, "closed port"], [results.flood, setup.receiver.port, "WireGuard port"]] as const) {
          const run = await measure(setup, port, options.seconds, options.rate);
          list.push(run);
          progress(
            `  round ${round}, ${setup.kind}, flood at the ${label}: ${run.gbps.toFixed(3)} Gbit/s, flood ${run.flood.rate}/s, ` +
              `${run.flood.cookie_replies} cookie replies back, CPU sender ${Math.round(100 * run.cpu[0])}% receiver ${Math.round(100 * run.cpu[1])}%`,
          );
        }
      }
    }
  } finally {
    for (const setup of setups) await setup.lab.destroy();
  }
  // Read after the labs are gone: stopping meshgate flushes its last counts into its log.
  const meshgateSetup = setups.find((setup) => setup.kind === "meshgate");
  if (meshgateSetup !== undefined) meshgate = meshgateCounters(meshgateSetup.receiver);

  const wggo = summarize("wireguard-go ↔ wireguard-go", runs.get("wireguard-go")!.closed, runs.get("wireguard-go")!.flood);
  const mg = summarize("meshgate ↔ meshgate", runs.get("meshgate")!.closed, runs.get("meshgate")!.flood);
  if (options.json) {
    const round = (n: number): number => Number(n.toFixed(4));
    const json = (s: Summary) => ({
      closed_gbps: round(s.closedGbps),
      flood_gbps: round(s.floodGbps),
      ratio: round(s.ratio),
      flood_rate: Math.round(s.floodRate),
      cookie_replies: Math.round(s.cookieReplies),
    });
    process.stdout.write(`${JSON.stringify({ rate: options.rate, seconds: options.seconds, rounds, wggo: json(wggo), meshgate: { ...json(mg), counters: meshgate } })}\n`);
    return;
  }
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(`TCP through the tunnel (iperf3, 1 stream, ${options.seconds} s, median of ${rounds}) with ${options.rate}/s initiations (valid mac1) at the receiver`);
  out(`${"path".padEnd(30)}${"(a) closed port".padEnd(17)}${"(b) WG port".padEnd(15)}${"b/a".padEnd(8)}${"flood achieved".padEnd(16)}${"cookie replies".padEnd(16)}CPU sender / receiver, a | b`);
  for (const s of [wggo, mg]) {
    out(
      `${s.name.padEnd(30)}${`${s.closedGbps.toFixed(3)} Gbit/s`.padEnd(17)}${`${s.floodGbps.toFixed(3)} Gbit/s`.padEnd(15)}` +
        `${`${s.ratio.toFixed(2)}×`.padEnd(8)}${`${Math.round(s.floodRate)}/s`.padEnd(16)}${`${Math.round(s.cookieReplies)}/s`.padEnd(16)}${s.cpu}`,
    );
  }
  out("");
  out(`meshgate receiver, totals for the run: ${Object.entries(meshgate).map(([key, value]) => `${key}=${value}`).join(" ") || "(no handshake load line)"}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:handshake-flood: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
