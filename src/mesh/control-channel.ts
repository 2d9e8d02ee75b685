// The encrypted, mutually authenticated channel between a node and its coordinator.
//
// It is WireGuard's handshake construction (src/wireguard/noise.ts, Noise_IKpsk2) in a domain of
// its own (CONTROL_HANDSHAKE: another prologue and mac1 label, so no control message is ever a
// valid WireGuard message or the reverse), carried in an HTTP body: the node is the initiator
// with its WireGuard key as static key; the coordinator is the
// responder, and its static key is the one pinned in the node's auth key — a node can complete
// a handshake only with that coordinator, and the coordinator learns the node's key from the
// handshake itself (no secret ever travels in clear). The handshake yields a session: messages
// are sealed with ChaCha20-Poly1305 under the session keys, nonce = a per-direction counter.
//
//   session request:  148-byte initiation (with mac1 under the coordinator's key)
//   session response: 92-byte response
//   call request:     session id (u32 LE) ‖ counter (u64 LE) ‖ sealed JSON
//   call response:    counter (u64 LE) ‖ sealed JSON

import type { CryptoCore } from "../dataplane/crypto-core.js";
import { addMacs, createCookieChecker, createCookieJar, hasValidMac1, mac1Key } from "../wireguard/cookie.js";
import { decodeInitiation, decodeResponse } from "../wireguard/messages.js";
import {
  CONTROL_HANDSHAKE,
  consumeInitiation,
  consumeResponse,
  createInitiation,
  createResponse,
  forgetEphemeral,
  type LocalIdentity,
  type NoiseDeps,
  type RemoteIdentity,
  type TransportKeys,
} from "../wireguard/noise.js";
import { randomUint32 } from "../wireguard/random-source.js";

// The handshake's preshared key: a fixed public value, BLAKE2s("meshgate control v1 preshared
// key"), not a secret. The prologue (CONTROL_HANDSHAKE) separates the transcripts, so no message
// of one protocol authenticates in the other; this separates the chaining keys too, so even a
// transcript built from the same static and ephemeral keys would yield other transport keys.
const CONTROL_PRESHARED_KEY = Uint8Array.from(Buffer.from("137bda990ff74a033b2f792b19979bdbc19b2ca32b67f4030cf72bcc9a0911fc", "hex"));

// What the channel needs for its handshakes (the protocol is always CONTROL_HANDSHAKE).
export type ChannelCrypto = Omit<NoiseDeps, "protocol">;
const controlNoise = (deps: ChannelCrypto): NoiseDeps => ({ ...deps, protocol: CONTROL_HANDSHAKE });

const COUNTER_BYTES = 8;
const SESSION_ID_BYTES = 4;
const REPLAY_WINDOW = 64n;

function nonceFor(counter: bigint): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, counter, true);
  return nonce;
}

// One direction's keys and counters. Calls may run concurrently (a long poll stays open while
// other calls go), so receiving accepts any counter within a window, each once.
export class ControlSession {
  private sendCounter = 0n;
  private greatestReceived = -1n;
  private receivedBits = 0n;

  private closed = false;

  constructor(
    readonly id: number,
    readonly peerKey: Uint8Array,
    private readonly crypto: CryptoCore,
    private readonly keys: TransportKeys,
    readonly createdAt: number,
  ) {}

