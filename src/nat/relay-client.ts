// The TCP relay's client core, sans I/O: one per node, holding one connection to its
// coordinator's relay (frames in relay-protocol.ts). The adapter (src/io/relay-connection.ts)
// opens the HTTP upgrade and moves bytes; this decides everything else:
//
//   1. start → connect. The upgrade succeeded → connected(); the relay's serverHello must carry
//      the pinned coordinator key, and clientAuth (node key ‖ proof over the challenge) goes
//      back; ready → the client is ready.
//   2. send(destination, packet) → a send frame, queued (bounded; the oldest drop). recv →
//      {packet, from}; peerGone → {peerGone}.
//   3. A keepAlive every 25 s; the relay echoes it: the time to the echo is the RTT. No frame at
//      all within 15 s of a keepAlive → the connection is dead.
//   4. Any failure (no answer within 10 s, an error frame, bad framing, another server key, the
//      socket gone) → close, wait, connect again: 1 s, 2 s, 4 s … 30 s (jittered to 50–100 %,
//      so nodes that lost the relay together do not come back together); back to 1 s once a
//      connection stayed ready for 30 s.
//
// Nothing the relay says is authenticated (it speaks in clear): a failure is only ever a
// reason to retry, and the `from` of a received packet is the relay's word — what matters is
// that the packet itself (WireGuard, disco) authenticates to its sender.

import type { RandomSource } from "../wireguard/random-source.js";
import type { X25519 } from "../wireguard/x25519.js";
import { equalMacs, relayPairKey, relayProof, TCP_RELAY_LABEL } from "./relay-proof.js";
import { createFrameDecoder, encodeClientAuth, encodeKeepAlive, encodeSend, FrameType, SERVER_TO_CLIENT, type FrameDecoder, type RelayFrame } from "./relay-protocol.js";
import { FrameQueue, type QueueLimits } from "./relay-queue.js";

export interface RelayClientLimits {
  readonly connectTimeoutMs: number; // from connect until ready
  readonly keepAliveEveryMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly stableAfterMs: number;
  readonly queue: QueueLimits;
}

export const DEFAULT_RELAY_CLIENT_LIMITS: RelayClientLimits = {
  connectTimeoutMs: 10_000,
  keepAliveEveryMs: 25_000,
  keepAliveTimeoutMs: 15_000,
  backoffInitialMs: 1_000,
  backoffMaxMs: 30_000,
  stableAfterMs: 30_000,
  queue: { frames: 256, bytes: 512 * 1024 },
};

export interface RelayClientDeps {
  readonly identity: { readonly privateKey: Uint8Array; readonly publicKey: Uint8Array };
  // The relay's key, pinned: the coordinator's (from the auth key the node joined with).
  readonly serverKey: Uint8Array;
  readonly x25519: X25519;
  readonly random: RandomSource; // backoff jitter
  readonly limits?: Partial<RelayClientLimits>;
}

export type RelayClientAction =
  // Open a connection to the relay (the previous one, if any, was closed by a `close`).
  | { readonly kind: "connect" }
  // Frames are queued: pull and write them while the socket takes them.
  | { readonly kind: "flush" }
  // Close the current connection now; the core has already moved on (no disconnected() due).
  | { readonly kind: "close" }
  // A packet from `from` (views into the received chunk, never written again).
  | { readonly kind: "packet"; readonly from: Uint8Array; readonly packet: Uint8Array }
  // `key` is not connected to the relay: packets to it are dropped there.
  | { readonly kind: "peerGone"; readonly key: Uint8Array };

export type RelayClientPhase = "connecting" | "ready" | "error" | "stopped";

export interface RelayClientCounters {
  connects: number;
  readies: number;
  failures: number;
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  droppedNotReady: number;
  queueDrops: number;
  peerGone: number;
}

export interface RelayClientStatus {
  readonly phase: RelayClientPhase;
  // Why it is not ready (the last failure), for `meshgate status`.
  readonly text: string;
  readonly since: number; // when the phase began
  readonly retryAt: number | null;
  readonly rttMs: number | null; // the last keepAlive's round trip
  readonly counters: Readonly<RelayClientCounters>; // live: they keep counting
}

