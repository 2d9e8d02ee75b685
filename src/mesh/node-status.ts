// What `meshgate status` shows: this node, its coordinator connection, and each peer with its
// mesh address, the path its packets take (direct to an endpoint, or through a relay, and why
// not direct), its last handshake and traffic — from the netmap (names, addresses, online), the
// path layer (src/nat) and the device (handshake, counters).

import type { PeerStatus } from "../wireguard/device.js";
import { formatEndpoint } from "../net/endpoint.js";
import type { Netmap } from "./netmap.js";
import type { AgentState } from "./node-agent.js";
import type { RouteSelection } from "./route-selection.js";
import type { RoutingPrefs } from "./routing-prefs.js";

// The path to one peer, as the path layer sees it.
export interface PathView {
  readonly path: "direct" | "relay" | "none";
  readonly endpoint: string | null; // the direct address in use
  readonly relay: string | null; // the relay in use ("tcp http://…", "udp 11.0.0.3:3479 (name)")
  readonly rttMs: number | null;
  readonly pathReason: string | null; // why not direct, in words a user can act on
}

export interface PeerView extends PathView {
  readonly name: string;
  readonly nodeKey: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly online: boolean;
  readonly lastHandshakeAt: number | null;
  readonly handshakes: number; // completed with this peer since this node started
  readonly rxBytes: number;
  readonly txBytes: number;
}

export interface NodeStatus {
  readonly self: { readonly name: string; readonly ipv4: string; readonly ipv6: string; readonly nodeKey: string; readonly keyExpiresAt: number | null } | null;
  readonly coordinator: { readonly url: string; readonly state: AgentState };
  readonly interfaceName: string;
  readonly listenPort: number;
  readonly peers: readonly PeerView[];
  // What was dropped, by reason (the device's and the path layer's): JSON only, for diagnosis.
  readonly drops: Readonly<Record<string, number>>;
  // The TCP relay connection to the coordinator, when there is one.
  readonly relay: RelayView | null;
  // Subnet routes and exit nodes (absent: a status from before subnet routing).
  readonly routing?: RoutingView;
}

// What this node's routing is doing: its owner's choices, which of its advertised routes are
// approved and routed here now, and how it uses other nodes' routes and its exit node.
export interface RoutingView {
  readonly prefs: RoutingPrefs;
  readonly approvedRoutes: readonly string[]; // of this node's advertised subnet routes
  readonly primaryRoutes: readonly string[]; // the ones the mesh routes to this node now
  readonly exitNodeApproved: boolean;
  readonly subnetRoutes: RouteSelection["subnetRoutes"]; // other nodes' routes and their use here
  readonly exitNode: RouteSelection["exitNode"];
  readonly error: string | null; // the last failure to apply, until one succeeds
}

export interface RelayView {
  readonly url: string;
  readonly phase: string; // connecting, ready, error
  readonly text: string; // why not ready
  readonly rttMs: number | null;
  readonly packetsSent: number;
  readonly packetsReceived: number;
}

// Without a path layer (no NAT traversal): the device's endpoint is the path.
function devicePath(device: PeerStatus | undefined): PathView {
  if (device?.endpoint) return { path: "direct", endpoint: formatEndpoint(device.endpoint), relay: null, rttMs: null, pathReason: null };
  return { path: "none", endpoint: null, relay: null, rttMs: null, pathReason: "no address of this peer is known" };
}

