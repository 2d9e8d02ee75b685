// A mesh node's connectivity: everything between its WireGuard device and the network that is
// not WireGuard itself. Sans-I/O (the node's glue, src/daemon/mesh-connectivity.ts, does the
// sockets and timers). It owns:
//   - the STUN prober (our public endpoint, whether the NAT maps per destination),
//   - the path manager (disco: which path each peer's packets take),
//   - one UDP relay client per peer relay in the netmap (at most MAX_UDP_RELAYS),
//   - what the node reports: its candidates (port-mapped, STUN-mapped, seen by peers, local)
//     and its NAT facts.
// The TCP relay connection is I/O with its own core (src/io/relay-connection.ts): this engine
// only hears whether it is ready and what came through it, and asks it to send.
//
// Flow of a datagram on the WireGuard socket (the packet loop's side channel): demux →
//   stun → prober; disco → path manager; relay frame → its UDP relay client → disco or
//   WireGuard (handed back for the device).
// Flow of a WireGuard datagram the device sends to a peer: route(peer) → direct: to the
//   endpoint; UDP relay: wrapped, to the relay; TCP relay: through the relay connection.

import type { CryptoCore } from "../dataplane/crypto-core.js";
import { formatEndpoint, parseIpEndpoint, type Endpoint } from "../net/endpoint.js";
import { decodeKey, encodeKey } from "../wireguard/key-base64.js";
import type { LocalIdentity } from "../wireguard/noise.js";
import type { RandomSource } from "../wireguard/random-source.js";
import type { X25519 } from "../wireguard/x25519.js";
import { classifyDatagram } from "./demux.js";
import { buildNetcheckReport, type NetcheckReport, type PortMappingSupport } from "./netcheck.js";
import { createPathManager, type Path, type PathAction, type PathManager } from "./path-manager.js";
import { createStunProber, type StunProber } from "./stun-client.js";
import { createUdpRelayClient, type UdpRelayClient, type UdpRelayClientAction } from "./udp-relay-client.js";
import { parseUdpRelayFrame } from "./udp-relay-protocol.js";

// At most this many peer relays are bound at once (the first in netmap order).
export const MAX_UDP_RELAYS = 4;
// Candidates reported, at most (the control protocol accepts 32).
export const MAX_CANDIDATES = 16;
// A direct path that stops answering may mean our own NAT mapping changed (a rebinding): STUN
// is asked again at once, at most this often, so the new mapping reaches peers (candidates in
// the next callMeMaybe and report) in seconds rather than at the next 20–26 s round.
export const STUN_AFTER_PATH_LOSS_MIN_MS = 5_000;

export interface ConnectivityDeps {
  readonly crypto: CryptoCore;
  readonly x25519: X25519;
  readonly random: RandomSource;
  readonly self: LocalIdentity;
  readonly log: (line: string) => void;
}

// A peer as the netmap describes it (the fields this engine reads).
export interface ConnectivityPeer {
  readonly nodeKey: string;
  readonly name: string;
  readonly endpoints: readonly string[];
  readonly mappingVariesByDestination: boolean | null;
  readonly relayPort: number | null;
}

export interface PortMapping {
  readonly protocol: "pcp" | "natpmp" | "upnp";
  readonly external: Endpoint;
}

export type ConnectivityAction =
  | { readonly type: "sendUdp"; readonly to: Endpoint; readonly datagram: Uint8Array }
  | { readonly type: "sendTcpRelay"; readonly to: Uint8Array; readonly datagram: Uint8Array }
  // A WireGuard datagram that came through a relay, from `from` as the relay says (the device
  // authenticates it); a copy the caller owns.
  | { readonly type: "wireguard"; readonly from: string; readonly datagram: Uint8Array }
  // The candidates or NAT facts changed: report them to the coordinator.
  | { readonly type: "reportChanged" }
  | { readonly type: "pathChanged"; readonly peer: string; readonly path: Path };

export interface OwnNatFacts {
  readonly udp: boolean | null;
  readonly mappingVariesByDestination: boolean | null;
  readonly portMapping: PortMapping["protocol"] | null;
}

