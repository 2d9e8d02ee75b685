// The WireGuard handshake: Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s with WireGuard's identifier
// and labels (whitepaper §5.4.2–§5.4.5). Pure: keys, randomness and the wall clock come in as
// arguments; the functions return messages and state, and null for anything not authentic.
//
// Handshake flow:
//   1. initiator: createInitiation → initiation (MACs added by the caller, cookie.ts);
//   2. responder: consumeInitiation (identifies the peer by its decrypted static key, checks
//      the TAI64N timestamp is newer than the last accepted), then createResponse → response
//      and its transport keys (held back until the initiator's first data packet confirms);
//   3. initiator: consumeResponse → transport keys.
// MACs and cookies (whitepaper §5.4.4, §5.4.7) are cookie.ts; timers decide when to do this.

import { NONCE_BYTES, TAG_BYTES } from "../dataplane/core-constants.js";
import type { CryptoCore } from "../dataplane/crypto-core.js";
import { hash, kdf1, kdf2, kdf3 } from "./kdf.js";
import { encodeInitiation, encodeResponse, type Initiation, type Response } from "./messages.js";
import type { RandomSource } from "./random-source.js";
import { compareTai64n, tai64n } from "./tai64n.js";
import type { EphemeralKeyPair, X25519 } from "./x25519.js";

// The handshake's domain: its initial chaining key and hash, Ci := HASH(CONSTRUCTION) and
// Hi := HASH(Ci ‖ IDENTIFIER) (whitepaper §5.4; IDENTIFIER is the Noise prologue), and the label
// of its mac1 key (cookie.ts). Two protocols that share a static key but not these values
// derive unrelated keys from the same DH results, so a message of one is never valid in the
// other. Precomputed (nothing runs at import time); test/wireguard/kdf.test.ts recomputes them.
export interface HandshakeProtocol {
  readonly initialChainingKey: Uint8Array;
  readonly initialHash: Uint8Array;
  readonly mac1Label: Uint8Array;
}

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "hex"));
const CHAINING_KEY_IKPSK2 = hex("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");

// CONSTRUCTION = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s", IDENTIFIER = "WireGuard v1 zx2c4 Jason@zx2c4.com",
// mac1 label "mac1----": the data plane, byte-compatible with every WireGuard.
export const WIREGUARD_HANDSHAKE: HandshakeProtocol = {
  initialChainingKey: CHAINING_KEY_IKPSK2,
  initialHash: hex("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3"),
  mac1Label: new TextEncoder().encode("mac1----"),
};

// The same construction with IDENTIFIER = "meshgate control v1" and mac1 label "mgctl-m1": the
// control channel between a node and its coordinator (src/mesh/control-channel.ts), which
// uses the node's WireGuard key as its static key. See src/mesh/README.md for why that is safe.
export const CONTROL_HANDSHAKE: HandshakeProtocol = {
  initialChainingKey: CHAINING_KEY_IKPSK2,
  initialHash: hex("624ca3063b0316c3b41fcc6b1c3cb248da1bf2ca4592586846572172d4b56b08"),
  mac1Label: new TextEncoder().encode("mgctl-m1"),
};

// The handshake's AEAD uses counter 0 every time (each key is used once): a zero nonce.
const ZERO_NONCE = new Uint8Array(NONCE_BYTES);
const EMPTY = new Uint8Array(0);
export const ZERO_KEY = new Uint8Array(32);

export interface NoiseDeps {
  readonly protocol: HandshakeProtocol;
  readonly crypto: CryptoCore;
  readonly x25519: X25519;
  readonly random: RandomSource;
}

