// Where the admin page listens, and serving it there.
//
// `--admin-listen` takes HOST:PORT, lan:PORT or off. The default is lan:8081: every private
// (RFC 1918) IPv4 address of this machine's own network interfaces, and 127.0.0.1 — the home
// LAN the page is for, and the board itself — but never the mesh interface or a public
// address: the page is for the people on the LAN, and anything else must be asked for by
// naming an address. 8081 sits next to the coordinator's 8080 and needs no root; the Pi image
// passes lan:80. A machine with no private address gets the page on 127.0.0.1 only.

import { serveTcp, type FetchApp, type RunningServer } from "../io/http-server.js";
import { privateIpv4Addresses } from "../io/local-addresses.js";

export const DEFAULT_ADMIN_PORT = 8081;

export type AdminListen = { readonly kind: "off" } | { readonly kind: "lan"; readonly port: number } | { readonly kind: "address"; readonly host: string; readonly port: number };

export const DEFAULT_ADMIN_LISTEN: AdminListen = { kind: "lan", port: DEFAULT_ADMIN_PORT };

export class AdminListenError extends Error {
  override readonly name = "AdminListenError";
}

export function parseAdminListen(text: string): AdminListen {
  if (text === "off") return { kind: "off" };
  const match = /^(\[[^\]]+\]|[^:]+):([0-9]{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (match === null || port > 65535) throw new AdminListenError(`--admin-listen takes HOST:PORT, lan:PORT or off (e.g. lan:80 or 192.168.1.2:8081), got "${text}"`);
  const host = match[1]!.replace(/^\[|\]$/g, "");
  return host === "lan" ? { kind: "lan", port } : { kind: "address", host, port };
}

export interface ServedAdminPage {
  readonly urls: readonly string[]; // the LAN ones first
  close(): Promise<void>;
}

export async function serveAdminPage(app: FetchApp, listen: AdminListen, meshInterfaces: readonly string[]): Promise<ServedAdminPage | null> {
  if (listen.kind === "off") return null;
  const hosts = listen.kind === "lan" ? [...privateIpv4Addresses(meshInterfaces), "127.0.0.1"] : [listen.host];
  const servers: RunningServer[] = [];
  try {
    for (const host of hosts) {
      servers.push(await serveTcp(app, host, listen.port).catch((error: Error) => {
        throw new AdminListenError(`the admin page cannot listen on ${host}:${listen.port} (${error.message.replace(/: pick another --listen address$/, "")}): choose another with --admin-listen, or --admin-listen off`);
      }));
    }
  } catch (error) {
    await Promise.all(servers.map((server) => server.close()));
    throw error;
  }
  const port = Number(servers[0]!.address.split(":").at(-1));
  const urls = hosts.map((host) => `http://${host.includes(":") ? `[${host}]` : host}:${port}/`);
  return { urls, close: async () => void (await Promise.all(servers.map((server) => server.close()))) };
}
