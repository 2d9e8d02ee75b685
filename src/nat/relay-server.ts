// The TCP relay's server core, sans I/O (frames in relay-protocol.ts). The adapter
// (src/io/relay-upgrade.ts) owns the sockets; this owns every decision. Flow of a connection:
//
//   1. open(now, source): limits on connections not yet authenticated (in all, per source);
//      a serverHello with a fresh 32-byte challenge is queued.
//   2. receive(now, id, chunk) → clientAuth: isAllowed(node key) (a registered, unexpired
//      node), then the global authentication budget, then the proof (one X25519, one MAC):
//      ready is queued, and the key's older connection, if any, is closed (the newest wins).
//      Anything else before that, or nothing within 10 s, closes the connection.
//   3. send(destination, packet) → recv(source, packet) queued on the destination's connection;
//      no such connection → the packet drops and the sender hears peerGone (at most once per
//      destination per second). keepAlive → keepAlive back (the client measures its RTT).
//   4. The adapter pulls queued frames while its socket takes them; a full queue drops its
//      oldest frames. `tick` (every second) closes connections that did not authenticate in
//      time or went silent, and re-asks isAllowed for every connection every 5 s (and at the
//      next tick after `revalidate()`): a removed or expired node is cut off within seconds.
//
// Nothing from the network throws: bad framing, a wrong proof, an unexpected frame close that
// connection with an error frame, counted by reason and logged at a bounded rate.

import type { RandomSource } from "../wireguard/random-source.js";
import type { X25519 } from "../wireguard/x25519.js";
import { createRelayLog, keyHint } from "./relay-log.js";
import { equalMacs, relayPairKey, relayProof, TCP_RELAY_LABEL } from "./relay-proof.js";
import {
  CHALLENGE_BYTES,
  CLIENT_TO_SERVER,
  createFrameDecoder,
  encodeError,
  encodeKeepAlive,
  encodePeerGone,
  encodeReady,
  encodeRecv,
  encodeServerHello,
  FrameType,
  type FrameDecoder,
  type RelayFrame,
} from "./relay-protocol.js";
import { FrameQueue, type QueueLimits } from "./relay-queue.js";
import { sourceGroup, TokenBucket, type Rate } from "./relay-rate-limit.js";

export interface RelayServerLimits {
  readonly maxConnections: number;
  readonly maxUnauthenticated: number;
  readonly maxUnauthenticatedPerSource: number;
  readonly authTimeoutMs: number;
  // clientAuth verifications (one X25519 each) for all connections together.
  readonly authBudget: Rate;
  // A ready connection that sends nothing for this long is gone (clients send a keepAlive
  // every 25 s: relay-client.ts).
  readonly idleTimeoutMs: number;
  readonly queue: QueueLimits;
  readonly totalQueuedBytes: number;
  readonly revalidateEveryMs: number;
  readonly peerGoneIntervalMs: number;
  readonly peerGoneTracked: number;
}

// The numbers: a coordinator of 3,000 nodes holds 3,000 ready connections; 16,384 in all
// leaves room for reconnects. 256 connections may be authenticating at once, 16 from one
// source (an office behind one NAT reconnecting after a coordinator restart), each for at most
// 10 s — so a flood of idle connections holds at most 256 slots, and one source at most 16.
// 400 verifications/s is ~20 ms of CPU per second and lets 3,000 nodes back in 7.5 s. A queue
// holds 256 frames or 512 KiB (~350 full-size WireGuard packets, a few ms of a fast link), all
// queues together 64 MiB.
export const DEFAULT_RELAY_SERVER_LIMITS: RelayServerLimits = {
  maxConnections: 16_384,
  maxUnauthenticated: 256,
  maxUnauthenticatedPerSource: 16,
  authTimeoutMs: 10_000,
  authBudget: { perSecond: 400, burst: 400 },
  idleTimeoutMs: 75_000,
  queue: { frames: 256, bytes: 512 * 1024 },
  totalQueuedBytes: 64 * 1024 * 1024,
  revalidateEveryMs: 5_000,
  peerGoneIntervalMs: 1_000,
  peerGoneTracked: 32,
};