export interface PeerPath {
  readonly path: Path;
  readonly reason: string | null;
  readonly relayName: string | null; // the UDP relay node's name, when one carries the path
}

export interface Connectivity {
  setLocalEndpoints(now: number, endpoints: readonly Endpoint[]): ConnectivityAction[];
  setStunServers(now: number, servers: readonly Endpoint[]): ConnectivityAction[];
  setPortMapping(now: number, mapping: PortMapping | null): ConnectivityAction[];
  setPeers(now: number, peers: readonly ConnectivityPeer[]): ConnectivityAction[];
  setTcpRelayReady(now: number, ready: boolean): ConnectivityAction[];
  // A datagram of the socket that is not WireGuard (`bytes` is read during the call only).
  handleDatagram(now: number, bytes: Uint8Array, from: Endpoint): ConnectivityAction[];
  handleTcpRelayPacket(now: number, from: Uint8Array, packet: Uint8Array): ConnectivityAction[];
  // A relay frame from a bound UDP relay that carries a WireGuard packet: where the packet sits
  // in `bytes` and whose it is, without a copy (the caller hands it to the device in its
  // batch). null for anything else — handleDatagram then takes the datagram.
  relayedWireGuard(now: number, bytes: Uint8Array, from: Endpoint): { readonly from: string; readonly offset: number; readonly length: number } | null;
  // Where a WireGuard datagram for `peerKey` goes now ([] when there is no path: dropped).
  sendWireGuard(now: number, peerKey: string, datagram: Uint8Array): ConnectivityAction[];
  // The same for the common case, without an action: the endpoint when the path is direct (the
  // datagram goes there as it is, and counts as sent), else null (then sendWireGuard).
  directWireGuard(now: number, peerKey: string): Endpoint | null;
  handleTick(now: number): ConnectivityAction[];
  nextDeadline(): number | null;
  candidates(): readonly Endpoint[];
  natFacts(): OwnNatFacts;
  peerPath(peerKey: string): PeerPath;
  // `portMapping`: which protocols the gateway answered (the port mapper's), null: not asked.
  netcheck(relays: readonly { readonly url: string; readonly rttMs: number | null }[], portMapping: PortMappingSupport | null): NetcheckReport;
  drops(): Readonly<Record<string, number>>;
}

interface BoundRelay {
  readonly key: string;
  readonly name: string;
  readonly client: UdpRelayClient;
}

const sameEndpoint = (a: Endpoint, b: Endpoint): boolean => a.host === b.host && a.port === b.port;

// A loopback address is no candidate: a peer would be talking to itself (a node beside its
// coordinator asks STUN at 127.0.0.1 and is told 127.0.0.1).
const isLoopback = (endpoint: Endpoint): boolean => endpoint.host === "::1" || endpoint.host.startsWith("127.");

function unique(endpoints: readonly Endpoint[]): Endpoint[] {
  const seen = new Set<string>();
  return endpoints.filter((endpoint) => {
    if (isLoopback(endpoint)) return false;
    const text = formatEndpoint(endpoint);
    if (seen.has(text)) return false;
    seen.add(text);
    return true;
  });
}

