// The UDP peer relay's core, sans I/O (`meshgate up --relay-port N`; frames in
// udp-relay-protocol.ts). handle(now, datagram, from) → the datagram to send back, if any:
//
//   1. bind(key) from address A: the source's rate limit, isAllowed(key) (a peer in the relay
//      node's netmap), then challenge(cookie = MAC(secret, A ‖ key)). No state is kept: a
//      spoofed bind costs one MAC and gets a reply smaller than itself (21 < 37 bytes).
//   2. bindConfirm(key, cookie, proof) from A: the rate limit, isAllowed, the cookie under the
//      current or previous secret (so it is for A and this key: a bindConfirm replayed from
//      another address fails here), the global proof budget, then the proof (one X25519, one
//      MAC): key ↔ A is bound for 30 s — a newer binding of the key, or of the address, wins
//      — and bound(30) goes back.
//   3. send(destination, packet) from a bound address → recv(source key, packet) to the
//      destination's bound address, rewritten in place. Anything from an unbound address, or
//      to an unbound key, drops (counted): the relay forwards only between proven keys.
//
// The secret rotates every 2 minutes (a cookie lives 2 to 4 minutes; a client uses its own
// within a round trip). Nothing from the network throws; refusals are counted by reason and
// logged at a bounded rate.

import { formatEndpoint, type Endpoint } from "../net/endpoint.js";
import { parseIpAddress } from "../net/ip-prefix.js";
import { createMac, type MacUnderKey } from "../wireguard/kdf.js";
import type { RandomSource } from "../wireguard/random-source.js";
import type { X25519 } from "../wireguard/x25519.js";
import { createRelayLog, keyHint } from "./relay-log.js";
import { equalMacs, relayPairKey, relayProof, UDP_RELAY_LABEL } from "./relay-proof.js";
import { KeyedTokenBuckets, sourceGroup, TokenBucket, type Rate } from "./relay-rate-limit.js";
import { encodeBound, encodeChallenge, parseUdpRelayFrame, rewriteSendAsRecv, UDP_NODE_KEY_BYTES } from "./udp-relay-protocol.js";

export interface UdpRelayServerLimits {
  readonly bindingLifetimeMs: number;
  readonly maxBindings: number;
  readonly secretRotationMs: number;
  // bind and bindConfirm per source (an IPv4 address or an IPv6 /64).
  readonly perSource: Rate;
  readonly trackedSources: number;
  // Proof checks (one X25519 each) for all sources together.
  readonly proofBudget: Rate;
}

// The numbers: a client re-binds every 20 s (two frames), so 4/s with a burst of 16 leaves room
// for a household of nodes behind one NAT; 200 proofs/s (~10 ms of CPU per second) re-binds
// 4,000 clients; 1,024 bindings is more peers than a home relay node serves.
export const DEFAULT_UDP_RELAY_SERVER_LIMITS: UdpRelayServerLimits = {
  bindingLifetimeMs: 30_000,
  maxBindings: 1_024,
  secretRotationMs: 120_000,
  perSource: { perSecond: 4, burst: 16 },
  trackedSources: 4_096,
  proofBudget: { perSecond: 200, burst: 200 },
};

export interface UdpRelayServerDeps {
  // The relay node's own key (its WireGuard key).
  readonly identity: { readonly privateKey: Uint8Array; readonly publicKey: Uint8Array };
  readonly x25519: X25519;
  readonly random: RandomSource; // cookie secrets
  // May this key bind? (a peer in the relay node's netmap)
  readonly isAllowed: (nodeKey: Uint8Array) => boolean;
  readonly log: (line: string) => void;
  readonly limits?: Partial<UdpRelayServerLimits>;
  // When the core is made (monotonic ms): the first secret's and the proof budget's start.
  readonly createdAt: number;
}

export interface UdpRelayDatagram {
  readonly bytes: Uint8Array;
  readonly to: Endpoint;
}