// How often the adapter calls tick().
export const RELAY_SERVER_TICK_MS = 1_000;

export interface RelayServerDeps {
  // The relay's static key: the coordinator's.
  readonly identity: { readonly privateKey: Uint8Array; readonly publicKey: Uint8Array };
  readonly x25519: X25519;
  readonly random: RandomSource; // challenges
  // May this node key use the relay? (a registered, unexpired node)
  readonly isAllowed: (nodeKey: Uint8Array) => boolean;
  readonly log: (line: string) => void;
  readonly limits?: Partial<RelayServerLimits>;
}

export type RelayServerAction =
  // Frames are queued on this connection: pull and write them while the socket takes them.
  | { readonly kind: "flush"; readonly connection: number }
  // Write what is still queued (an error frame), then close the socket and call closed().
  | { readonly kind: "close"; readonly connection: number };

export interface RelayServerCounters {
  opened: number;
  refusedFull: number;
  authenticated: number;
  authRefused: number;
  authFailed: number;
  authBusy: number;
  authTimeouts: number;
  framingErrors: number;
  replaced: number;
  revoked: number;
  idleClosed: number;
  packetsForwarded: number;
  bytesForwarded: number;
  packetsToAbsent: number;
  peerGoneSent: number;
  queueDrops: number;
  keepAlives: number;
}

export interface RelayServerStats extends RelayServerCounters {
  readonly connections: number;
  readonly unauthenticated: number;
  readonly ready: number;
  readonly queuedBytes: number;
}

export interface RelayServer {
  readonly publicKey: Uint8Array;
  // A new connection from `source` (an IP address, for limits and logs): its id, with the
  // serverHello queued — or null when the limits refuse it (the adapter answers 503).
  open(now: number, source: string): number | null;
  // Bytes from the connection's socket (`chunk` is only read during the call).
  receive(now: number, connection: number, chunk: Uint8Array): RelayServerAction[];
  // Queued frames, up to `maxBytes` (at least one frame if any): the adapter writes them.
  pull(connection: number, maxBytes: number): Uint8Array[];
  // The socket is gone (whoever closed it).
  closed(now: number, connection: number): void;
  tick(now: number): RelayServerAction[];
  // The allowed set changed (a node was removed): every connection is checked at the next tick.
  revalidate(): void;
  stats(): RelayServerStats;
}

type ConnectionState = "hello" | "ready" | "closing";

interface Connection {
  readonly id: number;
  readonly source: string;
  readonly group: string;
  readonly openedAt: number;
  readonly decoder: FrameDecoder;
  readonly queue: FrameQueue;
  state: ConnectionState;
  wasAuthenticated: boolean;
  lastReceivedAt: number;
  challenge: Uint8Array | null;
  key: Uint8Array | null;
  keyText: string | null;
  peerGoneSentAt: Map<string, number> | null; // destination → when we last told it
}

const keyText = (key: Uint8Array): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("base64");

