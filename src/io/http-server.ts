// Serving a Hono app: on a TCP address (the coordinator's control API) or on a unix socket
// that only the owner can open (admin and node-status APIs). A TCP server may also take one
// kind of HTTP upgrade (the relay: relay-upgrade.ts) beside the app.

import { unlinkSync } from "node:fs";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { createAdaptorServer } from "@hono/node-server";
import type { Hono } from "hono";
import { listenPrivateSocket } from "./private-files.js";

// What a server needs of an app: Hono's fetch, whatever the app's own variables (Env) are.
export interface FetchApp {
  fetch(request: Request, env: object): Response | Promise<Response>;
}

export interface RunningServer {
  readonly address: string;
  close(): Promise<void>;
}

// The upgrades a server takes; every other request goes to the app as before.
export interface UpgradeRoute {
  matches(request: IncomingMessage): boolean;
  // The socket is the route's from here on (it must answer, 101 or a refusal, and close it).
  handle(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  // Closes every upgraded socket: the HTTP server no longer tracks them, and its close()
  // would wait for them.
  close(): void;
}

function closer(server: Server, cleanup: () => void = () => undefined): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      cleanup();
    });
}

// Newer Node versions (24.9 on) ask server.shouldUpgradeCallback which upgrade requests are
// upgrades: with it, any other request carrying an Upgrade header reaches the app untouched.
// Older versions hand every upgrade request to the "upgrade" listener, which refuses what the
// route does not match (nothing of meshgate's sends other upgrades).
function takeUpgrades(server: Server, route: UpgradeRoute): void {
  (server as Server & { shouldUpgradeCallback?: (request: IncomingMessage) => boolean }).shouldUpgradeCallback = (request) => route.matches(request);
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (route.matches(request)) return route.handle(request, socket, head);
    // Node has taken its own error listener off an upgraded socket: an unheard reset would throw.
    socket.on("error", () => undefined);
    const body = JSON.stringify({ error: "bad_request", message: "this server upgrades no such request" });
    socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
}

export function serveTcp(app: FetchApp, host: string, port: number, upgrade?: UpgradeRoute): Promise<RunningServer> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  if (upgrade !== undefined) takeUpgrades(server, upgrade);
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      upgrade?.close();
      reject(error.code === "EADDRINUSE" ? new Error(`${host}:${port} is already in use: pick another --listen address`) : error);
    });
    server.listen(port, host, () => {
      const bound = server.address();
      const shown = typeof bound === "object" && bound !== null ? `${host.includes(":") ? `[${host}]` : host}:${bound.port}` : `${host}:${port}`;
      resolve({ address: shown, close: closer(server, () => upgrade?.close()) });
    });
  });
}

// The socket's directory must exist (the state directory: ensurePrivateDirectory).
export async function serveUnixSocket(app: Hono, path: string): Promise<RunningServer> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await listenPrivateSocket(server, path);
  return {
    address: path,
    close: closer(server, () => {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }),
  };
}
