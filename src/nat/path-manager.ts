// Path discovery for every peer of the netmap: owns the disco keys and one PeerPathState per
// peer, takes netmap, relay and disco events with `now`, and returns what to send. route() says
// where a peer's WireGuard packets go now. Sans-I/O like src/wireguard: the caller arms one
// timer for nextDeadline() and calls handleTick() then.
//
// Event flow:
//   1. setPeers / setOwnCandidates / setRelays: configuration from the netmap, STUN, relays.
//   2. handleDisco: a disco datagram from the socket or a relay → opened (keyring), checked
//      against its carrier, handed to the peer's state; pongs also tell us our own endpoint.
//   3. onDataSent: the packet loop sent WireGuard data to a peer (probing runs while it does).
//   4. handleTick: timers (heartbeats, probes, trust expiry) of the peers that are due.
// Each step returns sends and a pathChanged for every peer whose route() changed.

import type { CryptoCore } from "../dataplane/crypto-core.js";
import { formatEndpoint, type Endpoint } from "../net/endpoint.js";
import { encodeKey } from "../wireguard/key-base64.js";
import type { LocalIdentity } from "../wireguard/noise.js";
import type { RandomSource } from "../wireguard/random-source.js";
import type { X25519 } from "../wireguard/x25519.js";
import { canonicalEndpoint, DISCO_MAX_ENDPOINTS } from "./disco.js";
import { createDiscoKeyring, DISCO_DROP_REASONS, type DiscoDropReason } from "./disco-keyring.js";
import { pathReason, RECENT_PING_MS } from "./path-reason.js";
import type { DiscoVia, Path, PathAction, RelaySet } from "./path-actions.js";
import { PeerPathState, type PathContext, type PathDropReason } from "./path-state.js";
import { MAX_OBSERVED_ENDPOINTS } from "./path-timing.js";

export type { DiscoVia, Path, PathAction, RelaySet } from "./path-actions.js";

export interface PathManagerDeps {
  readonly crypto: CryptoCore;
  readonly x25519: X25519;
  readonly random: RandomSource;
  readonly self: LocalIdentity;
  readonly log?: (line: string) => void;
}

export interface PeerCandidates {
  readonly publicKey: Uint8Array;
  readonly candidates: readonly Endpoint[]; // most preferred first, as the netmap lists them
  // The peer's NAT maps a new port per destination (its netcheck, via the netmap).
  readonly mappingVariesByDestination?: boolean;
}

export interface PathStatus {
  readonly path: Path;
  readonly reason: string | null; // why not direct, in words; null when direct
  readonly lastPongAt: number | null;
}

export type PathManagerDropReason = DiscoDropReason | PathDropReason | "relaySourceMismatch";

export interface PathManager {
  setPeers(now: number, peers: readonly PeerCandidates[]): PathAction[];
  setOwnCandidates(now: number, endpoints: readonly Endpoint[], facts?: { readonly mappingVariesByDestination?: boolean }): PathAction[];
  setRelays(now: number, relays: RelaySet): PathAction[];
  handleDisco(now: number, bytes: Uint8Array, via: DiscoVia): PathAction[];
  route(publicKey: Uint8Array | string): Path;
  // route()'s endpoint when it is "direct", else null; makes nothing (the per-packet case).
  directEndpoint(publicKey: Uint8Array | string): Endpoint | null;
  onDataSent(now: number, publicKey: Uint8Array | string): void;
  // A WireGuard packet of this peer came through the UDP relay `relayKey` (the peer is bound
  // there: the relay can carry our packets to it). Disco packets through it count by themselves.
  heardViaUdpRelay(now: number, publicKey: Uint8Array | string, relayKey: string): PathAction[];
  handleTick(now: number): PathAction[];
  nextDeadline(): number | null;
  status(publicKey: Uint8Array | string): PathStatus;
  // Our endpoints as peers saw them in pongs, most recent first (candidates to report).
  observedEndpoints(): readonly Endpoint[];
  drops(): Readonly<Record<PathManagerDropReason, number>>;
}

const NO_PATH: Path = { kind: "none" };

function pathId(path: Path): string {
  switch (path.kind) {
    case "direct":
    case "unconfirmed":
      return `${path.kind} ${formatEndpoint(path.endpoint)}`;
    case "udp-relay":
      return `${path.kind} ${formatEndpoint(path.relay)} ${path.relayKey}`;
    default:
      return path.kind;
  }
}