  // Wipes the session keys; nothing opens or seals with this session afterwards.
  close(): void {
    this.closed = true;
    this.keys.send.fill(0);
    this.keys.receive.fill(0);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  seal(payload: Uint8Array): Uint8Array {
    if (this.closed) throw new Error("sealing with a closed control session");
    const counter = this.sendCounter++;
    const sealed = this.crypto.seal(this.keys.send, nonceFor(counter), payload);
    const out = new Uint8Array(COUNTER_BYTES + sealed.length);
    new DataView(out.buffer).setBigUint64(0, counter, true);
    out.set(sealed, COUNTER_BYTES);
    return out;
  }

  // The payload, or null if not authentic or a replay.
  open(message: Uint8Array): Uint8Array | null {
    if (this.closed || message.length < COUNTER_BYTES + 16) return null;
    const counter = new DataView(message.buffer, message.byteOffset, message.length).getBigUint64(0, true);
    if (!this.fresh(counter)) return null;
    const payload = this.crypto.open(this.keys.receive, nonceFor(counter), message.subarray(COUNTER_BYTES));
    if (payload === null) return null;
    this.accept(counter);
    return payload;
  }

  private fresh(counter: bigint): boolean {
    if (counter > this.greatestReceived) return true;
    const age = this.greatestReceived - counter;
    return age < REPLAY_WINDOW && (this.receivedBits & (1n << age)) === 0n;
  }

  private accept(counter: bigint): void {
    if (counter > this.greatestReceived) {
      const shift = counter - this.greatestReceived;
      this.receivedBits = shift >= REPLAY_WINDOW ? 1n : ((this.receivedBits << shift) | 1n) & ((1n << REPLAY_WINDOW) - 1n);
      this.greatestReceived = counter;
    } else {
      this.receivedBits |= 1n << (this.greatestReceived - counter);
    }
  }
}

// Prefixes a sealed call with the session id (node → coordinator).
export function frameCall(session: ControlSession, payload: Uint8Array): Uint8Array {
  const sealed = session.seal(payload);
  const out = new Uint8Array(SESSION_ID_BYTES + sealed.length);
  new DataView(out.buffer).setUint32(0, session.id, true);
  out.set(sealed, SESSION_ID_BYTES);
  return out;
}

export function callSessionId(body: Uint8Array): number | null {
  return body.length >= SESSION_ID_BYTES ? new DataView(body.buffer, body.byteOffset, body.length).getUint32(0, true) : null;
}

export function callMessage(body: Uint8Array): Uint8Array {
  return body.subarray(SESSION_ID_BYTES);
}

// --- node side ------------------------------------------------------------------------

export interface PendingClientSession {
  readonly initiation: Uint8Array;
  // The session, or null when the response is not from the pinned coordinator.
  complete(response: Uint8Array, now: number): ControlSession | null;
}

// The pending handshake keeps the ephemeral and static-static secrets until complete() runs
// once; they are wiped then, whatever the answer was.
export function beginClientSession(
  channelCrypto: ChannelCrypto,
  local: LocalIdentity,
  coordinatorKey: Uint8Array,
  wallClockMs: number,
): PendingClientSession {
  const deps = controlNoise(channelCrypto);
  const remote: RemoteIdentity = {
    publicKey: coordinatorKey,
    presharedKey: CONTROL_PRESHARED_KEY,
    staticStatic: deps.x25519.sharedSecret(local.privateKey, coordinatorKey),
  };
  const started = createInitiation(deps, local, remote, randomUint32(deps.random), wallClockMs);
  if (started === null) throw new RangeError("the coordinator key is not a usable Curve25519 key");
  addMacs(started.message, mac1Key(coordinatorKey, CONTROL_HANDSHAKE), createCookieJar(), 0);
  let used = false;
  return {
    initiation: started.message,
    complete(responseBytes, now) {
      if (used) return null;
      used = true;
      const response = decodeResponse(responseBytes);
      const keys = response === null || response.receiverIndex !== started.state.localIndex ? null : consumeResponse(deps, local, remote, started.state, response);
      forgetEphemeral(deps, started.state.ephemeralPrivate);
      remote.staticStatic?.fill(0);
      return keys === null ? null : new ControlSession(response!.senderIndex, coordinatorKey, deps.crypto, keys, now);
    },
  };
}

// --- coordinator side -----------------------------------------------------------------

export type AcceptError = "malformed" | "not_for_this_coordinator" | "handshake_failed";

export interface CoordinatorChannel {
  accept(initiationBytes: Uint8Array, now: number): { response: Uint8Array; session: ControlSession } | AcceptError;
}

// `lastTimestamps` remembers the newest initiation timestamp per node key, so a replayed
// initiation is refused (whitepaper §5.1) for as long as the coordinator runs.
export function createCoordinatorChannel(channelCrypto: ChannelCrypto, coordinator: LocalIdentity): CoordinatorChannel {
  const deps = controlNoise(channelCrypto);
  const checker = createCookieChecker(coordinator.publicKey, CONTROL_HANDSHAKE);
  const lastTimestamps = new Map<string, Uint8Array>();
  const remoteFor = (publicKey: Uint8Array): RemoteIdentity => ({
    publicKey,
    presharedKey: CONTROL_PRESHARED_KEY,
    staticStatic: deps.x25519.sharedSecret(coordinator.privateKey, publicKey),
  });
  return {
    accept(initiationBytes, now) {
      const initiation = decodeInitiation(initiationBytes);
      if (initiation === null) return "malformed";
      if (!hasValidMac1(checker, initiationBytes)) return "not_for_this_coordinator";
      const consumed = consumeInitiation(deps, coordinator, initiation, (publicKey) => ({
        remote: remoteFor(publicKey),
        lastTimestamp: lastTimestamps.get(Buffer.from(publicKey).toString("base64")) ?? null,
      }));
      if (consumed === null) return "handshake_failed";
      const remote = remoteFor(consumed.remoteStatic);
      const id = randomUint32(deps.random);
      const created = createResponse(deps, remote, consumed, id);
      if (created === null) return "handshake_failed";
      // mac1 as on every handshake message (whitepaper §5.4.4), under the node's key.
      addMacs(created.message, mac1Key(consumed.remoteStatic, CONTROL_HANDSHAKE), createCookieJar(), 0);
      lastTimestamps.set(Buffer.from(consumed.remoteStatic).toString("base64"), consumed.timestamp);
      return { response: created.message, session: new ControlSession(id, consumed.remoteStatic, deps.crypto, created.keys, now) };
    },
  };
}