export interface RelayClient {
  start(now: number): RelayClientAction[];
  // The HTTP upgrade succeeded: frames may flow.
  connected(now: number): RelayClientAction[];
  // Bytes from the socket (views of `chunk` may be handed out in packet actions).
  receive(now: number, chunk: Uint8Array): RelayClientAction[];
  // The connection failed or closed (the adapter's word for it: an HTTP status, an error).
  disconnected(now: number, reason: string): RelayClientAction[];
  // Queues a packet for `destination` (32-byte node key; the packet, 1..65,503 bytes, is
  // copied): false when not ready (dropped, counted). The adapter flushes after a true.
  send(destination: Uint8Array, packet: Uint8Array): boolean;
  pull(maxBytes: number): Uint8Array[];
  tick(now: number): RelayClientAction[];
  nextDeadline(): number | null;
  stop(now: number): RelayClientAction[];
  status(): RelayClientStatus;
}

type State = "idle" | "connecting" | "handshaking" | "ready" | "waiting" | "stopped";

export function createRelayClient(deps: RelayClientDeps): RelayClient {
  const limits: RelayClientLimits = { ...DEFAULT_RELAY_CLIENT_LIMITS, ...deps.limits };
  const queue = new FrameQueue(limits.queue);
  const counters: RelayClientCounters = {
    connects: 0, readies: 0, failures: 0, packetsSent: 0, packetsReceived: 0, bytesSent: 0, bytesReceived: 0,
    droppedNotReady: 0, queueDrops: 0, peerGone: 0,
  };
  let state: State = "idle";
  let since = 0;
  let text = "not started";
  let attemptStartedAt = 0;
  let readyAt: number | null = null;
  let retryAt: number | null = null;
  let failuresInARow = 0;
  let decoder: FrameDecoder | null = null;
  let sawHello = false;
  let lastReceivedAt = 0;
  let nextKeepAliveAt = 0;
  let pingSentAt: number | null = null;
  let rttMs: number | null = null;
  // Derived once (one X25519): DH(node key, relay key) under the label; zeroed by stop().
  let pairKey: Uint8Array | null = relayPairKey(deps.x25519, deps.identity.privateKey, deps.serverKey, TCP_RELAY_LABEL);
  if (pairKey === null) throw new Error("the coordinator key this node pinned is of low order: no relay proof can come from it (check the auth key)");

  const enter = (now: number, next: State, why: string): void => {
    state = next;
    since = now;
    text = why;
  };

  const connect = (now: number): RelayClientAction[] => {
    enter(now, "connecting", "connecting");
    attemptStartedAt = now;
    retryAt = null;
    counters.connects++;
    return [{ kind: "connect" }];
  };

  // Gives up on this connection and schedules the next.
  const fail = (now: number, why: string): void => {
    if (readyAt !== null && now - readyAt >= limits.stableAfterMs) failuresInARow = 0;
    failuresInARow++;
    counters.failures++;
    const base = Math.min(limits.backoffMaxMs, limits.backoffInitialMs * 2 ** Math.min(failuresInARow - 1, 30));
    const jitter = 0.5 + deps.random.bytes(1)[0]! / 510; // 50–100 %
    retryAt = now + Math.round(base * jitter);
    enter(now, "waiting", why);
    queue.clear();
    decoder = null;
    readyAt = null;
    pingSentAt = null;
  };

  const expects = (type: number): boolean => {
    if (!SERVER_TO_CLIENT.has(type)) return false;
    if (state === "handshaking") return sawHello ? type === FrameType.ready || type === FrameType.error : type === FrameType.serverHello || type === FrameType.error;
    return state === "ready" && type !== FrameType.serverHello && type !== FrameType.ready;
  };

  const enqueue = (frame: Uint8Array): void => {
    counters.queueDrops += queue.push(frame).dropped;
  };

  const handleFrame = (now: number, frame: RelayFrame, out: RelayClientAction[]): void => {
    switch (frame.type) {
      case "serverHello": {
        sawHello = true;
        if (!equalMacs(frame.serverKey, deps.serverKey)) {
          fail(now, "the relay answered with another server key than the coordinator's (something else is answering at its address)");
          out.push({ kind: "close" });
          return;
        }
        if (pairKey === null) return; // stopped
        enqueue(encodeClientAuth(deps.identity.publicKey, relayProof(pairKey, frame.challenge, deps.identity.publicKey)));
        out.push({ kind: "flush" });
        return;
      }
      case "ready":
        enter(now, "ready", "ready");
        readyAt = now;
        counters.readies++;
        nextKeepAliveAt = now + limits.keepAliveEveryMs;
        return;
      case "recv":
        counters.packetsReceived++;
        counters.bytesReceived += frame.packet.length;
        out.push({ kind: "packet", from: frame.key, packet: frame.packet });
        return;
      case "peerGone":
        counters.peerGone++;
        out.push({ kind: "peerGone", key: frame.key });
        return;
      case "keepAlive":
        if (pingSentAt !== null) rttMs = now - pingSentAt;
        pingSentAt = null;
        return;
      case "error":
        fail(now, `the relay refused: ${frame.reason}`);
        out.push({ kind: "close" });
        return;
      default:
        return; // clientAuth and send never pass `expects`
    }
  };

  return {
    start(now) {
      if (state !== "idle") return [];
      return connect(now);
    },

    connected(now) {
      if (state !== "connecting") return [];
      enter(now, "handshaking", "authenticating");
      decoder = createFrameDecoder(expects);
      sawHello = false;
      lastReceivedAt = now;
      return [];
    },

    receive(now, chunk) {
      if ((state !== "handshaking" && state !== "ready") || decoder === null) return [];
      lastReceivedAt = now;
      const out: RelayClientAction[] = [];
      const error = decoder.push(chunk, (frame) => {
        handleFrame(now, frame, out);
        return state === "handshaking" || state === "ready";
      });
      if (error !== null && (state === "handshaking" || state === "ready")) {
        fail(now, `bad framing from the relay (${error})`);
        out.push({ kind: "close" });
      }
      return out;
    },

    disconnected(now, reason) {
      if (state === "connecting" || state === "handshaking" || state === "ready") fail(now, reason);
      return [];
    },

    send(destination, packet) {
      if (state !== "ready") {
        counters.droppedNotReady++;
        return false;
      }
      enqueue(encodeSend(destination, packet));
      counters.packetsSent++;
      counters.bytesSent += packet.length;
      return true;
    },

    pull: (maxBytes) => queue.take(maxBytes),

    tick(now) {
      switch (state) {
        case "connecting":
        case "handshaking":
          if (now - attemptStartedAt < limits.connectTimeoutMs) return [];
          fail(now, `no answer from the relay within ${limits.connectTimeoutMs / 1000} s`);
          return [{ kind: "close" }];
        case "ready":
          if (pingSentAt !== null && lastReceivedAt <= pingSentAt && now - pingSentAt >= limits.keepAliveTimeoutMs) {
            fail(now, `the relay did not answer a keepalive within ${limits.keepAliveTimeoutMs / 1000} s`);
            return [{ kind: "close" }];
          }
          if (now < nextKeepAliveAt) return [];
          nextKeepAliveAt = now + limits.keepAliveEveryMs;
          pingSentAt ??= now;
          enqueue(encodeKeepAlive());
          return [{ kind: "flush" }];
        case "waiting":
          return retryAt !== null && now >= retryAt ? connect(now) : [];
        default:
          return [];
      }
    },

    nextDeadline() {
      switch (state) {
        case "connecting":
        case "handshaking":
          return attemptStartedAt + limits.connectTimeoutMs;
        case "ready":
          return pingSentAt !== null && lastReceivedAt <= pingSentAt ? Math.min(nextKeepAliveAt, pingSentAt + limits.keepAliveTimeoutMs) : nextKeepAliveAt;
        case "waiting":
          return retryAt;
        default:
          return null;
      }
    },

    stop(now) {
      const wasOpen = state === "connecting" || state === "handshaking" || state === "ready";
      enter(now, "stopped", "stopped");
      queue.clear();
      decoder = null;
      retryAt = null;
      pairKey?.fill(0);
      pairKey = null;
      return wasOpen ? [{ kind: "close" }] : [];
    },

    status() {
      const phase: RelayClientPhase = state === "ready" ? "ready" : state === "waiting" ? "error" : state === "stopped" ? "stopped" : "connecting";
      return { phase, text, since, retryAt, rttMs, counters };
    },
  };
}