export interface UdpRelayServerCounters {
  binds: number;
  bound: number;
  forwarded: number;
  forwardedBytes: number;
  malformed: number;
  unexpected: number;
  rateLimited: number;
  notAllowed: number;
  badCookie: number;
  badProof: number;
  proofBusy: number;
  bindingsFull: number;
  notBound: number;
  destinationNotBound: number;
}

export interface UdpRelayServerStats extends UdpRelayServerCounters {
  readonly bindings: number;
  readonly trackedSources: number;
}

export interface UdpRelayServer {
  readonly publicKey: Uint8Array;
  // One datagram from `from`; what to send back, if anything. A send is forwarded by rewriting
  // `datagram` in place: the result's bytes are `datagram` (the caller's to give away).
  handle(now: number, datagram: Uint8Array, from: Endpoint): UdpRelayDatagram | null;
  // Expired bindings go; the log's summary comes out (every few seconds).
  tick(now: number): void;
  // The allowed set changed (a new netmap): bindings of keys no longer allowed go now.
  revalidate(): void;
  stats(): UdpRelayServerStats;
}

interface Binding {
  readonly key: Uint8Array;
  readonly keyText: string;
  address: Endpoint;
  addressText: string;
  expiresAt: number;
}

const keyText = (key: Uint8Array): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("base64");
const addressText = (address: Endpoint): string => `${address.host}|${address.port}`;

// The cookie's message: family (1) ‖ port (u16 BE) ‖ address (16; IPv4 in the first 4) ‖ key.
function cookieMessage(address: Endpoint, key: Uint8Array): Uint8Array | null {
  const ip = parseIpAddress(address.host);
  if (ip === null) return null;
  const message = new Uint8Array(1 + 2 + 16 + UDP_NODE_KEY_BYTES);
  message[0] = ip.family;
  message[1] = address.port >> 8;
  message[2] = address.port & 0xff;
  message.set(ip.bytes, 3);
  message.set(key, 19);
  return message;
}

