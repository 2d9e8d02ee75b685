// A node's binding at one UDP peer relay, sans I/O (frames in udp-relay-protocol.ts). Its
// datagrams share the node's WireGuard socket (demux.ts tells them apart by the magic), so the
// relay sees the node's one public mapping; the adapter sends what this returns to the relay's
// endpoint and hands it the "relay" datagrams that come from there.
//
//   1. bind → challenge(cookie) → bindConfirm(key, cookie, MAC(pair key, cookie)) → bound(30 s).
//      No answer: bind again after 1 s, 2 s, 4 s … 10 s.
//   2. Bound: wrap(destination, packet) makes a send frame; recv frames become packets.
//   3. Re-bind every 20 s (within the 30 s lifetime, so a lost round trip or two costs nothing).
//      A binding that ran out without renewal stops wrap() until the next bound.
//
// Nothing the relay says is authenticated: a forged challenge or bound costs at most a round
// trip (the relay checks the proof; we re-bind on schedule), and a received packet is
// WireGuard or disco, which authenticate themselves.

import type { Endpoint } from "../net/endpoint.js";
import type { X25519 } from "../wireguard/x25519.js";
import { relayPairKey, relayProof, UDP_RELAY_LABEL } from "./relay-proof.js";
import { encodeBind, encodeBindConfirm, encodeUdpSend, parseUdpRelayFrame } from "./udp-relay-protocol.js";

export interface UdpRelayClientLimits {
  readonly rebindEveryMs: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
}

export const DEFAULT_UDP_RELAY_CLIENT_LIMITS: UdpRelayClientLimits = {
  rebindEveryMs: 20_000,
  retryInitialMs: 1_000,
  retryMaxMs: 10_000,
};

export interface UdpRelayClientDeps {
  readonly identity: { readonly privateKey: Uint8Array; readonly publicKey: Uint8Array };
  // The relay node's key and its relay endpoint (from the netmap).
  readonly relayKey: Uint8Array;
  readonly relay: Endpoint;
  readonly x25519: X25519;
  readonly limits?: Partial<UdpRelayClientLimits>;
}

export type UdpRelayClientAction =
  // Send `bytes` to the relay's endpoint (from the WireGuard socket).
  | { readonly kind: "send"; readonly bytes: Uint8Array }
  // A packet relayed from `from` (views into the datagram).
  | { readonly kind: "packet"; readonly from: Uint8Array; readonly packet: Uint8Array };

export interface UdpRelayClientCounters {
  binds: number;
  bound: number;
  packetsSent: number;
  packetsReceived: number;
  notFromRelay: number;
  malformed: number;
  droppedNotBound: number;
}

export interface UdpRelayClientStatus {
  readonly phase: "binding" | "bound" | "error" | "stopped";
  readonly text: string;
  readonly boundUntil: number | null;
  readonly rttMs: number | null; // bind → challenge
  readonly counters: Readonly<UdpRelayClientCounters>; // live
}

export interface UdpRelayClient {
  readonly relay: Endpoint;
  start(now: number): UdpRelayClientAction[];
  // A "relay" datagram that arrived on the WireGuard socket from `from`.
  handle(now: number, datagram: Uint8Array, from: Endpoint): UdpRelayClientAction[];
  // A send frame for `destination` (32-byte key; the packet is copied), or null when not bound.
  wrap(now: number, destination: Uint8Array, packet: Uint8Array): Uint8Array | null;
  tick(now: number): UdpRelayClientAction[];
  nextDeadline(): number | null;
  stop(): void;
  status(now: number): UdpRelayClientStatus;
}

export function createUdpRelayClient(deps: UdpRelayClientDeps): UdpRelayClient {
  const limits: UdpRelayClientLimits = { ...DEFAULT_UDP_RELAY_CLIENT_LIMITS, ...deps.limits };
  const counters: UdpRelayClientCounters = { binds: 0, bound: 0, packetsSent: 0, packetsReceived: 0, notFromRelay: 0, malformed: 0, droppedNotBound: 0 };
  // One X25519 for the client's lifetime; zeroed by stop(). A hostile netmap could name a
  // low-order key: that is this relay's failure, not the node's.
  let pairKey = relayPairKey(deps.x25519, deps.identity.privateKey, deps.relayKey, UDP_RELAY_LABEL);
  let stopped = false;
  let started = false;
  let boundUntil: number | null = null;
  let nextBindAt: number | null = null;
  let bindSentAt: number | null = null; // the outstanding bind, answered by a challenge
  let retries = 0;
  let rttMs: number | null = null;
  const bindBytes = encodeBind(deps.identity.publicKey);

  const fromRelay = (from: Endpoint): boolean => from.port === deps.relay.port && from.host === deps.relay.host;

  const sendBind = (now: number): UdpRelayClientAction[] => {
    bindSentAt = now;
    nextBindAt = now + Math.min(limits.retryMaxMs, limits.retryInitialMs * 2 ** Math.min(retries, 20));
    retries++;
    counters.binds++;
    return [{ kind: "send", bytes: bindBytes }];
  };

  const isBound = (now: number): boolean => boundUntil !== null && now < boundUntil;

  return {
    relay: deps.relay,

    start(now) {
      if (started || stopped || pairKey === null) return [];
      started = true;
      return sendBind(now);
    },

    handle(now, datagram, from) {
      if (stopped || pairKey === null) return [];
      if (!fromRelay(from)) {
        counters.notFromRelay++;
        return [];
      }
      const frame = parseUdpRelayFrame(datagram);
      if (frame === null) {
        counters.malformed++;
        return [];
      }
      switch (frame.type) {
        case "challenge": {
          if (bindSentAt === null) return []; // not ours, or answered already
          rttMs = now - bindSentAt;
          bindSentAt = null;
          return [{ kind: "send", bytes: encodeBindConfirm(deps.identity.publicKey, frame.cookie, relayProof(pairKey, frame.cookie)) }];
        }
        case "bound": {
          const lifetimeMs = frame.lifetimeSeconds * 1000;
          if (lifetimeMs === 0) return [];
          boundUntil = now + lifetimeMs;
          nextBindAt = now + Math.min(limits.rebindEveryMs, Math.floor((lifetimeMs * 2) / 3));
          retries = 0;
          counters.bound++;
          return [];
        }
        case "recv":
          counters.packetsReceived++;
          return [{ kind: "packet", from: frame.key, packet: frame.packet }];
        default:
          counters.malformed++; // a client's frame type, sent to us
          return [];
      }
    },

    wrap(now, destination, packet) {
      if (stopped || !isBound(now)) {
        counters.droppedNotBound++;
        return null;
      }
      counters.packetsSent++;
      return encodeUdpSend(destination, packet);
    },

    tick(now) {
      if (!started || stopped || pairKey === null || nextBindAt === null || now < nextBindAt) return [];
      return sendBind(now);
    },

    nextDeadline: () => (started && !stopped && pairKey !== null ? nextBindAt : null),

    stop() {
      stopped = true;
      boundUntil = null;
      pairKey?.fill(0);
      pairKey = null;
    },

    status(now) {
      if (pairKey === null && !stopped) return { phase: "error", text: "the relay's key is of low order: no proof can come from it", boundUntil: null, rttMs: null, counters };
      if (stopped) return { phase: "stopped", text: "stopped", boundUntil: null, rttMs, counters };
      const bound = isBound(now);
      return { phase: bound ? "bound" : "binding", text: bound ? "bound" : retries > 1 ? `no answer from the relay after ${retries} binds` : "binding", boundUntil, rttMs, counters };
    },
  };
}
