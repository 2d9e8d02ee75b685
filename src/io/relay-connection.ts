// A node's connection to its coordinator's TCP relay: node:http's upgrade (`GET /relay/v1`,
// `Upgrade: meshgate-relay`) and the socket after it. Sockets and timers only: the handshake,
// keepalives, queues and the reconnect backoff are the client core's (src/nat/relay-client.ts,
// passed in). Each connection attempt has a generation: events from an older socket are ignored.

import { request, type ClientRequest, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { RelayClient, RelayClientAction, RelayClientStatus } from "../nat/relay-client.js";

const PULL_BYTES = 64 * 1024;

export interface RelayConnectionDeps {
  readonly core: RelayClient;
  // The coordinator's control URL (http://host:port); the relay is at `path` on it.
  readonly url: string;
  // RELAY_PATH and RELAY_UPGRADE_TOKEN (src/nat/relay-protocol.ts).
  readonly path: string;
  readonly token: string;
  readonly now: () => number; // monotonic ms
  // A packet that came through the relay (views; copy what is kept past the call).
  readonly onPacket: (from: Uint8Array, packet: Uint8Array) => void;
  readonly onPeerGone?: (key: Uint8Array) => void;
  // After every event, with the core's status (a path layer watches for "ready").
  readonly onStatus?: (status: RelayClientStatus) => void;
  readonly log: (line: string) => void;
}

export interface RelayConnection {
  // Queues a packet for `destination` (a 32-byte node key): false when the relay is not ready.
  send(destination: Uint8Array, packet: Uint8Array): boolean;
  status(): RelayClientStatus;
  stop(): void;
}

// Checks the URL once, at start: a configuration error, with what was expected.
function relayTarget(url: string, path: string): URL {
  let target: URL;
  try {
    target = new URL(path, url);
  } catch {
    throw new Error(`the coordinator URL "${url}" is not a URL (expected http://host:port)`);
  }
  if (target.protocol !== "http:") throw new Error(`the coordinator URL "${url}" is not http:// (the relay speaks HTTP/1.1 upgrade on the control port)`);
  return target;
}

export function startRelayConnection(deps: RelayConnectionDeps): RelayConnection {
  const { core, now } = deps;
  const target = relayTarget(deps.url, deps.path);
  let generation = 0;
  let pending: ClientRequest | null = null;
  let socket: Socket | null = null;
  let timer: NodeJS.Timeout | null = null;
  let lastLogged = "";

  const flush = (): void => {
    if (socket === null || socket.destroyed) return;
    while (!socket.writableNeedDrain) {
      const frames = core.pull(PULL_BYTES);
      if (frames.length === 0) return;
      socket.cork();
      for (const frame of frames) socket.write(frame);
      socket.uncork();
    }
  };

  const closeCurrent = (): void => {
    generation++;
    pending?.destroy();
    pending = null;
    socket?.destroy();
    socket = null;
  };

  const disconnected = (attempt: number, reason: string): void => {
    if (attempt !== generation) return;
    closeCurrent();
    run(core.disconnected(now(), reason));
  };

  const open = (): void => {
    closeCurrent();
    const attempt = generation;
    const req = request({
      host: target.hostname.replace(/^\[|\]$/g, ""),
      port: target.port === "" ? 80 : Number(target.port),
      path: target.pathname,
      method: "GET",
      agent: false,
      headers: { connection: "Upgrade", upgrade: deps.token },
    });
    pending = req;
    req.on("upgrade", (response: IncomingMessage, upgraded: Socket, head: Buffer) => {
      if (attempt !== generation) return void upgraded.destroy();
      pending = null;
      if (response.headers.upgrade?.toLowerCase() !== deps.token) return disconnected(attempt, `the coordinator switched to "${response.headers.upgrade ?? ""}", not the relay protocol`);
      socket = upgraded;
      let lastError = "";
      upgraded.setNoDelay(true);
      upgraded.on("data", (chunk: Buffer) => {
        if (attempt === generation) run(core.receive(now(), chunk));
      });
      upgraded.on("drain", () => {
        if (attempt === generation) flush();
      });
      upgraded.on("error", (error) => void (lastError = `: ${error.message}`));
      upgraded.on("close", () => disconnected(attempt, `the relay connection closed${lastError}`));
      run(core.connected(now()));
      if (head.length > 0) run(core.receive(now(), head));
    });
    req.on("response", (response: IncomingMessage) => {
      response.resume();
      disconnected(attempt, `the coordinator answered HTTP ${response.statusCode ?? "?"} instead of switching to the relay protocol`);
    });
    req.on("error", (error) => disconnected(attempt, `cannot reach the relay at ${target.host}: ${error.message}`));
    req.end();
  };

  const arm = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const deadline = core.nextDeadline();
    if (deadline === null) return;
    timer = setTimeout(() => {
      timer = null;
      run(core.tick(now()));
    }, Math.max(0, deadline - now()));
    timer.unref();
  };

  const report = (): void => {
    const status = core.status();
    const line = status.phase === "error" ? `relay: ${status.text}; retrying in ${Math.max(0, Math.round(((status.retryAt ?? now()) - now()) / 1000))} s` : status.phase === "ready" ? `relay: ready at ${target.host}` : "";
    const key = status.phase === "error" ? status.text : status.phase;
    if (line !== "" && key !== lastLogged) deps.log(line);
    if (status.phase !== "connecting") lastLogged = key;
  };

  function run(actions: readonly RelayClientAction[]): void {
    for (const action of actions) {
      switch (action.kind) {
        case "connect":
          open();
          break;
        case "flush":
          flush();
          break;
        case "close":
          closeCurrent();
          break;
        case "packet":
          deps.onPacket(action.from, action.packet);
          break;
        case "peerGone":
          deps.onPeerGone?.(action.key);
          break;
      }
    }
    report();
    deps.onStatus?.(core.status());
    arm();
  }

  run(core.start(now()));

  return {
    send(destination, packet) {
      if (!core.send(destination, packet)) return false;
      flush();
      return true;
    },
    status: () => core.status(),
    stop() {
      run(core.stop(now()));
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