export function createUdpRelayServer(deps: UdpRelayServerDeps): UdpRelayServer {
  const limits: UdpRelayServerLimits = { ...DEFAULT_UDP_RELAY_SERVER_LIMITS, ...deps.limits };
  const byKey = new Map<string, Binding>();
  const byAddress = new Map<string, Binding>();
  const perSource = new KeyedTokenBuckets(limits.perSource, limits.trackedSources);
  const proofBudget = new TokenBucket(limits.proofBudget, deps.createdAt);
  const log = createRelayLog("udp relay", deps.log);
  const counters: UdpRelayServerCounters = {
    binds: 0, bound: 0, forwarded: 0, forwardedBytes: 0, malformed: 0, unexpected: 0, rateLimited: 0, notAllowed: 0,
    badCookie: 0, badProof: 0, proofBusy: 0, bindingsFull: 0, notBound: 0, destinationNotBound: 0,
  };
  const newSecret = (): MacUnderKey => {
    const bytes = deps.random.bytes(32);
    const keyed = createMac(bytes);
    bytes.fill(0);
    return keyed;
  };
  let secret = newSecret();
  let previousSecret: MacUnderKey | null = null;
  let rotateAt = deps.createdAt + limits.secretRotationMs;

  const refuse = (now: number, reason: keyof UdpRelayServerCounters, from: Endpoint, detail: string): null => {
    counters[reason]++;
    log.note(now, reason, `${formatEndpoint(from)}: ${detail}`);
    return null;
  };

  const unbind = (binding: Binding): void => {
    if (byKey.get(binding.keyText) === binding) byKey.delete(binding.keyText);
    if (byAddress.get(binding.addressText) === binding) byAddress.delete(binding.addressText);
  };

  const live = (binding: Binding | undefined, now: number): Binding | null => {
    if (binding === undefined) return null;
    if (binding.expiresAt > now) return binding;
    unbind(binding);
    return null;
  };

  const expire = (now: number): void => {
    for (const binding of byKey.values()) if (binding.expiresAt <= now) unbind(binding);
  };

  const bind = (now: number, key: Uint8Array, from: Endpoint): boolean => {
    const text = keyText(key);
    const fromText = addressText(from);
    let binding = byKey.get(text);
    if (binding === undefined && byKey.size >= limits.maxBindings) {
      expire(now);
      if (byKey.size >= limits.maxBindings) return false;
    }
    const atAddress = byAddress.get(fromText);
    if (atAddress !== undefined && atAddress !== binding) unbind(atAddress); // the address moved to another key
    if (binding === undefined) {
      binding = { key: key.slice(), keyText: text, address: from, addressText: fromText, expiresAt: 0 };
      byKey.set(text, binding);
    } else if (binding.addressText !== fromText) {
      byAddress.delete(binding.addressText); // the key moved (a NAT rebinding)
      binding.address = from;
      binding.addressText = fromText;
    }
    binding.expiresAt = now + limits.bindingLifetimeMs;
    byAddress.set(fromText, binding);
    return true;
  };

  const forward = (now: number, datagram: Uint8Array, destination: Uint8Array, packetBytes: number, from: Endpoint): UdpRelayDatagram | null => {
    const sender = live(byAddress.get(addressText(from)), now);
    if (sender === null) return refuse(now, "notBound", from, "a send from an address with no live binding");
    const receiver = live(byKey.get(keyText(destination)), now);
    if (receiver === null) {
      counters.destinationNotBound++; // routine (the peer went away): counted, not logged
      return null;
    }
    counters.forwarded++;
    counters.forwardedBytes += packetBytes;
    return { bytes: rewriteSendAsRecv(datagram, sender.key), to: receiver.address };
  };

  return {
    publicKey: deps.identity.publicKey,

    handle(now, datagram, from) {
      if (now >= rotateAt) {
        previousSecret = secret;
        secret = newSecret();
        rotateAt = now + limits.secretRotationMs;
      }
      const frame = parseUdpRelayFrame(datagram);
      if (frame === null) return refuse(now, "malformed", from, `a malformed datagram of ${datagram.length} bytes`);
      if (frame.type === "send") return forward(now, datagram, frame.key, frame.packet.length, from);
      if (frame.type !== "bind" && frame.type !== "bindConfirm") return refuse(now, "unexpected", from, `a ${frame.type} frame, which only a relay sends`);
      if (!perSource.take(sourceGroup(from.host), now)) return refuse(now, "rateLimited", from, `too many ${frame.type} frames from this source`);
      if (!deps.isAllowed(frame.key)) return refuse(now, "notAllowed", from, `${keyHint(keyText(frame.key))} is not a peer of this relay`);
      const message = cookieMessage(from, frame.key);
      if (message === null) return refuse(now, "malformed", from, "a source that is not an IP address");
      if (frame.type === "bind") {
        counters.binds++;
        return { bytes: encodeChallenge(secret(message)), to: from };
      }
      if (!equalMacs(secret(message), frame.cookie) && (previousSecret === null || !equalMacs(previousSecret(message), frame.cookie))) {
        return refuse(now, "badCookie", from, "a bindConfirm whose cookie is not for this address and key (or too old)");
      }
      if (!proofBudget.take(now)) return refuse(now, "proofBusy", from, "the proof budget is spent");
      const pairKey = relayPairKey(deps.x25519, deps.identity.privateKey, frame.key, UDP_RELAY_LABEL);
      const expected = pairKey === null ? null : relayProof(pairKey, frame.cookie);
      pairKey?.fill(0);
      if (expected === null || !equalMacs(expected, frame.proof)) return refuse(now, "badProof", from, `a wrong proof for ${keyHint(keyText(frame.key))}`);
      if (!bind(now, frame.key, from)) return refuse(now, "bindingsFull", from, `all ${limits.maxBindings} bindings are in use`);
      counters.bound++;
      return { bytes: encodeBound(Math.floor(limits.bindingLifetimeMs / 1000)), to: from };
    },

    tick(now) {
      expire(now);
      log.flush(now);
    },

    revalidate() {
      for (const binding of byKey.values()) if (!deps.isAllowed(binding.key)) unbind(binding);
    },

    stats: () => ({ ...counters, bindings: byKey.size, trackedSources: perSource.size }),
  };
}