export function createPathManager(deps: PathManagerDeps): PathManager {
  const keyring = createDiscoKeyring(deps);
  const selfKey = encodeKey(deps.self.publicKey);
  const peers = new Map<string, PeerPathState>();
  const observed = new Map<string, Endpoint>(); // oldest first
  const pathDrops: Record<PathDropReason | "relaySourceMismatch", number> = {
    replayedPing: 0,
    unexpectedPong: 0,
    relayedPingOrPong: 0,
    callMeMaybeTooSoon: 0,
    relaySourceMismatch: 0,
  };
  let relays: RelaySet = { tcp: false, udp: [] };
  let ownCandidates: Endpoint[] = [];
  let ownMappingVaries = false;
  let pingsSent = 0;
  let anyPong = false;
  let lastNow = 0;
  // The earliest cached peer deadline, or stale (recomputed from the cached values on demand).
  let earliest: number | null = null;
  let earliestStale = false;

  const context: PathContext = {
    keyring,
    random: deps.random,
    relays: () => relays,
    callMeMaybeEndpoints: () => {
      const all = new Map<string, Endpoint>();
      for (const endpoint of [...ownCandidates, ...[...observed.values()].reverse()]) all.set(formatEndpoint(endpoint), endpoint);
      return [...all.values()].slice(0, DISCO_MAX_ENDPOINTS);
    },
    drop: (reason) => void pathDrops[reason]++,
    pingSent: () => void pingsSent++,
  };

  const keyOf = (publicKey: Uint8Array | string): string => (typeof publicKey === "string" ? publicKey : encodeKey(publicKey));

  // Recomputes one peer's deadline and keeps `earliest` right without a scan where it can.
  const refresh = (state: PeerPathState, now: number): void => {
    const before = state.cachedDeadline;
    const after = state.deadline(now);
    state.cachedDeadline = after;
    if (earliestStale) return;
    if (after !== null && (earliest === null || after < earliest)) earliest = after;
    else if (before !== null && before === earliest && after !== before) earliestStale = true;
  };

  // A pathChanged action for `state` if its route moved since last reported.
  const reportPath = (state: PeerPathState, actions: PathAction[]): void => {
    const path = state.path(relays, lastNow);
    const id = pathId(path);
    if (state.reportedPath === id) return;
    state.reportedPath = id;
    actions.push({ type: "pathChanged", peer: state.peer, path });
    deps.log?.(`path to ${state.peer.slice(0, 8)}…: ${id}${path.kind === "direct" ? ` (${path.rttMs} ms)` : ""}`);
  };

  const noteObserved = (endpoint: Endpoint, actions: PathAction[]): void => {
    const canonical = canonicalEndpoint(endpoint);
    if (canonical === null) return;
    const key = formatEndpoint(canonical);
    const known = observed.delete(key);
    observed.set(key, canonical);
    if (observed.size > MAX_OBSERVED_ENDPOINTS) observed.delete(observed.keys().next().value!);
    if (!known) actions.push({ type: "observedEndpoints", endpoints: [...observed.values()].reverse() });
  };

  return {
    setPeers(now, list) {
      lastNow = now;
      const actions: PathAction[] = [];
      const wanted = new Map<string, PeerCandidates>();
      for (const peer of list) {
        const key = encodeKey(peer.publicKey);
        if (key !== selfKey) wanted.set(key, peer);
      }
      for (const key of [...peers.keys()]) {
        if (wanted.has(key)) continue;
        peers.delete(key);
        keyring.remove(key);
        earliestStale = true;
      }
      for (const [key, peer] of wanted) {
        let state = peers.get(key);
        if (state === undefined) {
          keyring.add(peer.publicKey);
          state = new PeerPathState(key, context);
          peers.set(key, state);
        }
        state.mappingVariesByDestination = peer.mappingVariesByDestination ?? false;
        state.setNetmapCandidates(now, peer.candidates);
        refresh(state, now);
        reportPath(state, actions);
      }
      return actions;
    },

    setOwnCandidates(now, endpoints, facts = {}) {
      lastNow = now;
      ownCandidates = endpoints.flatMap((endpoint) => canonicalEndpoint(endpoint) ?? []).slice(0, DISCO_MAX_ENDPOINTS);
      ownMappingVaries = facts.mappingVariesByDestination ?? false;
      return [];
    },

    setRelays(now, next) {
      lastNow = now;
      relays = { tcp: next.tcp, udp: [...next.udp] };
      const actions: PathAction[] = [];
      for (const state of peers.values()) reportPath(state, actions);
      return actions;
    },

    handleDisco(now, bytes, via) {
      lastNow = now;
      const opened = keyring.open(bytes);
      if (opened === null) return [];
      if (via.kind !== "udp" && via.from !== opened.sender) {
        pathDrops.relaySourceMismatch++;
        return [];
      }
      const state = peers.get(opened.sender)!; // the keyring knows only our peers
      if (via.kind === "udp-relay") {
        const relay = relays.udp.find((bound) => bound.relay.host === via.relay.host && bound.relay.port === via.relay.port);
        if (relay !== undefined) state.heardViaUdpRelay(now, relay.relayKey);
      }
      const { actions, observed: seen } = state.handleMessage(now, opened.message, via.kind === "udp" ? via.from : "relay");
      if (seen !== null) {
        anyPong = true;
        noteObserved(seen, actions);
      }
      refresh(state, now);
      reportPath(state, actions);
      return actions;
    },

    route(publicKey) {
      return peers.get(keyOf(publicKey))?.path(relays, lastNow) ?? NO_PATH;
    },

    directEndpoint: (publicKey) => peers.get(keyOf(publicKey))?.directEndpoint() ?? null,

    onDataSent(now, publicKey) {
      lastNow = now;
      const state = peers.get(keyOf(publicKey));
      if (state === undefined) return;
      state.lastDataSentAt = now;
      // Only a peer whose probes or heartbeats waited for activity can have an earlier deadline.
      if (state.waitsForActivity) refresh(state, now);
    },

    heardViaUdpRelay(now, publicKey, relayKey) {
      lastNow = now;
      const state = peers.get(keyOf(publicKey));
      if (state === undefined) return [];
      state.heardViaUdpRelay(now, relayKey);
      const actions: PathAction[] = [];
      reportPath(state, actions);
      return actions;
    },

    handleTick(now) {
      lastNow = now;
      const actions: PathAction[] = [];
      for (const state of peers.values()) {
        if (state.cachedDeadline === null || state.cachedDeadline > now) continue;
        actions.push(...state.tick(now));
        refresh(state, now);
        reportPath(state, actions);
      }
      return actions;
    },

    nextDeadline() {
      if (earliestStale) {
        earliest = null;
        for (const state of peers.values()) {
          const at = state.cachedDeadline;
          if (at !== null && (earliest === null || at < earliest)) earliest = at;
        }
        earliestStale = false;
      }
      return earliest;
    },

    status(publicKey) {
      const state = peers.get(keyOf(publicKey));
      const path = state?.path(relays, lastNow) ?? NO_PATH;
      let peersProbed = 0;
      for (const other of peers.values()) if (other.probes > 0) peersProbed++;
      const reason = pathReason({
        known: state !== undefined,
        usableKey: state !== undefined && keyring.usable(state.peer),
        direct: path.kind === "direct",
        candidates: state?.candidates.size ?? 0,
        probes: state?.probes ?? 0,
        probesSinceLastPong: state?.probesSinceLastPong ?? 0,
        everPonged: state?.lastPongAt != null,
        pingedUsRecently: state?.lastPingReceivedAt != null && lastNow - state.lastPingReceivedAt < RECENT_PING_MS,
        anyPongFromAnyone: anyPong,
        pingsSent,
        peersProbed,
        bothMappingsVary: ownMappingVaries && state?.mappingVariesByDestination === true,
        relayUsable: relays.tcp || relays.udp.length > 0,
      });
      return { path, reason, lastPongAt: state?.lastPongAt ?? null };
    },

    observedEndpoints: () => [...observed.values()].reverse(),

    drops() {
      const disco = keyring.drops();
      const all = { ...pathDrops } as Record<PathManagerDropReason, number>;
      for (const reason of DISCO_DROP_REASONS) all[reason] = disco[reason];
      return all;
    },
  };
}
