// A one-shot STUN probe from one local UDP port, as a node's WireGuard socket would do it: the
// sans-I/O prober (src/nat/stun-client.ts) driven by a node:dgram socket and real timers. It
// prints one JSON line: {"report": the netcheck report, "servers": per-server results,
// "counters": the prober's counters}.
//
//   node stun-probe.js [--timeout-ms N] LOCAL_PORT HOST:PORT [HOST:PORT …]   ([v6]:port for IPv6)

import { createSocket } from "node:dgram";
import { parseIpEndpoint, type Endpoint } from "../../src/net/endpoint.js";
import { buildNetcheckReport } from "../../src/nat/netcheck.js";
import { createStunProber, type StunDatagram } from "../../src/nat/stun-client.js";
import { createSystemRandom } from "../../src/io/system-random.js";

// Generous by default: the machine is shared by several test runs, while the lab's round trips
// take microseconds. Retransmissions still go out at 0, 500 and 1000 ms.
const DEFAULT_TIMEOUT_MS = 10_000;

const args = process.argv.slice(2);
const timeoutMs = args[0] === "--timeout-ms" ? Number(args.splice(0, 2)[1]) : DEFAULT_TIMEOUT_MS;
const [localPort, ...targets] = args;
const servers = targets.map((text) => {
  const endpoint = parseIpEndpoint(text);
  if (endpoint === null) throw new Error(`not an IP endpoint: ${text}`);
  return endpoint;
});
const socket = createSocket(servers[0]?.host.includes(":") ? "udp6" : "udp4");
const prober = createStunProber({ random: createSystemRandom(), repeat: false, timeoutMs });
let timer: NodeJS.Timeout | null = null;

const send = (datagrams: readonly StunDatagram[]): void => {
  for (const { bytes, to } of datagrams) socket.send(bytes, to.port, to.host);
};

// After every event: done (print and leave), or arm the timer for the prober's next deadline.
const settle = (): void => {
  const result = prober.result();
  if (result !== null) {
    if (timer !== null) clearTimeout(timer);
    process.stdout.write(`${JSON.stringify({ report: buildNetcheckReport({ stun: result }), servers: result.servers, counters: prober.counters })}\n`);
    socket.close();
    return;
  }
  if (timer !== null) clearTimeout(timer);
  const deadline = prober.nextDeadline();
  if (deadline !== null) {
    timer = setTimeout(() => {
      timer = null;
      send(prober.handleTick(performance.now()));
      settle();
    }, Math.max(0, deadline - performance.now()));
  }
};

socket.on("message", (message, from) => {
  const source: Endpoint = { host: from.address, port: from.port };
  prober.handleResponse(performance.now(), message, source);
  settle();
});
socket.bind(Number(localPort), () => {
  send(prober.start(performance.now(), servers));
  settle();
});