export function buildNodeStatus(
  netmap: Netmap | null,
  devicePeers: readonly PeerStatus[],
  coordinator: NodeStatus["coordinator"],
  interfaceName: string,
  listenPort: number,
  pathOf: (nodeKey: string) => PathView | null = () => null,
  drops: Readonly<Record<string, number>> = {},
  relay: RelayView | null = null,
  routing?: RoutingView,
): NodeStatus {
  const byKey = new Map(devicePeers.map((peer) => [Buffer.from(peer.publicKey).toString("base64"), peer]));
  return {
    self: netmap === null ? null : {
      name: netmap.self.name,
      ipv4: netmap.self.ipv4,
      ipv6: netmap.self.ipv6,
      nodeKey: netmap.self.nodeKey,
      keyExpiresAt: netmap.self.keyExpiresAt,
    },
    coordinator,
    interfaceName,
    listenPort,
    drops,
    relay,
    ...(routing !== undefined ? { routing } : {}),
    peers: (netmap?.peers ?? [])
      .map((node) => {
        const device = byKey.get(node.nodeKey);
        return {
          name: node.name,
          nodeKey: node.nodeKey,
          ipv4: node.ipv4,
          ipv6: node.ipv6,
          ...(pathOf(node.nodeKey) ?? devicePath(device)),
          online: node.online,
          lastHandshakeAt: device?.lastHandshakeWallMs ?? null,
          handshakes: device?.handshakes ?? 0,
          rxBytes: device?.rxBytes ?? 0,
          txBytes: device?.txBytes ?? 0,
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatAge(since: number | null, now: number): string {
  if (since === null) return "never";
  const seconds = Math.max(0, Math.round((now - since) / 1000));
  if (seconds < 120) return `${seconds}s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m ago`;
  return `${Math.round(seconds / 3600)}h ago`;
}

function coordinatorLine(status: NodeStatus): string {
  const state = status.coordinator.state;
  switch (state.kind) {
    case "connected":
      return `connected to ${status.coordinator.url}`;
    case "connecting":
      return `connecting to ${status.coordinator.url}`;
    case "retrying":
      return `no answer from coordinator ${status.coordinator.url} (${state.error}); retrying, the mesh keeps running on the last netmap`;
    case "cut-off":
      return `cut off by the coordinator: ${state.error}`;
  }
}

// "direct 192.0.2.1:41641 (3 ms)", "relay tcp http://…", "-".
function formatPath(peer: PathView): string {
  const rtt = peer.rttMs === null ? "" : ` (${Math.round(peer.rttMs)} ms)`;
  if (peer.path === "direct") return `direct ${peer.endpoint ?? "?"}${rtt}`;
  if (peer.path === "relay") return `relay ${peer.relay ?? "?"}${rtt}`;
  return "-";
}

// A table readable at a glance.
export function formatNodeStatus(status: NodeStatus, now: number): string {
  const lines: string[] = [];
  const self = status.self;
  lines.push(self === null ? `meshgate: not joined yet (${coordinatorLine(status)})` : `${self.name}  ${self.ipv4}  ${self.ipv6}  — ${coordinatorLine(status)}`);
  if (status.peers.length === 0) {
    lines.push("no peers yet");
    if (status.routing !== undefined) lines.push("", ...routingLines(status.routing, self?.name ?? "this-node"));
    return lines.join("\n");
  }
  const rows = status.peers.map((peer) => [
    peer.name,
    peer.ipv4,
    formatPath(peer),
    formatAge(peer.lastHandshakeAt, now),
    formatBytes(peer.rxBytes),
    formatBytes(peer.txBytes),
    peer.online ? "online" : "offline",
  ]);
  const header = ["PEER", "MESH IP", "PATH", "HANDSHAKE", "RX", "TX", "STATE"];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const render = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd();
  lines.push("", render(header), ...rows.map(render));
  // Why a path is not direct, under the table: what a user can act on.
  const reasons = status.peers.filter((peer) => peer.online && peer.path !== "direct" && peer.pathReason !== null);
  if (reasons.length > 0) lines.push("", ...reasons.map((peer) => `${peer.name}: ${peer.path === "relay" ? "relayed" : "no path"} — ${peer.pathReason}`));
  if (status.routing !== undefined) {
    const routing = routingLines(status.routing, self?.name ?? "this-node");
    if (routing.length > 0) lines.push("", ...routing);
  }
  return lines.join("\n");
}

// The routing part of the text view: only what is set or in use, each line saying what to do
// when something waits on a person.
export function routingLines(routing: RoutingView, selfName: string): string[] {
  const lines: string[] = [];
  const meshPrefix = (route: string): string => route.split("=").at(-1)!;
  const advertised = routing.prefs.advertiseRoutes.map((route) => {
    const prefix = meshPrefix(route);
    const state = !routing.approvedRoutes.includes(prefix)
      ? `awaiting approval: meshgate routes approve ${selfName} ${prefix}`
      : routing.primaryRoutes.includes(prefix)
        ? "approved, primary"
        : "approved, standby: another router is primary";
    return `${route} (${state})`;
  });
  const indent = "\n             ";
  if (advertised.length > 0) lines.push(`advertising  ${advertised.join(indent)}${routing.prefs.snatSubnetRoutes ? "" : `${indent}(mesh source addresses kept: LAN hosts need a route back)`}`);
  if (routing.prefs.advertiseExitNode) {
    lines.push(`exit node    offered (${routing.exitNodeApproved ? "approved" : `awaiting approval: meshgate routes approve ${selfName} exit-node`})`);
  }
  const used = routing.subnetRoutes.map((route) => `${route.prefix} via ${route.via}${route.installed ? "" : ` — not used: ${route.reason}`}`);
  if (used.length > 0) lines.push(`routes       ${used.join(indent)}`);
  const exit = routing.exitNode;
  if (exit !== null) {
    const lan = routing.prefs.exitNodeAllowLanAccess ? " (the LAN stays reachable directly)" : "";
    const through = `${exit.name ?? exit.requested}${exit.ipv4 === null ? "" : ` (${exit.ipv4})`}`;
    const blocked = `blocked: ${exit.reason ?? `${through} is not in use`} (meshgate set --exit-node= goes straight out again)`;
    lines.push(`internet     ${exit.active && exit.online ? `through exit node ${through}${lan}` : blocked}`);
  }
  if (routing.error !== null) lines.push(`routing error: ${routing.error}`);
  return lines;
}
