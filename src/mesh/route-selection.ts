// Which of the mesh's routes this node uses: other nodes' approved subnet routes (when it
// accepts routes) and the exit routes of the exit node it chose. The result feeds the peers'
// AllowedIPs (desired-peers.ts), the kernel routes, and `status`, which says per route why it
// is or is not in use.
//
// A subnet route inside one of this node's own networks is left out: routing 192.168.1.0/24
// into the tunnel on a machine that sits on 192.168.1.0/24 would cut it off from its own LAN
// (the second router of a failover pair, or two homes that both use the common default).

import { formatIpAddress, formatIpPrefix, parseIpAddress, parseIpPrefix, type IpPrefix } from "../net/ip-prefix.js";
import { EXIT_ROUTES, isExitRoute, prefixContains } from "../net/subnet-route.js";
import type { Netmap, NetmapNode } from "./netmap.js";

export interface RouteChoice {
  readonly acceptRoutes: boolean;
  readonly exitNode: string | null; // a peer's name or mesh address, as the user gave it
  readonly localNetworks: readonly IpPrefix[]; // the networks this node is directly on
}

export interface SubnetRouteUse {
  readonly prefix: string;
  readonly via: string; // the router's name
  readonly installed: boolean;
  readonly reason: string | null; // why not installed
}

export interface ExitNodeUse {
  readonly requested: string;
  readonly name: string | null; // null: no such peer
  readonly ipv4: string | null;
  readonly online: boolean;
  // Whether its exit routes are in use; when not, internet traffic stops rather than leaking
  // around the tunnel (the default route into the tunnel stays).
  readonly active: boolean;
  readonly reason: string | null;
}

export interface RouteSelection {
  // Node key → the route prefixes that peer carries for this node, beyond its mesh addresses.
  readonly peerRoutes: ReadonlyMap<string, readonly IpPrefix[]>;
  // Subnet prefixes to route into the mesh interface (the exit routes go by policy routing).
  readonly kernelRoutes: readonly string[];
  readonly subnetRoutes: readonly SubnetRouteUse[];
  readonly exitNode: ExitNodeUse | null;
}

function findPeer(peers: readonly NetmapNode[], reference: string): NetmapNode | undefined {
  const address = parseIpAddress(reference);
  if (address !== null) {
    const text = formatIpAddress(address);
    return peers.find((peer) => peer.ipv4 === text || peer.ipv6 === text);
  }
  return peers.find((peer) => peer.name.toLowerCase() === reference.toLowerCase());
}

function chooseExitNode(peers: readonly NetmapNode[], requested: string): { use: ExitNodeUse; node: NetmapNode | null } {
  const node = findPeer(peers, requested) ?? null;
  if (node === null) {
    const reason = `no node "${requested}" in the mesh`;
    return { node: null, use: { requested, name: null, ipv4: null, online: false, active: false, reason } };
  }
  const offers = node.routes.some(isExitRoute);
  const reason = !offers
    ? `${node.name} is not an approved exit node (it needs --advertise-exit-node and an admin's approval)`
    : node.online
      ? null
      : `${node.name} is offline`;
  return { node: offers ? node : null, use: { requested, name: node.name, ipv4: node.ipv4, online: node.online, active: offers, reason } };
}

export function selectRoutes(netmap: Netmap | null, choice: RouteChoice): RouteSelection {
  const peerRoutes = new Map<string, IpPrefix[]>();
  const add = (node: NetmapNode, prefix: IpPrefix): void => void peerRoutes.set(node.nodeKey, [...(peerRoutes.get(node.nodeKey) ?? []), prefix]);
  const subnetRoutes: SubnetRouteUse[] = [];
  const kernelRoutes: string[] = [];
  const peers = netmap?.peers ?? [];
  for (const node of peers) {
    for (const text of node.routes) {
      if (isExitRoute(text)) continue;
      const prefix = parseIpPrefix(text);
      if (prefix === null) continue; // the coordinator checked it; a stale map is not worth a crash
      const local = choice.localNetworks.find((network) => prefixContains(network, prefix));
      const reason = !choice.acceptRoutes
        ? "not accepting routes (--accept-routes=false)"
        : local !== undefined
          ? `inside this node's own network ${formatIpPrefix(local)}`
          : null;
      subnetRoutes.push({ prefix: text, via: node.name, installed: reason === null, reason });
      if (reason !== null) continue;
      add(node, prefix);
      kernelRoutes.push(text);
    }
  }
  let exitNode: ExitNodeUse | null = null;
  if (choice.exitNode !== null) {
    const chosen = chooseExitNode(peers, choice.exitNode);
    exitNode = chosen.use;
    if (chosen.node !== null) for (const text of EXIT_ROUTES) if (chosen.node.routes.includes(text)) add(chosen.node, parseIpPrefix(text)!);
  }
  return { peerRoutes, kernelRoutes, subnetRoutes, exitNode };
}
