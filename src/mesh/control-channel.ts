// The encrypted, mutually authenticated channel between a node and its coordinator: the
// handshake that opens a session (control-session.ts seals and opens messages in it).
//
// It is WireGuard's handshake construction (src/wireguard/noise.ts, Noise_IKpsk2) in a domain of
// its own (CONTROL_HANDSHAKE: another prologue and mac1 label, so no control message is ever a
// valid WireGuard message or the reverse), carried in an HTTP body: the node is the initiator
// with its WireGuard key as static key; the coordinator is the
// responder, and its static key is the one pinned in the node's auth key — a node can complete
// a handshake only with that coordinator, and the coordinator learns the node's key from the
// handshake itself (no secret ever travels in clear).
//
//   session request:  148-byte initiation (with mac1 under the coordinator's key)
//   session response: 92-byte response
//   call request:     session id (u32 LE) ‖ sealed message (control-session.ts)
//   call response:    sealed message
//
// The coordinator's side comes in two steps so that its caller can put its limits between them:
// check() costs one BLAKE2s (mac1), accept() the Curve25519 work — five X25519 operations: DH
// with the initiator's ephemeral, the static-static DH (once), and the response's ephemeral key
// pair and its two DHs.

import { addMacs, createCookieChecker, createCookieJar, hasValidMac1, mac1Key } from "../wireguard/cookie.js";
import { decodeInitiation, decodeResponse, type Initiation } from "../wireguard/messages.js";
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
} from "../wireguard/noise.js";
import { randomUint32 } from "../wireguard/random-source.js";
import { ControlSession } from "./control-session.js";

export { ControlSession } from "./control-session.js";

// The handshake's preshared key: a fixed public value, BLAKE2s("meshgate control v1 preshared
// key"), not a secret. The prologue (CONTROL_HANDSHAKE) separates the transcripts, so no message
// of one protocol authenticates in the other; this separates the chaining keys too, so even a
// transcript built from the same static and ephemeral keys would yield other transport keys.
const CONTROL_PRESHARED_KEY = Uint8Array.from(Buffer.from("137bda990ff74a033b2f792b19979bdbc19b2ca32b67f4030cf72bcc9a0911fc", "hex"));

// What the channel needs for its handshakes (the protocol is always CONTROL_HANDSHAKE).
export type ChannelCrypto = Omit<NoiseDeps, "protocol">;
const controlNoise = (deps: ChannelCrypto): NoiseDeps => ({ ...deps, protocol: CONTROL_HANDSHAKE });

const SESSION_ID_BYTES = 4;

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

export type CheckError = "malformed" | "not_for_this_coordinator";

// What accept() needs from the caller's session bookkeeping: the newest initiation timestamp
// accepted from a node key (replays and older initiations are refused, whitepaper §5.1), and
// a session id not in use.
export interface AcceptContext {
  lastTimestamp(nodeKey: Uint8Array): Uint8Array | null;
  newSessionId(): number;
}

export interface Accepted {
  readonly response: Uint8Array;
  readonly session: ControlSession;
  // The initiation's TAI64N timestamp: the caller keeps it as the key's newest.
  readonly timestamp: Uint8Array;
}

export interface CoordinatorChannel {
  // The initiation's size and mac1 (addressed to this coordinator): no Curve25519 work.
  check(initiationBytes: Uint8Array): Initiation | CheckError;
  // The handshake proper (five X25519 operations), or null when it does not authenticate
  // (or replays a timestamp already seen).
  accept(initiation: Initiation, now: number, context: AcceptContext): Accepted | null;
}

export function createCoordinatorChannel(channelCrypto: ChannelCrypto, coordinator: LocalIdentity): CoordinatorChannel {
  const deps = controlNoise(channelCrypto);
  const checker = createCookieChecker(coordinator.publicKey, CONTROL_HANDSHAKE);
  return {
    check(initiationBytes) {
      const initiation = decodeInitiation(initiationBytes);
      if (initiation === null) return "malformed";
      if (!hasValidMac1(checker, initiationBytes)) return "not_for_this_coordinator";
      return initiation;
    },
    accept(initiation, now, context) {
      // The static-static DH is computed once, when the initiation names its key, and kept
      // for the response (which needs only the preshared key from it) — then wiped.
      let remote: RemoteIdentity | null = null;
      const consumed = consumeInitiation(deps, coordinator, initiation, (publicKey) => {
        remote = { publicKey, presharedKey: CONTROL_PRESHARED_KEY, staticStatic: deps.x25519.sharedSecret(coordinator.privateKey, publicKey) };
        return { remote, lastTimestamp: context.lastTimestamp(publicKey) };
      });
      const found = remote as RemoteIdentity | null;
      try {
        if (consumed === null || found === null) return null;
        const id = context.newSessionId();
        const created = createResponse(deps, found, consumed, id);
        if (created === null) return null;
        // mac1 as on every handshake message (whitepaper §5.4.4), under the node's key.
        addMacs(created.message, mac1Key(consumed.remoteStatic, CONTROL_HANDSHAKE), createCookieJar(), 0);
        return { response: created.message, session: new ControlSession(id, consumed.remoteStatic, deps.crypto, created.keys, now), timestamp: consumed.timestamp };
      } finally {
        found?.staticStatic?.fill(0);
      }
    },
  };
}
