// The addresses this host can be reached at, as WireGuard endpoints ("ip:port"): every
// interface address except loopback, link-local, and the mesh's own (reaching a peer through
// the tunnel to build the tunnel would go nowhere). NAT discovery adds public endpoints later.

import { networkInterfaces } from "node:os";
import { formatEndpoint } from "../net/endpoint.js";
import { parseIpPrefix, type IpPrefix } from "../net/ip-prefix.js";

const LINK_LOCAL = /^(fe80:|169\.254\.)/i;
const MESH_IPV4 = /^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\./; // 100.64.0.0/10

export function localEndpoints(port: number, skipInterfaces: readonly string[]): string[] {
  const endpoints: string[] = [];
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (skipInterfaces.includes(name)) continue;
    for (const address of addresses ?? []) {
      if (address.internal || LINK_LOCAL.test(address.address) || MESH_IPV4.test(address.address)) continue;
      endpoints.push(formatEndpoint({ host: address.address, port }));
    }
  }
  // IPv4 first: most paths between homes are IPv4.
  return endpoints.sort((a, b) => Number(a.startsWith("[")) - Number(b.startsWith("[")));
}

// The networks this host is directly on ("192.168.1.0/24" for 192.168.1.5/24), loopback,
// link-local and the skipped interfaces (the mesh's) aside: routes inside them must not be
// sent into the tunnel.
export function localNetworks(skipInterfaces: readonly string[]): IpPrefix[] {
  const networks: IpPrefix[] = [];
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (skipInterfaces.includes(name)) continue;
    for (const address of addresses ?? []) {
      if (address.internal || LINK_LOCAL.test(address.address) || address.cidr === null) continue;
      const network = parseIpPrefix(address.cidr);
      if (network !== null) networks.push(network);
    }
  }
  return networks;
}

// Private IPv4 addresses (RFC 1918) of this host, the skipped interfaces (the mesh's) aside:
// where a page meant for the LAN listens by default — never a public address, never the mesh.
export function privateIpv4Addresses(skipInterfaces: readonly string[]): string[] {
  const addresses: string[] = [];
  for (const [name, entries] of Object.entries(networkInterfaces())) {
    if (skipInterfaces.includes(name)) continue;
    for (const entry of entries ?? []) {
      if (entry.family === "IPv4" && !entry.internal && /^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.)/.test(entry.address)) addresses.push(entry.address);
    }
  }
  return addresses;
}
