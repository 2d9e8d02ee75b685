// A peer's protocol state: identity, endpoint, pending handshake, the previous/current/next
// keypairs (whitepaper §5.4.5, §6.2), packets waiting for a session, timers and counters.
//
// Keypair rotation rules:
//   initiator finishes a handshake → the new keypair is `current` at once (it has proof the
//     responder holds it); the old current becomes `previous` (a `next` still unconfirmed is
//     kept as `previous` instead, so packets the responder already sent with it still open);
//   responder finishes a handshake → the new keypair waits as `next` and may only receive:
//     the responder cannot know the initiator got the response until data arrives with it;
//   first packet received with `next` → it becomes `current`, current becomes `previous`.
// Keypairs live in WASM slots; the Transport does what the rotation decides.

import type { Transport } from "../dataplane/transport.js";
import type { CookieJar } from "./cookie.js";
import { createCookieJar, cookieKey, mac1Key } from "./cookie.js";
import { MAX_STAGED_PACKETS } from "./constants.js";
import type { Endpoint } from "../net/endpoint.js";
import type { InitiatorState, RemoteIdentity } from "./noise.js";
import { createPeerTimers, type PeerTimers } from "./timers.js";

export interface Keypair {
  readonly slot: number;
  readonly localIndex: number;
  readonly remoteIndex: number;
  readonly createdAt: number;
  readonly isInitiator: boolean;
}

export interface PeerStats {
  rxBytes: number;
  txBytes: number;
  // Wall-clock time of the last completed handshake (what `wg show` prints), if any.
  lastHandshakeWallMs: number | null;
  // Handshakes completed with the peer (sessions derived, as initiator or responder).
  handshakes: number;
}

export interface Peer {
  readonly number: number;
  readonly publicKey: Uint8Array;
  readonly id: string; // the public key in base64, for maps and logs
  remote: RemoteIdentity;
  readonly mac1Key: Uint8Array;
  readonly cookieKey: Uint8Array;
  endpoint: Endpoint | null;
  // Whether authentic packets move `endpoint` to their source (whitepaper §2.1). Off for a
  // peer whose endpoint a path layer above sets (src/nat): it routes the packets itself.
  roaming: boolean;
  readonly cookieJar: CookieJar;
  // The handshake we initiated and have no response to yet.
  pending: InitiatorState | null;
  lastInitiationSentAt: number | null;
  lastInitiationConsumedAt: number | null;
  lastTimestamp: Uint8Array | null;
  previous: Keypair | null;
  current: Keypair | null;
  next: Keypair | null;
  staged: Uint8Array[];
  readonly timers: PeerTimers;
  readonly stats: PeerStats;
  readonly drops: Map<string, number>;
}

export function createPeer(
  number: number,
  publicKey: Uint8Array,
  id: string,
  remote: RemoteIdentity,
  persistentKeepaliveMs: number,
  onTimerArmed: (deadline: number) => void = () => {},
): Peer {
  return {
    number,
    publicKey,
    id,
    remote,
    mac1Key: mac1Key(publicKey),
    cookieKey: cookieKey(publicKey),
    endpoint: null,
    roaming: true,
    cookieJar: createCookieJar(),
    pending: null,
    lastInitiationSentAt: null,
    lastInitiationConsumedAt: null,
    lastTimestamp: null,
    previous: null,
    current: null,
    next: null,
    staged: [],
    timers: createPeerTimers(persistentKeepaliveMs, onTimerArmed),
    stats: { rxBytes: 0, txBytes: 0, lastHandshakeWallMs: null, handshakes: 0 },
    drops: new Map(),
  };
}

type KeypairTable = Pick<Transport, "revokeKeypair" | "setPeerKeypair">;

function drop(table: KeypairTable, keypair: Keypair | null, release: (keypair: Keypair) => void): void {
  if (keypair === null) return;
  table.revokeKeypair(keypair.slot);
  release(keypair);
}

// Installs the rotation for a freshly derived keypair (already installed in its WASM slot).
// `release` returns a dropped keypair's slot and index to the device's pools.
export function beginSession(peer: Peer, keypair: Keypair, table: KeypairTable, release: (keypair: Keypair) => void): void {
  if (keypair.isInitiator) {
    if (peer.next !== null) {
      drop(table, peer.previous, release);
      drop(table, peer.current, release);
      peer.previous = peer.next;
      peer.next = null;
    } else {
      drop(table, peer.previous, release);
      peer.previous = peer.current;
    }
    peer.current = keypair;
    table.setPeerKeypair(peer.number, keypair.slot);
  } else {
    drop(table, peer.next, release);
    drop(table, peer.previous, release);
    peer.previous = null;
    peer.next = keypair;
  }
}

// A packet arrived with keypair `slot`. True if that confirmed `next` (the handshake is then
// complete for the responder).
export function receivedWithKeypair(peer: Peer, slot: number, table: KeypairTable, release: (keypair: Keypair) => void): boolean {
  if (peer.next === null || peer.next.slot !== slot) return false;
  drop(table, peer.previous, release);
  peer.previous = peer.current;
  peer.current = peer.next;
  peer.next = null;
  table.setPeerKeypair(peer.number, peer.current.slot);
  return true;
}

// Drops keypairs older than REJECT_AFTER_TIME (`maxAgeMs`); they can neither send nor receive.
export function expireKeypairs(peer: Peer, now: number, maxAgeMs: number, table: KeypairTable, release: (keypair: Keypair) => void): void {
  const old = (keypair: Keypair | null): boolean => keypair !== null && now - keypair.createdAt >= maxAgeMs;
  if (old(peer.previous)) {
    drop(table, peer.previous, release);
    peer.previous = null;
  }
  if (old(peer.current)) {
    drop(table, peer.current, release);
    peer.current = null;
    table.setPeerKeypair(peer.number, null);
  }
  if (old(peer.next)) {
    drop(table, peer.next, release);
    peer.next = null;
  }
}

// Zeroes every keypair (whitepaper §6.3, and peer removal); the device discards the pending
// handshake (discardPending) alongside.
export function clearSessions(peer: Peer, table: KeypairTable, release: (keypair: Keypair) => void): void {
  for (const keypair of [peer.previous, peer.current, peer.next]) drop(table, keypair, release);
  peer.previous = null;
  peer.current = null;
  peer.next = null;
  table.setPeerKeypair(peer.number, null);
}

// The earliest time one of the peer's keypairs reaches `maxAgeMs`.
export function nextKeypairExpiry(peer: Peer, maxAgeMs: number): number | null {
  let next: number | null = null;
  for (const keypair of [peer.previous, peer.current, peer.next]) {
    if (keypair !== null && (next === null || keypair.createdAt + maxAgeMs < next)) next = keypair.createdAt + maxAgeMs;
  }
  return next;
}

// Queues a packet until a session exists; the oldest goes when the queue is full (returns
// true then, so the drop is counted).
export function stagePacket(peer: Peer, packet: Uint8Array): boolean {
  const overflow = peer.staged.length >= MAX_STAGED_PACKETS;
  if (overflow) peer.staged.shift();
  peer.staged.push(packet);
  return overflow;
}

export function countDrop(peer: Peer | null, drops: Map<string, number>, reason: string): void {
  drops.set(reason, (drops.get(reason) ?? 0) + 1);
  if (peer !== null) peer.drops.set(reason, (peer.drops.get(reason) ?? 0) + 1);
}
