// The TCP relay on the coordinator's HTTP server: `GET /relay/v1` with `Upgrade: meshgate-relay`
// becomes a relay connection (101 Switching Protocols, then frames); every other request is the
// app's (http-server.ts routes them). Sockets only: what to send, to whom, and when to close is
// the relay core's (src/nat/relay-server.ts, passed in).
//
//   upgrade → core.open (null: 503 + Retry-After) → 101 → the serverHello
//   data → core.receive → actions: flush (pull frames while the socket takes them),
//                                   close (write what is queued, end, destroy 2 s later)
//   drain → flush; close → core.closed; every second → core.tick

import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { RelayServer, RelayServerAction } from "../nat/relay-server.js";
import type { UpgradeRoute } from "./http-server.js";

// How much one pull takes (a socket write batch); the socket's own buffer stays near its
// high-water mark (16 KiB) plus one batch, so the queues that drop old frames stay in the core.
const PULL_BYTES = 64 * 1024;
// A closing connection whose peer does not read gets this long to take its error frame.
const CLOSE_GRACE_MS = 2_000;

export interface RelayUpgradeDeps {
  readonly core: RelayServer;
  // What to take: RELAY_PATH and RELAY_UPGRADE_TOKEN (src/nat/relay-protocol.ts).
  readonly path: string;
  readonly token: string;
  readonly now: () => number; // monotonic ms
  readonly tickMs: number;
}

export interface RelayUpgrade extends UpgradeRoute {
  // Open relay sockets (for tests and status).
  readonly sockets: number;
}

export function createRelayUpgrade(deps: RelayUpgradeDeps): RelayUpgrade {
  const { core, now } = deps;
  const sockets = new Map<number, Duplex>();
  const timer = setInterval(() => run(core.tick(now())), deps.tickMs);
  timer.unref();

  const flush = (id: number): void => {
    const socket = sockets.get(id);
    if (socket === undefined || socket.destroyed) return;
    while (!socket.writableNeedDrain) {
      const frames = core.pull(id, PULL_BYTES);
      if (frames.length === 0) return;
      socket.cork();
      for (const frame of frames) socket.write(frame);
      socket.uncork();
    }
  };

  const end = (id: number): void => {
    const socket = sockets.get(id);
    if (socket === undefined) return;
    sockets.delete(id);
    if (!socket.destroyed) {
      for (let frames = core.pull(id, PULL_BYTES); frames.length > 0; frames = core.pull(id, PULL_BYTES)) for (const frame of frames) socket.write(frame);
      socket.end();
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    }
    core.closed(now(), id);
  };

  const run = (actions: readonly RelayServerAction[]): void => {
    for (const action of actions) {
      if (action.kind === "flush") flush(action.connection);
      else end(action.connection);
    }
  };

  return {
    get sockets() {
      return sockets.size;
    },

    matches: (request) =>
      request.method === "GET" && request.url === deps.path && request.headers.upgrade?.toLowerCase() === deps.token,

    handle(request: IncomingMessage, socket: Duplex, head: Buffer) {
      socket.on("error", () => undefined); // "close" follows; the core counts what matters
      const id = core.open(now(), (socket as Socket).remoteAddress ?? request.socket.remoteAddress ?? "unknown");
      if (id === null) {
        socket.end("HTTP/1.1 503 Service Unavailable\r\nretry-after: 5\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        return;
      }
      sockets.set(id, socket);
      (socket as Socket).setNoDelay?.(true);
      socket.on("data", (chunk: Buffer) => run(core.receive(now(), id, chunk)));
      socket.on("drain", () => flush(id));
      socket.on("close", () => {
        if (sockets.delete(id)) core.closed(now(), id);
      });
      // The HTTP server's sockets allow half-open connections: the peer's FIN alone would leave
      // ours open. A relay connection is over when either side ends it.
      socket.on("end", () => socket.destroy());
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${deps.token}\r\nconnection: Upgrade\r\n\r\n`);
      flush(id); // the serverHello
      if (head.length > 0) run(core.receive(now(), id, head));
    },

    close() {
      clearInterval(timer);
      for (const [id, socket] of sockets) {
        sockets.delete(id);
        socket.destroy();
        core.closed(now(), id);
      }
    },
  };
}