export function createConnectivity(deps: ConnectivityDeps): Connectivity {
  const paths: PathManager = createPathManager({ crypto: deps.crypto, x25519: deps.x25519, random: deps.random, self: deps.self, log: deps.log });
  const stun: StunProber = createStunProber({ random: deps.random });
  const relays = new Map<string, BoundRelay>();
  const drops = new Map<string, number>();
  let local: readonly Endpoint[] = [];
  let mapping: PortMapping | null = null;
  let tcpReady = false;
  let reported = "";
  let stunRound = 0;
  let stunServers: readonly Endpoint[] = [];
  let stunRestartedAt = -Infinity;
  const directPeers = new Set<string>(); // bounded by the netmap: entries go with their peer

  const drop = (reason: string): void => void drops.set(reason, (drops.get(reason) ?? 0) + 1);

  const stunReport = (): NetcheckReport => buildNetcheckReport({ stun: stun.result() });

  const candidates = (): Endpoint[] => {
    const mapped = (stun.result()?.servers ?? []).flatMap((server) => (server.state === "mapped" ? [server.mapped] : []));
    return unique([...(mapping === null ? [] : [mapping.external]), ...mapped, ...paths.observedEndpoints(), ...local]).slice(0, MAX_CANDIDATES);
  };

  const natFacts = (): OwnNatFacts => {
    const report = stunReport();
    return { udp: stun.result() === null ? null : report.udp, mappingVariesByDestination: report.mappingVariesByDestination, portMapping: mapping?.protocol ?? null };
  };

  // Tells the path manager our candidates and facts, and the node to report, when they changed.
  const ownChanged = (now: number): ConnectivityAction[] => {
    const list = candidates();
    const facts = natFacts();
    const text = JSON.stringify([list.map(formatEndpoint), facts]);
    if (text === reported) return [];
    reported = text;
    return [...fromPaths(now, paths.setOwnCandidates(now, list, { mappingVariesByDestination: facts.mappingVariesByDestination === true })), { type: "reportChanged" }];
  };

  const relaySet = (now: number): ConnectivityAction[] => {
    const udp = [...relays.values()].filter((relay) => relay.client.status(now).phase === "bound").map((relay) => ({ relay: relay.client.relay, relayKey: relay.key }));
    return fromPaths(now, paths.setRelays(now, { tcp: tcpReady, udp }));
  };

  function fromRelay(now: number, relay: BoundRelay, actions: readonly UdpRelayClientAction[]): ConnectivityAction[] {
    const out: ConnectivityAction[] = [];
    for (const action of actions) {
      if (action.kind === "send") {
        out.push({ type: "sendUdp", to: relay.client.relay, datagram: action.bytes });
        continue;
      }
      const from = encodeKey(action.from);
      const kind = classifyDatagram(action.packet);
      if (kind === "disco") out.push(...fromPaths(now, paths.handleDisco(now, action.packet, { kind: "udp-relay", relay: relay.client.relay, from })));
      else if (kind === "wireguard") {
        out.push(...fromPaths(now, paths.heardViaUdpRelay(now, from, relay.key)));
        out.push({ type: "wireguard", from, datagram: action.packet.slice() });
      }
      else drop("relayedNotWireGuardOrDisco");
    }
    return out;
  }

  function fromPaths(now: number, actions: readonly PathAction[]): ConnectivityAction[] {
    const out: ConnectivityAction[] = [];
    for (const action of actions) {
      switch (action.type) {
        case "sendUdp":
          out.push({ type: "sendUdp", to: action.to, datagram: action.datagram });
          break;
        case "sendViaTcpRelay": {
          const to = decodeKey(action.to);
          if (to !== null && tcpReady) out.push({ type: "sendTcpRelay", to, datagram: action.datagram });
          else drop("tcpRelayNotReady");
          break;
        }
        case "sendViaUdpRelay": {
          const relay = [...relays.values()].find((candidate) => sameEndpoint(candidate.client.relay, action.relay));
          const to = decodeKey(action.to);
          const wrapped = relay === undefined || to === null ? null : relay.client.wrap(now, to, action.datagram);
          if (wrapped !== null) out.push({ type: "sendUdp", to: action.relay, datagram: wrapped });
          else drop("udpRelayNotBound");
          break;
        }
        case "pathChanged": {
          out.push({ type: "pathChanged", peer: action.peer, path: action.path });
          const direct = action.path.kind === "direct";
          if (direct) directPeers.add(action.peer);
          else if (directPeers.delete(action.peer)) out.push(...restartStun(now));
          break;
        }
        case "observedEndpoints":
          out.push(...ownChanged(now));
          break;
      }
    }
    return out;
  }

  function restartStun(now: number): ConnectivityAction[] {
    if (stunServers.length === 0 || now - stunRestartedAt < STUN_AFTER_PATH_LOSS_MIN_MS) return [];
    stunRestartedAt = now;
    return stun.start(now, stunServers).map((datagram) => ({ type: "sendUdp", to: datagram.to, datagram: datagram.bytes }));
  }

  // The relay endpoints of the netmap's peer relays: a relay node listens on its relay port at
  // the address of its most preferred candidate (port-mapped or STUN-mapped: reachable).
  const peerRelays = (peers: readonly ConnectivityPeer[]): { key: string; name: string; endpoint: Endpoint }[] =>
    peers
      .filter((peer) => peer.relayPort !== null && peer.nodeKey !== encodeKey(deps.self.publicKey))
      .flatMap((peer) => {
        const first = peer.endpoints.map(parseIpEndpoint).find((endpoint) => endpoint !== null);
        return first ? [{ key: peer.nodeKey, name: peer.name, endpoint: { host: first.host, port: peer.relayPort! } }] : [];
      })
      .slice(0, MAX_UDP_RELAYS);

  return {
    setLocalEndpoints(now, endpoints) {
      local = unique(endpoints);
      return ownChanged(now);
    },

    setStunServers(now, servers) {
      stunServers = [...servers];
      if (servers.length === 0) {
        stun.stop();
        return ownChanged(now);
      }
      return stun.start(now, servers).map((datagram) => ({ type: "sendUdp", to: datagram.to, datagram: datagram.bytes }));
    },

    setPortMapping(now, next) {
      mapping = next;
      return ownChanged(now);
    },

    setPeers(now, peers) {
      const out = fromPaths(
        now,
        paths.setPeers(
          now,
          peers.flatMap((peer) => {
            const publicKey = decodeKey(peer.nodeKey);
            if (publicKey === null) return [];
            const candidateList = peer.endpoints.map(parseIpEndpoint).filter((endpoint): endpoint is Endpoint => endpoint !== null);
            return [{ publicKey, candidates: candidateList, ...(peer.mappingVariesByDestination === true ? { mappingVariesByDestination: true } : {}) }];
          }),
        ),
      );
      for (const key of [...directPeers]) if (!peers.some((peer) => peer.nodeKey === key)) directPeers.delete(key);
      const wanted = peerRelays(peers);
      for (const [key, relay] of relays) {
        if (!wanted.some((w) => w.key === key && sameEndpoint(w.endpoint, relay.client.relay))) {
          relay.client.stop();
          relays.delete(key);
        }
      }
      for (const want of wanted) {
        if (relays.has(want.key)) continue;
        const relayKey = decodeKey(want.key);
        if (relayKey === null) continue;
        const relay: BoundRelay = { key: want.key, name: want.name, client: createUdpRelayClient({ identity: deps.self, relayKey, relay: want.endpoint, x25519: deps.x25519 }) };
        relays.set(want.key, relay);
        out.push(...fromRelay(now, relay, relay.client.start(now)));
      }
      return [...out, ...relaySet(now)];
    },

    setTcpRelayReady(now, ready) {
      if (ready === tcpReady) return [];
      tcpReady = ready;
      return relaySet(now);
    },

    handleDatagram(now, bytes, from) {
      switch (classifyDatagram(bytes)) {
        case "stun":
          if (!stun.handleResponse(now, bytes, from)) drop("stunIgnored");
          return [];
        case "disco":
          return fromPaths(now, paths.handleDisco(now, bytes, { kind: "udp", from }));
        case "relay": {
          const relay = [...relays.values()].find((candidate) => sameEndpoint(candidate.client.relay, from));
          if (relay === undefined) {
            drop("relayFrameFromStranger");
            return [];
          }
          const bound = relay.client.status(now).phase === "bound";
          const out = fromRelay(now, relay, relay.client.handle(now, bytes, from));
          return bound === (relay.client.status(now).phase === "bound") ? out : [...out, ...relaySet(now)];
        }
        default:
          drop("unknownDatagram");
          return [];
      }
    },

    relayedWireGuard(now, bytes, from) {
      if (classifyDatagram(bytes) !== "relay") return null;
      const relay = [...relays.values()].find((candidate) => sameEndpoint(candidate.client.relay, from));
      if (relay === undefined || relay.client.status(now).phase !== "bound") return null;
      // Looked at first, so a frame this path does not take is handled once, by handleDatagram.
      const frame = parseUdpRelayFrame(bytes);
      if (frame?.type !== "recv" || classifyDatagram(frame.packet) !== "wireguard") return null;
      const actions = relay.client.handle(now, bytes, from);
      const packet = actions.length === 1 && actions[0]!.kind === "packet" ? actions[0]! : null;
      if (packet === null) return null;
      const peer = encodeKey(packet.from);
      paths.heardViaUdpRelay(now, peer, relay.key);
      return { from: peer, offset: packet.packet.byteOffset - bytes.byteOffset, length: packet.packet.length };
    },

    handleTcpRelayPacket(now, from, packet) {
      const kind = classifyDatagram(packet);
      if (kind === "disco") return fromPaths(now, paths.handleDisco(now, packet, { kind: "tcp-relay", from: encodeKey(from) }));
      if (kind === "wireguard") return [{ type: "wireguard", from: encodeKey(from), datagram: packet.slice() }];
      drop("relayedNotWireGuardOrDisco");
      return [];
    },

    directWireGuard(now, peerKey) {
      const endpoint = paths.directEndpoint(peerKey);
      if (endpoint !== null) paths.onDataSent(now, peerKey);
      return endpoint;
    },

    sendWireGuard(now, peerKey, datagram) {
      paths.onDataSent(now, peerKey);
      const path = paths.route(peerKey);
      switch (path.kind) {
        case "direct":
        case "unconfirmed":
          return [{ type: "sendUdp", to: path.endpoint, datagram }];
        case "udp-relay": {
          const relay = relays.get(path.relayKey);
          const to = decodeKey(peerKey);
          const wrapped = relay === undefined || to === null ? null : relay.client.wrap(now, to, datagram);
          if (wrapped !== null) return [{ type: "sendUdp", to: path.relay, datagram: wrapped }];
          drop("udpRelayNotBound");
          return [];
        }
        case "tcp-relay": {
          const to = decodeKey(peerKey);
          if (to !== null && tcpReady) return [{ type: "sendTcpRelay", to, datagram: datagram.slice() }];
          drop("tcpRelayNotReady");
          return [];
        }
        case "none":
          drop("noPath");
          return [];
      }
    },

    handleTick(now) {
      const out: ConnectivityAction[] = stun.handleTick(now).map((datagram) => ({ type: "sendUdp", to: datagram.to, datagram: datagram.bytes }));
      const round = stun.result()?.round ?? 0;
      if (round !== stunRound) {
        stunRound = round;
        out.push(...ownChanged(now));
      }
      let relaysChanged = false;
      for (const relay of relays.values()) {
        const deadline = relay.client.nextDeadline();
        if (deadline === null || deadline > now) continue;
        const bound = relay.client.status(now).phase === "bound";
        out.push(...fromRelay(now, relay, relay.client.tick(now)));
        relaysChanged ||= bound !== (relay.client.status(now).phase === "bound");
      }
      if (relaysChanged) out.push(...relaySet(now));
      out.push(...fromPaths(now, paths.handleTick(now)));
      return out;
    },

    nextDeadline() {
      const deadlines = [stun.nextDeadline(), paths.nextDeadline(), ...[...relays.values()].map((relay) => relay.client.nextDeadline())];
      return deadlines.reduce<number | null>((soonest, deadline) => (deadline !== null && (soonest === null || deadline < soonest) ? deadline : soonest), null);
    },

    candidates,
    natFacts,

    peerPath(peerKey) {
      const status = paths.status(peerKey);
      const relayName = status.path.kind === "udp-relay" ? (relays.get(status.path.relayKey)?.name ?? null) : null;
      return { path: status.path, reason: status.reason, relayName };
    },

    netcheck(relayLatencies, portMapping) {
      return buildNetcheckReport({ stun: stun.result(), portMapping, relays: [...relayLatencies] });
    },

    drops: () => ({ ...Object.fromEntries(drops), ...Object.fromEntries(Object.entries(paths.drops()).filter(([, count]) => count > 0)) }),
  };
}
