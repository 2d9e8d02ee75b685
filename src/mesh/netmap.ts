// The network map: what the coordinator tells a node about itself and its peers, and how it
// travels — a full map, or a delta against a version the node already has.
//
// Versions are the coordinator's global change counter: every published batch of changes to any
// node (enrolled, removed, expired, new endpoints, online or not) moves it. A node polls with
// the version it holds; the coordinator answers with a delta from that version when its change
// log still reaches back to it, and with a full map otherwise (netmap-log.ts).

import type { HostedDevice, NatFacts } from "./control-protocol.js";

export interface NetmapNode {
  readonly nodeKey: string; // WireGuard public key, base64
  readonly name: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly endpoints: readonly string[]; // "ip:port" or "[ipv6]:port", most preferred first
  // What peers route to this node: the subnet routes it is the primary router for, and the
  // exit routes ("0.0.0.0/0", "::/0") when it is an approved exit node (a peer uses those only
  // if it chose this node as its exit node).
  readonly routes: readonly string[];
  // Every route of this node an admin (or the auto-approve policy) approved, primary or not:
  // what it forwards, and what `status` shows. Absent from coordinators before subnet routing.
  readonly approvedRoutes?: readonly string[];
  // Devices without meshgate this node hosts: peers route their addresses to it; it carries them
  // as WireGuard peers of its own. Absent: none (and from coordinators before devices).
  readonly devices?: readonly HostedDevice[];
  readonly online: boolean;
  readonly keyExpiresAt: number | null;
  readonly nat: NatFacts | null; // what the node learned of its network, as it reported it
  readonly relayPort: number | null; // it relays UDP for others on this port (at its endpoints' addresses)
}

export interface Netmap {
  readonly version: number;
  readonly self: NetmapNode;
  readonly peers: readonly NetmapNode[];
}

export type NetmapUpdate =
  | { readonly kind: "full"; readonly version: number; readonly self: NetmapNode; readonly peers: readonly NetmapNode[] }
  | {
      readonly kind: "delta";
      readonly version: number;
      readonly baseVersion: number;
      readonly self: NetmapNode | null; // null: unchanged
      readonly upsert: readonly NetmapNode[];
      readonly remove: readonly string[]; // node keys
    };

// Also compares what the store holds of a report (the same fields, portMapping as text).
type NatLike = Omit<NatFacts, "portMapping"> & { readonly portMapping: string | null };

export function sameNat(a: NatLike | null, b: NatLike | null): boolean {
  if (a === null || b === null) return a === b;
  return a.udp === b.udp && a.mappingVariesByDestination === b.mappingVariesByDestination && a.portMapping === b.portMapping;
}

const deviceText = (device: HostedDevice): string => `${device.publicKey} ${device.name} ${device.ipv4} ${device.ipv6}`;
const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((item, i) => item === b[i]);

export function sameNode(a: NetmapNode, b: NetmapNode): boolean {
  return (
    a.nodeKey === b.nodeKey &&
    a.name === b.name &&
    a.ipv4 === b.ipv4 &&
    a.ipv6 === b.ipv6 &&
    a.online === b.online &&
    a.keyExpiresAt === b.keyExpiresAt &&
    sameNat(a.nat, b.nat) &&
    a.relayPort === b.relayPort &&
    a.endpoints.length === b.endpoints.length &&
    a.endpoints.every((endpoint, i) => endpoint === b.endpoints[i]) &&
    sameList(a.routes, b.routes) &&
    sameList(a.approvedRoutes ?? [], b.approvedRoutes ?? []) &&
    sameList((a.devices ?? []).map(deviceText), (b.devices ?? []).map(deviceText))
  );
}

// Node side: the map after `update`, or null when a delta does not apply to what the node has
// (it then asks for a full map by polling from version 0).
export function applyNetmapUpdate(current: Netmap | null, update: NetmapUpdate): Netmap | null {
  if (update.kind === "full") return { version: update.version, self: update.self, peers: update.peers };
  if (current === null || current.version !== update.baseVersion) return null;
  const removed = new Set(update.remove);
  const upserted = new Map(update.upsert.map((peer) => [peer.nodeKey, peer]));
  const peers = current.peers.filter((peer) => !removed.has(peer.nodeKey) && !upserted.has(peer.nodeKey));
  return { version: update.version, self: update.self ?? current.self, peers: [...peers, ...update.upsert] };
}
