// The UDP peer relay's own sockets (`meshgate up --relay-port N`): an IPv4 and an IPv6 socket on
// port N (the IPv6 one only where the host has IPv6), every datagram handed to the relay core
// (src/nat/udp-relay-server.ts, passed in) and its answer sent from the socket of the
// answer's family. node:dgram is enough here: a relay forwards one datagram per datagram, and
// the node's WireGuard traffic keeps the native batched path.

import { createSocket, type Socket } from "node:dgram";
import type { UdpRelayServer } from "../nat/udp-relay-server.js";

export interface UdpRelayDeps {
  readonly core: UdpRelayServer;
  readonly now: () => number; // monotonic ms
  readonly log: (line: string) => void;
  // The addresses to bind; by default every IPv4 and IPv6 address. Tests use 127.0.0.1.
  readonly hosts?: readonly string[];
  readonly tickMs?: number;
}

export interface RunningUdpRelay {
  readonly port: number;
  close(): Promise<void>;
}

const DEFAULT_TICK_MS = 5_000;
// Where a host without IPv6 says so when an IPv6 socket binds.
const NO_IPV6 = new Set(["EAFNOSUPPORT", "EADDRNOTAVAIL", "EPROTONOSUPPORT"]);

function bindSocket(host: string, port: number): Promise<Socket> {
  const socket = createSocket({ type: host.includes(":") ? "udp6" : "udp4", ipv6Only: host.includes(":") });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, host, () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

// Binds `port` (0: any free port, the same for both families) and starts relaying. Throws, with
// what to change, when the port is taken.
export async function startUdpRelay(port: number, deps: UdpRelayDeps): Promise<RunningUdpRelay> {
  const hosts = deps.hosts ?? ["0.0.0.0", "::"];
  const sockets: Socket[] = [];
  let boundPort = port;
  try {
    for (const host of hosts) {
      try {
        const socket = await bindSocket(host, boundPort);
        boundPort = socket.address().port;
        sockets.push(socket);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "";
        if (host.includes(":") && NO_IPV6.has(code) && sockets.length > 0) {
          deps.log(`udp relay: no IPv6 on this host (${code}): relaying on IPv4 only`);
          continue;
        }
        if (code === "EADDRINUSE") throw new Error(`UDP port ${boundPort} is already in use on ${host}: pick another --relay-port`);
        throw error;
      }
    }
  } catch (error) {
    for (const socket of sockets) socket.close();
    throw error;
  }

  const socketFor = (host: string): Socket | undefined => sockets.find((socket) => (socket.address().family === "IPv6") === host.includes(":"));
  for (const socket of sockets) {
    socket.on("error", (error) => deps.log(`udp relay: socket error: ${error.message}`));
    socket.on("message", (datagram: Buffer, sender) => {
      const answer = deps.core.handle(deps.now(), datagram, { host: sender.address, port: sender.port });
      if (answer === null) return;
      // A send error (an unreachable destination) is the network's business: the datagram is gone.
      socketFor(answer.to.host)?.send(answer.bytes, answer.to.port, answer.to.host, () => undefined);
    });
  }
  const timer = setInterval(() => deps.core.tick(deps.now()), deps.tickMs ?? DEFAULT_TICK_MS);
  timer.unref();

  return {
    port: boundPort,
    async close() {
      clearInterval(timer);
      await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
    },
  };
}