export interface LocalIdentity {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export interface RemoteIdentity {
  readonly publicKey: Uint8Array;
  // Q in the whitepaper; 32 zero bytes when the peer has none.
  readonly presharedKey: Uint8Array;
  // DH(Spriv_local, Spub_remote), computed once per peer; null if the key is low-order,
  // in which case no handshake with this peer can succeed.
  readonly staticStatic: Uint8Array | null;
}

// What the initiator keeps between sending the initiation and receiving the response.
export interface InitiatorState {
  readonly localIndex: number;
  readonly hash: Uint8Array;
  readonly chainingKey: Uint8Array;
  readonly ephemeralPrivate: EphemeralKeyPair;
}

// What the responder learned from an initiation.
export interface ConsumedInitiation {
  readonly remoteIndex: number;
  readonly remoteStatic: Uint8Array;
  readonly remoteEphemeral: Uint8Array;
  readonly timestamp: Uint8Array;
  readonly hash: Uint8Array;
  readonly chainingKey: Uint8Array;
}

export interface TransportKeys {
  readonly send: Uint8Array;
  readonly receive: Uint8Array;
}

// Secrets a step is done with (DH results, message keys) are zeroed at once; what the platform
// copies out of reach is listed in x25519.ts and kdf.ts.
function wipe(...secrets: (Uint8Array | null)[]): void {
  for (const secret of secrets) secret?.fill(0);
}

// 1. Initiation (whitepaper §5.4.2). Returns the message without MACs, or null if the peer's
// static key is low-order.
export function createInitiation(
  deps: NoiseDeps,
  local: LocalIdentity,
  remote: RemoteIdentity,
  localIndex: number,
  wallClockMs: number,
): { message: Uint8Array; state: InitiatorState } | null {
  if (remote.staticStatic === null) return null;
  let h = hash(deps.protocol.initialHash, remote.publicKey);
  const ephemeral = deps.x25519.generateEphemeral(deps.random);
  let [c] = kdf1(deps.protocol.initialChainingKey, ephemeral.publicKey);
  h = hash(h, ephemeral.publicKey);
  const es = deps.x25519.sharedSecret(ephemeral, remote.publicKey);
  if (es === null) {
    forgetEphemeral(deps, ephemeral);
    return null;
  }
  let k: Uint8Array;
  [c, k] = kdf2(c, es);
  const encryptedStatic = deps.crypto.seal(k, ZERO_NONCE, local.publicKey, h);
  wipe(es, k);
  h = hash(h, encryptedStatic);
  [c, k] = kdf2(c, remote.staticStatic);
  const encryptedTimestamp = deps.crypto.seal(k, ZERO_NONCE, tai64n(wallClockMs), h);
  wipe(k);
  h = hash(h, encryptedTimestamp);
  const message = encodeInitiation({ senderIndex: localIndex, ephemeral: ephemeral.publicKey, encryptedStatic, encryptedTimestamp });
  return { message, state: { localIndex, hash: h, chainingKey: c, ephemeralPrivate: ephemeral } };
}

// 2a. Responder side of the initiation. `findRemote` maps the decrypted static key to the
// configured peer (null: unknown → drop); `lastTimestamp` is the newest timestamp accepted
// from that peer (replayed or older initiations are refused, §5.1).
export function consumeInitiation(
  deps: NoiseDeps,
  local: LocalIdentity,
  initiation: Initiation,
  findRemote: (publicKey: Uint8Array) => { remote: RemoteIdentity; lastTimestamp: Uint8Array | null } | null,
): ConsumedInitiation | null {
  let h = hash(deps.protocol.initialHash, local.publicKey);
  let [c] = kdf1(deps.protocol.initialChainingKey, initiation.ephemeral);
  h = hash(h, initiation.ephemeral);
  const es = deps.x25519.sharedSecret(local.privateKey, initiation.ephemeral);
  if (es === null) return null;
  let k: Uint8Array;
  [c, k] = kdf2(c, es);
  const remoteStatic = deps.crypto.open(k, ZERO_NONCE, initiation.encryptedStatic, h);
  wipe(es, k);
  if (remoteStatic === null) return null;
  h = hash(h, initiation.encryptedStatic);
  const known = findRemote(remoteStatic);
  if (known === null || known.remote.staticStatic === null) return null;
  [c, k] = kdf2(c, known.remote.staticStatic);
  const timestamp = deps.crypto.open(k, ZERO_NONCE, initiation.encryptedTimestamp, h);
  wipe(k);
  if (timestamp === null) return null;
  if (known.lastTimestamp !== null && compareTai64n(timestamp, known.lastTimestamp) <= 0) return null;
  h = hash(h, initiation.encryptedTimestamp);
  return {
    remoteIndex: initiation.senderIndex,
    remoteStatic: Uint8Array.from(remoteStatic),
    remoteEphemeral: Uint8Array.from(initiation.ephemeral),
    timestamp: Uint8Array.from(timestamp),
    hash: h,
    chainingKey: c,
  };
}

// The part of the response both sides compute alike (whitepaper §5.4.3): mix in DH(e_r, e_i)
// and DH(e_r, s_i) (each side from its own private half), then the preshared key. null when a
// DH result was all zeros (a low-order key).
function mixResponse(
  chainingKey: Uint8Array,
  handshakeHash: Uint8Array,
  ephemeralEphemeral: Uint8Array | null,
  ephemeralStatic: Uint8Array | null,
  presharedKey: Uint8Array,
): { chainingKey: Uint8Array; hash: Uint8Array; key: Uint8Array } | null {
  if (ephemeralEphemeral === null || ephemeralStatic === null) {
    wipe(ephemeralEphemeral, ephemeralStatic);
    return null;
  }
  const [afterEe] = kdf1(chainingKey, ephemeralEphemeral);
  const [afterSe] = kdf1(afterEe, ephemeralStatic);
  const [next, tau, key] = kdf3(afterSe, presharedKey);
  wipe(ephemeralEphemeral, ephemeralStatic, afterEe, afterSe);
  return { chainingKey: next, hash: hash(handshakeHash, tau), key };
}

// 2b. Response (whitepaper §5.4.3) and the responder's transport keys (§5.4.5). Uses up
// `consumed` (its chaining key is zeroed).
export function createResponse(
  deps: NoiseDeps,
  remote: RemoteIdentity,
  consumed: ConsumedInitiation,
  localIndex: number,
): { message: Uint8Array; keys: TransportKeys } | null {
  const ephemeral = deps.x25519.generateEphemeral(deps.random);
  const [c] = kdf1(consumed.chainingKey, ephemeral.publicKey);
  const h = hash(consumed.hash, ephemeral.publicKey);
  const mixed = mixResponse(
    c,
    h,
    deps.x25519.sharedSecret(ephemeral, consumed.remoteEphemeral),
    deps.x25519.sharedSecret(ephemeral, consumed.remoteStatic),
    remote.presharedKey,
  );
  forgetEphemeral(deps, ephemeral);
  wipe(c, consumed.chainingKey);
  if (mixed === null) return null;
  const encryptedNothing = deps.crypto.seal(mixed.key, ZERO_NONCE, EMPTY, mixed.hash);
  const message = encodeResponse({
    senderIndex: localIndex,
    receiverIndex: consumed.remoteIndex,
    ephemeral: ephemeral.publicKey,
    encryptedNothing,
  });
  const [receive, send] = kdf2(mixed.chainingKey, EMPTY);
  wipe(mixed.key, mixed.chainingKey);
  return { message, keys: { send, receive } };
}

// 3. Initiator side of the response: the transport keys, or null if not authentic.
export function consumeResponse(
  deps: NoiseDeps,
  local: LocalIdentity,
  remote: RemoteIdentity,
  state: InitiatorState,
  response: Response,
): TransportKeys | null {
  const [c] = kdf1(state.chainingKey, response.ephemeral);
  const h = hash(state.hash, response.ephemeral);
  const mixed = mixResponse(
    c,
    h,
    deps.x25519.sharedSecret(state.ephemeralPrivate, response.ephemeral),
    deps.x25519.sharedSecret(local.privateKey, response.ephemeral),
    remote.presharedKey,
  );
  wipe(c);
  if (mixed === null) return null;
  const authentic = deps.crypto.open(mixed.key, ZERO_NONCE, response.encryptedNothing, mixed.hash) !== null;
  wipe(mixed.key);
  if (response.encryptedNothing.length !== TAG_BYTES || !authentic) {
    wipe(mixed.chainingKey);
    return null;
  }
  const [send, receive] = kdf2(mixed.chainingKey, EMPTY);
  wipe(mixed.chainingKey, state.chainingKey);
  return { send, receive };
}

// An ephemeral key pair is done with: destroyed (forward secrecy, whitepaper §5.4.2:
// ephemerals are erased after use).
export function forgetEphemeral(deps: Pick<NoiseDeps, "x25519">, ephemeral: EphemeralKeyPair): void {
  deps.x25519.forget(ephemeral);
}
