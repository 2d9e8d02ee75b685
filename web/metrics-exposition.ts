// The /metrics answer in Prometheus' text exposition format (version 0.0.4), written by hand:
// a few families, no dependency. Counters end in _total, units are in the names (bytes,
// seconds), label values are escaped as the format says (\\, \", \n).
//
// Families: per-peer bytes received and sent and seconds since the last handshake (a peer with
// none yet has no sample), packets dropped by reason, and on a coordinator the nodes it knows
// and how many are online.

import type { NodeStatus, NodeView } from "./admin-views.js";

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Readonly<Record<string, string>>;

const escapeLabel = (value: string): string => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

function sample(name: string, labels: Labels, value: number): string {
  const pairs = Object.entries(labels).map(([key, text]) => `${key}="${escapeLabel(text)}"`);
  return `${name}${pairs.length === 0 ? "" : `{${pairs.join(",")}}`} ${Number.isFinite(value) ? value : "NaN"}`;
}

function family(name: string, type: "counter" | "gauge", help: string, samples: readonly string[]): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples];
}

export function renderMetrics(status: NodeStatus | null, nodes: readonly NodeView[] | null, now: number): string {
  const lines: string[] = [];
  const peers = status?.peers ?? [];
  const peerLabels = (peer: (typeof peers)[number]): Labels => ({ peer: peer.name, mesh_ipv4: peer.ipv4 });
  lines.push(...family("meshgate_node_up", "gauge", "Whether a mesh node runs on this appliance.", [sample("meshgate_node_up", {}, status === null ? 0 : 1)]));
  if (status !== null) {
    lines.push(
      ...family("meshgate_peer_receive_bytes_total", "counter", "Bytes received from the peer through the tunnel.", peers.map((peer) => sample("meshgate_peer_receive_bytes_total", peerLabels(peer), peer.rxBytes))),
      ...family("meshgate_peer_transmit_bytes_total", "counter", "Bytes sent to the peer through the tunnel.", peers.map((peer) => sample("meshgate_peer_transmit_bytes_total", peerLabels(peer), peer.txBytes))),
      ...family(
        "meshgate_peer_last_handshake_age_seconds",
        "gauge",
        "Seconds since the last completed handshake with the peer.",
        peers.flatMap((peer) => (peer.lastHandshakeAt === null ? [] : [sample("meshgate_peer_last_handshake_age_seconds", peerLabels(peer), Math.max(0, (now - peer.lastHandshakeAt) / 1000))])),
      ),
      ...family("meshgate_peer_handshakes_total", "counter", "Handshakes completed with the peer since the node started.", peers.map((peer) => sample("meshgate_peer_handshakes_total", peerLabels(peer), peer.handshakes))),
      ...family(
        "meshgate_dropped_packets_total",
        "counter",
        "Packets dropped, by reason.",
        Object.entries(status.drops).map(([reason, count]) => sample("meshgate_dropped_packets_total", { reason }, count)),
      ),
    );
  }
  if (nodes !== null) {
    lines.push(
      ...family("meshgate_coordinator_nodes", "gauge", "Nodes registered with this coordinator.", [sample("meshgate_coordinator_nodes", {}, nodes.length)]),
      ...family("meshgate_coordinator_nodes_online", "gauge", "Nodes of this coordinator that are online.", [sample("meshgate_coordinator_nodes_online", {}, nodes.filter((node) => node.online).length)]),
    );
  }
  return `${lines.join("\n")}\n`;
}
