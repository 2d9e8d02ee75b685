// "Why not direct", in words a user can act on (`meshgate status`'s pathReason), composed from
// what the path manager knows. The first cause that applies wins; the relay situation is added.

import { TRUST_AFTER_PONG_MS } from "./path-timing.js";

// A ping from the peer this recent means inbound UDP from it works now.
export const RECENT_PING_MS = 60_000;

export interface PathFacts {
  readonly known: boolean;
  readonly usableKey: boolean;
  readonly direct: boolean;
  readonly candidates: number;
  readonly probes: number;
  readonly probesSinceLastPong: number;
  readonly everPonged: boolean;
  readonly pingedUsRecently: boolean;
  // Across all peers: has any pong ever come back, and how many pings to how many peers.
  readonly anyPongFromAnyone: boolean;
  readonly pingsSent: number;
  readonly peersProbed: number;
  // Both this node and the peer map to a new port per destination (from STUN: netcheck here,
  // the netmap there). Hole punching between two such NATs fails without a port mapping.
  readonly bothMappingsVary: boolean;
  readonly relayUsable: boolean;
}

export function pathReason(facts: PathFacts): string | null {
  if (!facts.known) return "not a peer in the netmap";
  if (facts.direct) return null;
  const cause = firstCause(facts);
  return facts.relayUsable ? cause : `${cause}; no relay is usable either`;
}

function firstCause(facts: PathFacts): string {
  const endpoints = plural(facts.candidates, "endpoint");
  const probes = plural(facts.probesSinceLastPong, "probe");
  if (!facts.usableKey) return "its node key is a low-order point: no disco key exists, so no direct path can be confirmed";
  if (facts.candidates === 0) return "no endpoints known for it: it reported none and has not pinged us";
  if (facts.bothMappingsVary) return "both ends are behind NATs that change the port per destination: a direct path needs a port mapping (UPnP, NAT-PMP, PCP) on one end";
  if (facts.probes === 0) return "not probed yet: paths are probed while traffic flows to the peer";
  if (facts.everPonged && facts.probesSinceLastPong === 0) {
    return `idle: its last pong is older than ${TRUST_AFTER_PONG_MS / 1000} s, and paths are probed only while traffic flows`;
  }
  if (!facts.anyPongFromAnyone) {
    return `no pong from any peer yet (${plural(facts.pingsSent, "ping")} to ${plural(facts.peersProbed, "peer")}): UDP may be blocked on this network`;
  }
  if (facts.pingedUsRecently) {
    return `its pings reach us, but none of its ${endpoints} answered ours in ${probes}: a firewall or NAT lets UDP through one way only`;
  }
  if (facts.everPonged) return `its ${endpoints} stopped answering: no pong in the last ${probes}`;
  return `no pong from any of its ${endpoints} in ${probes}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
