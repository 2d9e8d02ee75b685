// Serving a Hono app: on a TCP address (the coordinator's control API) or on a unix socket
// that only the owner can open (admin and node-status APIs).

import { unlinkSync } from "node:fs";
import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import type { Hono } from "hono";
import { listenPrivateSocket } from "./private-files.js";

export interface RunningServer {
  readonly address: string;
  close(): Promise<void>;
}

function closer(server: Server, cleanup: () => void = () => undefined): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      cleanup();
    });
}

export function serveTcp(app: Hono, host: string, port: number): Promise<RunningServer> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new Error(`${host}:${port} is already in use: pick another --listen address`) : error),
    );
    server.listen(port, host, () => {
      const bound = server.address();
      const shown = typeof bound === "object" && bound !== null ? `${host.includes(":") ? `[${host}]` : host}:${bound.port}` : `${host}:${port}`;
      resolve({ address: shown, close: closer(server) });
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
