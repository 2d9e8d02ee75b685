// From a netmap to the WireGuard peers a node should have, and from there to the few changes
// that make the running device match — without touching peers that are already right, so
// live sessions survive every netmap update.

import type { PeerSettings, PeerStatus } from "../wireguard/device.js";
import type { Endpoint } from "../net/endpoint.js";
import { formatIpPrefix, parseIpPrefix, type IpPrefix } from "../net/ip-prefix.js";
import { decodeKey } from "../wireguard/key-base64.js";
import { parseIpEndpoint } from "../net/endpoint.js";
import type { HostedDevice } from "./control-protocol.js";
import type { Netmap } from "./netmap.js";

export interface DesiredPeer {
  readonly publicKey: Uint8Array;
  readonly name: string;
  readonly allowedIps: readonly IpPrefix[];
  // Where to send first; WireGuard then follows the peer wherever it roams.
  readonly endpoints: readonly Endpoint[];
  // A device without meshgate this node hosts (a phone): no path layer, no address known until
  // it sends; plain WireGuard roaming finds it.
  readonly hostedDevice: boolean;
}

// A device's mesh addresses as AllowedIPs.
const deviceAddresses = (device: HostedDevice): (IpPrefix | null)[] => [parseIpPrefix(`${device.ipv4}/32`), parseIpPrefix(`${device.ipv6}/128`)];

// Each peer gets its mesh addresses (/32, /128), those of the devices it hosts, and the routes
// this node uses through it (route-selection.ts: accepted subnet routes, the chosen exit node's
// default routes). The devices this node hosts are peers of its own. Entries with keys or
// addresses that do not parse are left out rather than half-configured.
export function desiredPeers(netmap: Netmap, peerRoutes: ReadonlyMap<string, readonly IpPrefix[]> = new Map()): DesiredPeer[] {
  const peers: DesiredPeer[] = [];
  for (const node of netmap.peers) {
    const publicKey = decodeKey(node.nodeKey);
    const addresses = [parseIpPrefix(`${node.ipv4}/32`), parseIpPrefix(`${node.ipv6}/128`), ...(node.devices ?? []).flatMap(deviceAddresses)];
    if (publicKey === null || addresses.some((prefix) => prefix === null)) continue;
    const endpoints = node.endpoints.map(parseIpEndpoint).filter((endpoint): endpoint is Endpoint => endpoint !== null);
    peers.push({ publicKey, name: node.name, allowedIps: [...(addresses as IpPrefix[]), ...(peerRoutes.get(node.nodeKey) ?? [])], endpoints, hostedDevice: false });
  }
  for (const device of netmap.self.devices ?? []) {
    const publicKey = decodeKey(device.publicKey);
    const addresses = deviceAddresses(device);
    if (publicKey === null || addresses.some((prefix) => prefix === null)) continue;
    peers.push({ publicKey, name: device.name, allowedIps: addresses as IpPrefix[], endpoints: [], hostedDevice: true });
  }
  return peers;
}

export interface ReconcilePlan {
  readonly remove: readonly Uint8Array[];
  readonly upsert: readonly PeerSettings[];
}

const keyOf = (key: Uint8Array): string => Buffer.from(key).toString("base64");
const prefixSet = (prefixes: readonly IpPrefix[]): string => prefixes.map(formatIpPrefix).sort().join(",");
const endpointText = (endpoint: Endpoint): string => `${endpoint.host}|${endpoint.port}`;

// What to change on the device so its peers are `desired`. A peer whose AllowedIPs differ gets
// them replaced. Its endpoint: with `pathEndpointOf` (a path layer routes the peer, src/nat),
// always that one, not roaming; otherwise set only when it has none or one the netmap no longer
// lists (an endpoint learned by roaming is kept while it is still a known address of the peer).
export function reconcilePeers(
  desired: readonly DesiredPeer[],
  current: readonly PeerStatus[],
  pathEndpointOf?: (peerKey: string) => Endpoint,
): ReconcilePlan {
  const existing = new Map(current.map((peer) => [keyOf(peer.publicKey), peer]));
  const wanted = new Set(desired.map((peer) => keyOf(peer.publicKey)));
  const remove = current.filter((peer) => !wanted.has(keyOf(peer.publicKey))).map((peer) => peer.publicKey);
  const upsert: PeerSettings[] = [];
  for (const peer of desired) {
    const now = existing.get(keyOf(peer.publicKey));
    const ipsChanged = now === undefined || prefixSet(now.allowedIps) !== prefixSet(peer.allowedIps);
    let endpoint: Endpoint | undefined;
    if (peer.hostedDevice) {
      endpoint = undefined; // learned from its first authentic packet
    } else if (pathEndpointOf !== undefined) {
      const fixed = pathEndpointOf(keyOf(peer.publicKey));
      if (now === undefined || now.endpoint === null || endpointText(now.endpoint) !== endpointText(fixed)) endpoint = fixed;
    } else {
      const known = new Set(peer.endpoints.map(endpointText));
      const endpointStale = now === undefined || now.endpoint === null || !known.has(endpointText(now.endpoint));
      endpoint = endpointStale ? peer.endpoints[0] : undefined;
    }
    if (!ipsChanged && endpoint === undefined) continue;
    upsert.push({
      publicKey: peer.publicKey,
      ...(ipsChanged ? { allowedIps: peer.allowedIps, replaceAllowedIps: true } : {}),
      ...(endpoint !== undefined ? { endpoint, ...(pathEndpointOf !== undefined ? { roaming: false } : {}) } : {}),
      ...(peer.hostedDevice && now === undefined ? { roaming: true } : {}),
    });
  }
  return { remove, upsert };
}
