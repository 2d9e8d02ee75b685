// What the path manager hands the packet loop: where a peer's packets go (Path) and what to
// send or report (PathAction). Types only; path-state.ts and path-manager.ts make them.

import type { Endpoint } from "../net/endpoint.js";

export type Path =
  | { readonly kind: "direct"; readonly endpoint: Endpoint; readonly rttMs: number }
  | { readonly kind: "udp-relay"; readonly relay: Endpoint; readonly relayKey: string }
  | { readonly kind: "tcp-relay" }
  // No relay is usable and no endpoint answers: send to the likeliest endpoint anyway (the
  // last that answered, else the netmap's first), so a mesh without relays still works as it
  // did before NAT traversal (peers on one LAN, or with public addresses).
  | { readonly kind: "unconfirmed"; readonly endpoint: Endpoint }
  | { readonly kind: "none" };

// Datagrams are sealed disco packets the caller owns (fresh arrays, never reused).
export type PathAction =
  | { readonly type: "sendUdp"; readonly to: Endpoint; readonly datagram: Uint8Array }
  | { readonly type: "sendViaTcpRelay"; readonly to: string; readonly datagram: Uint8Array } // to: node key, base64
  | { readonly type: "sendViaUdpRelay"; readonly relay: Endpoint; readonly to: string; readonly datagram: Uint8Array }
  | { readonly type: "pathChanged"; readonly peer: string; readonly path: Path }
  // Our own endpoints as peers see them (from pongs), most recent first, whenever a new one
  // appears: candidates for the node to report.
  | { readonly type: "observedEndpoints"; readonly endpoints: readonly Endpoint[] };

// The relays usable now, most preferred UDP relay first.
export interface RelaySet {
  readonly tcp: boolean;
  readonly udp: readonly { readonly relay: Endpoint; readonly relayKey: string }[];
}

// How a disco datagram arrived: from the socket (with its source), or through a relay (with the
// source node key the relay vouches for).
export type DiscoVia =
  | { readonly kind: "udp"; readonly from: Endpoint }
  | { readonly kind: "tcp-relay"; readonly from: string }
  | { readonly kind: "udp-relay"; readonly relay: Endpoint; readonly from: string };
