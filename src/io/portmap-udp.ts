// The port mapper's two UDP transports on node:dgram (src/nat/portmap/port-mapping.ts):
// NAT-PMP/PCP exchanges with the gateway's port 5351, and SSDP searches. Each exchange has a
// socket of its own on an ephemeral port, so an answer can only be to this request (a late
// answer to an earlier one lands on a closed socket), and is closed when it ends. Neither
// function rejects: silence, socket errors and the deadline all resolve null.

import { createSocket, type RemoteInfo, type Socket } from "node:dgram";

export interface GatewayExchangeOptions {
  readonly timeoutMs?: number; // the whole exchange, retransmissions included
  readonly port?: number; // 5351; tests point it at a fake gateway
}

export interface SsdpSearchOptions {
  readonly timeoutMs?: number;
  readonly port?: number; // 1900
  readonly multicastAddress?: string; // 239.255.255.250
}

// RFC 6886 §3.1: retransmit after 250 ms, doubling each time. 2 s covers four sends; a gateway
// that says nothing by then is not one that maps (Tailscale waits 250 ms once).
const EXCHANGE_TIMEOUT_MS = 2000;
const FIRST_RETRANSMIT_MS = 250;
// SSDP (UDA §1.3.2): a device may wait up to MX (2 s) before answering a multicast search;
// the search is sent twice because UDP may lose it.
const SSDP_TIMEOUT_MS = 3000;
const SSDP_RESEND_MS = 1000;
const PORTMAP_PORT = 5351;
const SSDP_PORT = 1900;
const SSDP_MULTICAST = "239.255.255.250";
// UDA §1.3.2 recommends a TTL of 2 for the multicast search: it may cross one router, no more.
const SSDP_TTL = 2;

// One socket, a deadline, and the first datagram `accept` takes; null otherwise. `start` sends
// once the socket is bound and arms follow-ups with `later`, whose timers die with the socket.
type Later = (delayMs: number, run: () => void) => void;

function awaitAnswer(timeoutMs: number, accept: (from: RemoteInfo) => boolean, start: (socket: Socket, later: Later) => void): Promise<Uint8Array | null> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    let finished = false;
    const timers: NodeJS.Timeout[] = [];
    const later: Later = (delayMs, run) => {
      if (!finished) timers.push(setTimeout(run, delayMs));
    };
    const finish = (answer: Uint8Array | null): void => {
      if (finished) return;
      finished = true;
      for (const timer of timers) clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    socket.on("error", () => finish(null));
    socket.on("message", (message, from) => {
      if (accept(from)) finish(new Uint8Array(message));
    });
    later(timeoutMs, () => finish(null));
    socket.bind(0, () => {
      if (!finished) start(socket, later);
    });
  });
}

export function createGatewayExchange(options: GatewayExchangeOptions = {}): (gateway: string, request: Uint8Array) => Promise<Uint8Array | null> {
  const timeoutMs = options.timeoutMs ?? EXCHANGE_TIMEOUT_MS;
  const port = options.port ?? PORTMAP_PORT;
  return (gateway, request) =>
    awaitAnswer(
      timeoutMs,
      (from) => from.address === gateway && from.port === port,
      (socket, later) => {
        const send = (delay: number): void => {
          socket.send(request, port, gateway, () => undefined);
          later(delay, () => send(delay * 2));
        };
        send(FIRST_RETRANSMIT_MS);
      },
    );
}

export function createSsdpSearch(options: SsdpSearchOptions = {}): (gateway: string, searches: readonly Uint8Array[]) => Promise<Uint8Array | null> {
  const timeoutMs = options.timeoutMs ?? SSDP_TIMEOUT_MS;
  const port = options.port ?? SSDP_PORT;
  const multicast = options.multicastAddress ?? SSDP_MULTICAST;
  return (gateway, searches) =>
    awaitAnswer(
      timeoutMs,
      (from) => from.address === gateway,
      (socket, later) => {
        try {
          socket.setMulticastTTL(SSDP_TTL);
        } catch {
          // a socket that cannot multicast still searches by unicast
        }
        const sendAll = (): void => {
          // Unicast to the gateway too: some routers answer only one of the two. A send that
          // fails (no multicast route) reports through the callback, and the other goes on.
          for (const search of searches) {
            socket.send(search, port, multicast, () => undefined);
            socket.send(search, port, gateway, () => undefined);
          }
        };
        sendAll();
        later(Math.min(SSDP_RESEND_MS, timeoutMs / 2), sendAll);
      },
    );
}