export function createRelayServer(deps: RelayServerDeps): RelayServer {
  const limits: RelayServerLimits = { ...DEFAULT_RELAY_SERVER_LIMITS, ...deps.limits };
  const connections = new Map<number, Connection>();
  const byKey = new Map<string, Connection>(); // ready connections by node key (base64)
  const pendingBySource = new Map<string, number>(); // unauthenticated connections per source group
  let authBudget: TokenBucket | null = null; // made at the first `now`
  let unauthenticated = 0;
  let queuedBytes = 0;
  let nextId = 1;
  let revalidateAt = 0;
  const log = createRelayLog("relay", deps.log);
  const counters: RelayServerCounters = {
    opened: 0, refusedFull: 0, authenticated: 0, authRefused: 0, authFailed: 0, authBusy: 0, authTimeouts: 0,
    framingErrors: 0, replaced: 0, revoked: 0, idleClosed: 0, packetsForwarded: 0, bytesForwarded: 0,
    packetsToAbsent: 0, peerGoneSent: 0, queueDrops: 0, keepAlives: 0,
  };

  // Queues `frame` (the queue's oldest frames drop when it is full); when all queues together
  // hold the global limit, the new frame drops instead.
  const enqueue = (connection: Connection, frame: Uint8Array, woken: Set<number>): boolean => {
    if (queuedBytes + frame.length > limits.totalQueuedBytes) {
      counters.queueDrops++;
      return false;
    }
    const { dropped, droppedBytes } = connection.queue.push(frame);
    counters.queueDrops += dropped;
    queuedBytes += frame.length - droppedBytes;
    woken.add(connection.id);
    return true;
  };

  const leaveHello = (connection: Connection): void => {
    unauthenticated--;
    const left = (pendingBySource.get(connection.group) ?? 1) - 1;
    if (left <= 0) pendingBySource.delete(connection.group);
    else pendingBySource.set(connection.group, left);
  };

  const forget = (connection: Connection): void => {
    if (connection.state === "hello") leaveHello(connection);
    if (connection.keyText !== null && byKey.get(connection.keyText) === connection) byKey.delete(connection.keyText);
    queuedBytes -= connection.queue.bytes;
    connection.queue.clear();
    connection.challenge = null;
  };

  // Ends a connection: what was queued drops, the error frame goes, the adapter closes.
  const close = (now: number, connection: Connection, reason: keyof RelayServerCounters, message: string, closes: number[]): void => {
    if (connection.state === "closing") return;
    counters[reason]++;
    const who = connection.keyText === null ? connection.source : `${keyHint(connection.keyText)} (${connection.source})`;
    log.note(now, reason, `${who}: ${message}`);
    forget(connection);
    connection.state = "closing";
    const frame = encodeError(message);
    connection.queue.push(frame);
    queuedBytes += frame.length;
    closes.push(connection.id);
  };

  const authenticate = (now: number, connection: Connection, nodeKey: Uint8Array, proof: Uint8Array, woken: Set<number>, closes: number[]): void => {
    // The same words for an unknown key and a wrong proof: the relay is no oracle for which keys
    // are registered (the counters and the log tell them apart).
    const refusal = "authentication failed: not a registered, unexpired node key, or a wrong proof";
    if (!deps.isAllowed(nodeKey)) return close(now, connection, "authRefused", refusal, closes);
    authBudget ??= new TokenBucket(limits.authBudget, now);
    if (!authBudget.take(now)) return close(now, connection, "authBusy", "the relay is busy: try again in a few seconds", closes);
    const pairKey = relayPairKey(deps.x25519, deps.identity.privateKey, nodeKey, TCP_RELAY_LABEL);
    const expected = pairKey === null ? null : relayProof(pairKey, connection.challenge!, nodeKey);
    pairKey?.fill(0);
    if (expected === null || !equalMacs(expected, proof)) return close(now, connection, "authFailed", refusal, closes);
    leaveHello(connection);
    connection.state = "ready";
    connection.wasAuthenticated = true;
    connection.challenge = null;
    connection.key = nodeKey.slice();
    connection.keyText = keyText(connection.key);
    const older = byKey.get(connection.keyText);
    if (older !== undefined) close(now, older, "replaced", "replaced by a newer connection of this node key", closes);
    byKey.set(connection.keyText, connection);
    counters.authenticated++;
    enqueue(connection, encodeReady(), woken);
  };

  const forward = (now: number, from: Connection, destination: Uint8Array, packet: Uint8Array, woken: Set<number>): void => {
    const destinationText = keyText(destination);
    const to = byKey.get(destinationText);
    if (to !== undefined) {
      if (enqueue(to, encodeRecv(from.key!, packet), woken)) {
        counters.packetsForwarded++;
        counters.bytesForwarded += packet.length;
      }
      return;
    }
    counters.packetsToAbsent++;
    const told = (from.peerGoneSentAt ??= new Map());
    const last = told.get(destinationText);
    if (last !== undefined && now - last < limits.peerGoneIntervalMs) return;
    told.delete(destinationText);
    if (told.size >= limits.peerGoneTracked) told.delete(told.keys().next().value!);
    told.set(destinationText, now);
    counters.peerGoneSent++;
    enqueue(from, encodePeerGone(destination), woken);
  };

  const handleFrame = (now: number, connection: Connection, frame: RelayFrame, woken: Set<number>, closes: number[]): void => {
    switch (frame.type) {
      case "clientAuth":
        return authenticate(now, connection, frame.nodeKey, frame.proof, woken, closes);
      case "send":
        return forward(now, connection, frame.key, frame.packet, woken);
      case "keepAlive":
        counters.keepAlives++;
        enqueue(connection, encodeKeepAlive(), woken);
        return;
      default:
        // The decoder lets through only what `expects` allows for the state: nothing else.
        return;
    }
  };

  const actions = (woken: Set<number>, closes: number[]): RelayServerAction[] => {
    const list: RelayServerAction[] = [];
    for (const id of woken) if (connections.get(id)?.state !== "closing") list.push({ kind: "flush", connection: id });
    for (const id of closes) list.push({ kind: "close", connection: id });
    return list;
  };

  return {
    publicKey: deps.identity.publicKey,

    open(now, source) {
      const group = sourceGroup(source);
      const fromSource = pendingBySource.get(group) ?? 0;
      if (connections.size >= limits.maxConnections || unauthenticated >= limits.maxUnauthenticated || fromSource >= limits.maxUnauthenticatedPerSource) {
        counters.refusedFull++;
        log.note(now, "refusedFull", `${source}: too many connections (${connections.size} open, ${unauthenticated} authenticating, ${fromSource} from this source)`);
        return null;
      }
      const id = nextId++;
      const challenge = deps.random.bytes(CHALLENGE_BYTES);
      const connection: Connection = {
        id,
        source,
        group,
        openedAt: now,
        decoder: createFrameDecoder((type) =>
          connection.state === "hello" ? type === FrameType.clientAuth : connection.state === "ready" && type !== FrameType.clientAuth && CLIENT_TO_SERVER.has(type),
        ),
        queue: new FrameQueue(limits.queue),
        state: "hello",
        wasAuthenticated: false,
        lastReceivedAt: now,
        challenge,
        key: null,
        keyText: null,
        peerGoneSentAt: null,
      };
      connections.set(id, connection);
      unauthenticated++;
      pendingBySource.set(group, fromSource + 1);
      counters.opened++;
      enqueue(connection, encodeServerHello(deps.identity.publicKey, challenge), new Set());
      return id;
    },

    receive(now, id, chunk) {
      const connection = connections.get(id);
      if (connection === undefined || connection.state === "closing") return [];
      connection.lastReceivedAt = now;
      const woken = new Set<number>();
      const closes: number[] = [];
      const error = connection.decoder.push(chunk, (frame) => {
        handleFrame(now, connection, frame, woken, closes);
        return connection.state !== "closing";
      });
      if (error !== null) close(now, connection, "framingErrors", `bad framing (${error})`, closes);
      return actions(woken, closes);
    },

    pull(id, maxBytes) {
      const connection = connections.get(id);
      if (connection === undefined) return [];
      const frames = connection.queue.take(maxBytes);
      for (const frame of frames) queuedBytes -= frame.length;
      return frames;
    },

    closed(_now, id) {
      const connection = connections.get(id);
      if (connection === undefined) return;
      forget(connection);
      connections.delete(id);
    },

    tick(now) {
      const closes: number[] = [];
      const recheck = now >= revalidateAt;
      if (recheck) revalidateAt = now + limits.revalidateEveryMs;
      for (const connection of connections.values()) {
        if (connection.state === "hello" && now - connection.openedAt >= limits.authTimeoutMs) {
          close(now, connection, "authTimeouts", `did not authenticate within ${limits.authTimeoutMs / 1000} s`, closes);
        } else if (connection.state === "ready" && now - connection.lastReceivedAt >= limits.idleTimeoutMs) {
          close(now, connection, "idleClosed", `silent for ${limits.idleTimeoutMs / 1000} s`, closes);
        } else if (connection.state === "ready" && recheck && !deps.isAllowed(connection.key!)) {
          close(now, connection, "revoked", "this node is no longer a registered, unexpired node of the mesh", closes);
        }
      }
      log.flush(now);
      return actions(new Set(), closes);
    },

    revalidate() {
      revalidateAt = 0;
    },

    stats: () => ({ ...counters, connections: connections.size, unauthenticated, ready: byKey.size, queuedBytes }),
  };
}
