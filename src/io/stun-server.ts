// The coordinator's STUN server: UDP sockets on the given host (one per port — the coordinator
// opens two, N and N + 1, so a node can tell a NAT whose mapping varies by destination), each
// datagram handed to `respond` (src/nat/stun-responder.ts decides) and the answer sent back to
// its source. Drops are counted by reason and logged at a bounded rate: the first of each
// interval with its source, the rest in one summary line when the interval ends — at most two
// lines per interval whatever arrives.

import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import type { StunDropReason, StunVerdict } from "../nat/stun-responder.js";
import type { Endpoint } from "../net/endpoint.js";

export const STUN_LOG_INTERVAL_MS = 10_000;

export interface StunServerOptions {
  // An IP literal: 0.0.0.0 or :: for every address (:: also takes IPv4 on a dual-stack host).
  readonly host: string;
  // One socket per port; 0 takes any free port (tests).
  readonly ports: readonly number[];
  readonly respond: (bytes: Uint8Array, from: Endpoint) => StunVerdict;
  readonly log: (line: string) => void;
  readonly logIntervalMs?: number;
}

export interface StunServerCounters {
  readonly answered: number;
  readonly dropped: Readonly<Partial<Record<StunDropReason | "send-failed", number>>>;
}

export interface RunningStunServer {
  // "host:port" of each socket as bound ([v6]:port for IPv6).
  readonly endpoints: readonly string[];
  counters(): StunServerCounters;
  close(): Promise<void>;
}

export async function startStunServer(options: StunServerOptions): Promise<RunningStunServer> {
  const intervalMs = options.logIntervalMs ?? STUN_LOG_INTERVAL_MS;
  const sockets: Socket[] = [];
  let answered = 0;
  const dropped: Partial<Record<StunDropReason | "send-failed", number>> = {};
  const limiter = createLimitedLog(options.log, intervalMs);

  const count = (reason: StunDropReason | "send-failed", detail: string): void => {
    dropped[reason] = (dropped[reason] ?? 0) + 1;
    limiter.note(reason, `stun: dropped a datagram (${reason}): ${detail}`);
  };

  const onMessage = (socket: Socket) => (message: Buffer, from: RemoteInfo): void => {
    const verdict = options.respond(message, { host: from.address, port: from.port });
    if (verdict.kind === "drop") {
      count(verdict.reason, `from ${from.address} port ${from.port}, ${message.length} bytes`);
      return;
    }
    socket.send(verdict.bytes, from.port, from.address, (error) => {
      if (error) count("send-failed", `to ${from.address} port ${from.port}: ${error.message}`);
      else answered++;
    });
  };

  try {
    for (const port of options.ports) {
      const socket = createSocket({ type: isIPv6(options.host) ? "udp6" : "udp4" });
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(port, options.host, () => {
          socket.off("error", reject);
          resolve();
        });
      }).catch((error: NodeJS.ErrnoException) => {
        throw new Error(`STUN server: cannot listen on UDP ${options.host} port ${port} (${error.code ?? error.message}); choose another with --stun-port, or --stun-port 0 for none`);
      });
      // After bind, an error (ICMP errors surface this way on some systems) is noted, not fatal.
      socket.on("error", (error) => limiter.note("socket-error", `stun: socket error: ${error.message}`));
      socket.on("message", onMessage(socket));
    }
  } catch (error) {
    await closeAll(sockets);
    throw error;
  }

  return {
    endpoints: sockets.map((socket) => {
      const { address, port } = socket.address();
      return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
    }),
    counters: () => ({ answered, dropped: { ...dropped } }),
    async close() {
      limiter.close();
      await closeAll(sockets);
    },
  };
}

async function closeAll(sockets: readonly Socket[]): Promise<void> {
  await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // never bound, or already closed
    }
  })));
}

// The bounded log: the first event of an interval logged as it happens, later ones counted by
// reason and summed up by a timer at the interval's end (unref'd: it keeps no process alive).
function createLimitedLog(log: (line: string) => void, intervalMs: number): { note(reason: string, line: string): void; close(): void } {
  let windowOpen = false;
  let timer: NodeJS.Timeout | null = null;
  const suppressed = new Map<string, number>(); // reasons are a fixed few strings

  const endWindow = (): void => {
    timer = null;
    windowOpen = false;
    if (suppressed.size === 0) return;
    const total = [...suppressed.values()].reduce((sum, n) => sum + n, 0);
    log(`stun: ${total} more in the last ${Math.round(intervalMs / 1000)} s (${[...suppressed].map(([reason, n]) => `${reason} ${n}`).join(", ")})`);
    suppressed.clear();
  };

  return {
    note(reason, line) {
      if (!windowOpen) {
        windowOpen = true;
        timer = setTimeout(endWindow, intervalMs);
        timer.unref();
        log(line);
        return;
      }
      suppressed.set(reason, (suppressed.get(reason) ?? 0) + 1);
    },
    close() {
      if (timer !== null) clearTimeout(timer);
      endWindow();
    },
  };
}
