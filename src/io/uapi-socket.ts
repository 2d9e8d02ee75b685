// The UAPI unix socket, /var/run/wireguard/<interface>.sock, where `wg` finds a userspace
// interface. Requests are blocks of lines ended by a blank line; each gets one answer. The
// socket is created owner-only (as wireguard-go does: it carries private keys), and a stale
// socket left by a killed process is replaced.

import { mkdirSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { join } from "node:path";
import { listenPrivateSocket } from "./private-files.js";

export const DEFAULT_UAPI_DIRECTORY = "/var/run/wireguard";
// A request larger than this is not a UAPI request: drop the connection.
const MAX_REQUEST_BYTES = 1 << 20;

export type UapiHandler = (request: string[]) => Promise<string> | string;

export interface UapiSocket {
  readonly path: string;
  close(): Promise<void>;
}

export function uapiSocketPath(interfaceName: string, directory = DEFAULT_UAPI_DIRECTORY): string {
  return join(directory, `${interfaceName}.sock`);
}

// True when something answers on the socket (an interface of that name is running).
export function uapiSocketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const connection = createConnection(path);
    connection.once("connect", () => {
      connection.destroy();
      resolve(true);
    });
    connection.once("error", () => resolve(false));
  });
}

export async function listenUapi(path: string, handle: UapiHandler): Promise<UapiSocket> {
  mkdirSync(join(path, ".."), { recursive: true, mode: 0o755 });
  if (await uapiSocketAnswers(path)) throw new Error(`${path} is in use: is this interface already up?`);
  const server: Server = createServer((connection) => {
    let buffered = "";
    let queue = Promise.resolve();
    connection.setEncoding("utf8");
    connection.on("data", (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_REQUEST_BYTES) {
        connection.destroy();
        return;
      }
      for (let end = buffered.indexOf("\n\n"); end !== -1; end = buffered.indexOf("\n\n")) {
        const request = buffered.slice(0, end).split("\n");
        buffered = buffered.slice(end + 2);
        queue = queue.then(async () => {
          const answer = await handle(request);
          if (!connection.destroyed) connection.write(answer);
        });
      }
    });
    connection.on("error", () => connection.destroy());
  });
  await listenPrivateSocket(server, path);
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }),
  };
}
