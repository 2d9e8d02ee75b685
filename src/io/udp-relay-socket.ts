// The UDP peer relay's own sockets (`meshgate up --relay-port N`): the IPv4 and IPv6 sockets of
// port N on the native batched UDP (src/io/udp.ts: recvmmsg into one buffer, sendmmsg back),
// every datagram handed to the relay core (src/nat/udp-relay-server.ts, passed in), which
// rewrites it in place into what to forward. A relay forwards every packet of the nodes it
// carries: per-datagram sends through node:dgram cost it more than half the throughput.
//
// Flow, per readable socket and batch: receive up to BATCH datagrams into their slots →
// core.handle each (answers are views into the slots) → one send() for the batch → the slots
// are free for the next batch.

import type { Endpoint } from "../net/endpoint.js";
import type { UdpRelayServer } from "../nat/udp-relay-server.js";
import { openUdp, type UdpSocket } from "./udp.js";

export interface UdpRelayDeps {
  readonly core: UdpRelayServer;
  readonly now: () => number; // monotonic ms
  readonly log: (line: string) => void;
  readonly tickMs?: number;
}

export interface RunningUdpRelay {
  readonly port: number;
  close(): Promise<void>;
}

const DEFAULT_TICK_MS = 5_000;
const BATCH = 64;
// A relayed datagram: a WireGuard packet (≤ MTU + 32) plus the relay frame's header. 2 KiB slots
// leave room; a longer datagram is truncated by the kernel and refused by the core.
const SLOT_BYTES = 2048;
const MAX_BATCHES_PER_WAKE = 8;

// Binds `port` (0: any free port, the same for both families) and starts relaying. Throws, with
// what to change, when the port is taken.
export async function startUdpRelay(port: number, deps: UdpRelayDeps): Promise<RunningUdpRelay> {
  let sockets;
  try {
    sockets = openUdp(port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") throw new Error(`UDP port ${port} is already in use: pick another --relay-port`);
    throw error;
  }
  const buffer = new ArrayBuffer(BATCH * SLOT_BYTES);
  const bytes = new Uint8Array(buffer);
  const lengths = new Uint32Array(BATCH);
  const sources: Endpoint[] = new Array<Endpoint>(BATCH);
  const answers: Uint8Array[] = [];
  const destinations: Endpoint[] = [];
  let open = true;

  const relayFrom = (socket: UdpSocket) => (): void => {
    for (let round = 0; round < MAX_BATCHES_PER_WAKE && open; round++) {
      const count = socket.receiveBatch(buffer, 0, SLOT_BYTES, BATCH, SLOT_BYTES, lengths, sources);
      if (count === 0) break;
      const now = deps.now();
      answers.length = 0;
      destinations.length = 0;
      for (let i = 0; i < count; i++) {
        if (lengths[i]! > SLOT_BYTES) continue; // truncated: not a relay frame of ours
        const answer = deps.core.handle(now, bytes.subarray(i * SLOT_BYTES, i * SLOT_BYTES + lengths[i]!), sources[i]!);
        if (answer === null) continue;
        answers.push(answer.bytes);
        destinations.push(answer.to);
      }
      // An unreachable destination is the network's business: its datagram is gone.
      if (answers.length > 0) sockets.send(answers, destinations);
      if (count < BATCH) break;
    }
    // Datagrams coalesced by UDP GRO and not yet taken: no readiness event announces them.
    if (open && socket.hasPending()) setImmediate(relayFrom(socket));
  };
  for (const socket of sockets.sockets) socket.onReadable(relayFrom(socket));
  const timer = setInterval(() => deps.core.tick(deps.now()), deps.tickMs ?? DEFAULT_TICK_MS);
  timer.unref();
  if (sockets.sockets.length === 1) deps.log("udp relay: no IPv6 on this host: relaying on IPv4 only");

  return {
    port: sockets.port,
    async close() {
      open = false;
      clearInterval(timer);
      sockets.close();
    },
  };
}
