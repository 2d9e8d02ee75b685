// Handshake messages arriving at the device (whitepaper §5.3, §5.4.2–§5.4.7).
//
// Flow:
//   receive (every datagram, no cryptography): a cookie reply is handled at once (it needs a
//   receiver index we are waiting on before any cryptography); an initiation or response of the
//   exact length waits in the handshake queue, or is dropped and counted when the queue is full;
//   work (every device call, oldest first, while the handshake budget lasts):
//   1. check mac1 — before any Curve25519 work;
//   2. under load (load-meter.ts): no valid mac2 → answer with a cookie reply instead; a valid
//      one → the source's rate limit (§5.3);
//   3. initiation → identify the peer, refuse replays and floods, answer with a response and
//      keep the new keypair as `next`; response → finish our pending handshake, make the
//      keypair `current`, confirm with data or a keepalive;
//   4. the peer's endpoint follows the source of every authentic handshake message (roaming).

import { HANDSHAKE_INITIATION_RATE_MS, REJECT_AFTER_TIME_MS } from "./constants.js";
import {
  addMacs,
  consumeCookieReply,
  createCookieReply,
  createCookieSource,
  hasValidMac1,
  hasValidMac2,
  type CookieSource,
} from "./cookie.js";
import { allocateIndex, drop, noteDeadline, send, type DeviceContext } from "./device-context.js";
import { sendKeepalive } from "./device-transport.js";
import { Drop } from "./drop-reasons.js";
import type { Endpoint } from "../net/endpoint.js";
import { parseIpAddress } from "../net/ip-prefix.js";
import { CHECK_COST_US, COOKIE_REPLY_COST_US, NOISE_COST_US } from "./handshake-budget.js";
import { sourceKey } from "./handshake-rate-limiter.js";
import { encodeKey } from "./key-base64.js";
import {
  decodeCookieReply,
  decodeInitiation,
  decodeResponse,
  INITIATION_BYTES,
  MESSAGE_COOKIE_REPLY,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  messageType,
  RESPONSE_BYTES,
  senderIndexOf,
  type Initiation,
  type Response,
} from "./messages.js";
import { consumeInitiation, consumeResponse, createResponse, forgetEphemeral } from "./noise.js";
import { beginSession, type Keypair, type Peer } from "./peer.js";
import {
  onAuthenticatedPacketReceived,
  onAuthenticatedPacketSent,
  onAuthenticatedTraversal,
  onHandshakeComplete,
  onSessionDerived,
} from "./timers.js";

// What the DoS checks need of a source: its cookie state (cookie.ts) and the rate limiter's
// key. Endpoints are reused objects (src/io caches them per address), so this is worked out
// once per endpoint, not per message (ctx.handshakeSources, a WeakMap: it lets go of endpoints
// nobody holds any more).
export interface HandshakeSource {
  readonly cookie: CookieSource;
  readonly limiterKey: string;
}

function sourceOf(ctx: DeviceContext, from: Endpoint): HandshakeSource {
  let source = ctx.handshakeSources.get(from);
  if (source === undefined) {
    const address = parseIpAddress(from.host);
    const bytes = address?.bytes ?? new TextEncoder().encode(from.host);
    const cookieBytes = new Uint8Array(bytes.length + 2);
    cookieBytes.set(bytes);
    new DataView(cookieBytes.buffer).setUint16(bytes.length, from.port);
    source = { cookie: createCookieSource(cookieBytes), limiterKey: address === null ? from.host : sourceKey(address) };
    ctx.handshakeSources.set(from, source);
  }
  return source;
}

// The receive side: no cryptography here (see the flow above).
export function receiveHandshakeMessage(ctx: DeviceContext, now: number, bytes: Uint8Array, from: Endpoint): void {
  const type = messageType(bytes);
  if (type === MESSAGE_COOKIE_REPLY) return handleCookieReply(ctx, now, bytes);
  const wellFormed = (type === MESSAGE_INITIATION && bytes.length === INITIATION_BYTES) || (type === MESSAGE_RESPONSE && bytes.length === RESPONSE_BYTES);
  if (!wellFormed) return drop(ctx, null, Drop.malformedHandshake);
  if (!ctx.handshakeQueue.push(now, bytes, from)) drop(ctx, null, Drop.handshakeQueueFull);
}

// The work side: queued messages, oldest first, while the budget lasts. What is left waits for
// the next call (the device's nextDeadline says when the budget allows).
export function processHandshakeQueue(ctx: DeviceContext, now: number): void {
  while (ctx.handshakeQueue.length > 0 && ctx.handshakeBudget.canWork(now)) {
    const queued = ctx.handshakeQueue.take()!;
    ctx.handshakeBudget.spend(handleHandshakeMessage(ctx, now, queued.bytes, queued.from));
  }
}

// Steps 1–3 for one queued initiation or response (length and type already checked). Returns
// what it cost, in the budget's estimated microseconds.
function handleHandshakeMessage(ctx: DeviceContext, now: number, bytes: Uint8Array, from: Endpoint): number {
  if (ctx.cookieChecker === null || ctx.local === null) {
    drop(ctx, null, Drop.noPrivateKey);
    return CHECK_COST_US;
  }
  if (!hasValidMac1(ctx.cookieChecker, bytes)) {
    drop(ctx, null, Drop.badMac1);
    return CHECK_COST_US;
  }
  if (ctx.load.record(now, ctx.handshakeQueue.length)) {
    const source = sourceOf(ctx, from);
    if (!hasValidMac2(ctx.cookieChecker, bytes, source.cookie, now)) {
      const reply = createCookieReply(ctx.deps.crypto, ctx.deps.random, ctx.cookieChecker, bytes, senderIndexOf(bytes), source.cookie, now);
      ctx.output.actions.push({ type: "send", to: from, datagram: reply });
      ctx.cookieStats.repliesSent++;
      return CHECK_COST_US + COOKIE_REPLY_COST_US;
    }
    ctx.cookieStats.validMac2++;
    const decision = ctx.rateLimiter.allow(now, source.limiterKey);
    if (decision !== "allowed") {
      drop(ctx, null, decision === "full" ? Drop.rateLimiterFull : Drop.rateLimited);
      return CHECK_COST_US;
    }
  }
  if (messageType(bytes) === MESSAGE_INITIATION) handleInitiation(ctx, now, decodeInitiation(bytes)!, bytes, from);
  else handleResponse(ctx, now, decodeResponse(bytes)!, bytes, from);
  return CHECK_COST_US + NOISE_COST_US;
}

function authenticatedFrom(now: number, peer: Peer, bytes: Uint8Array, from: Endpoint): void {
  if (peer.roaming) peer.endpoint = from;
  peer.stats.rxBytes += bytes.length;
  onAuthenticatedTraversal(peer.timers, now);
  onAuthenticatedPacketReceived(peer.timers);
}

function installKeypair(
  ctx: DeviceContext,
  now: number,
  peer: Peer,
  keys: { send: Uint8Array; receive: Uint8Array },
  localIndex: number,
  remoteIndex: number,
  isInitiator: boolean,
): boolean {
  const slot = ctx.keypairSlots.take();
  if (slot === null) {
    ctx.indices.delete(localIndex);
    drop(ctx, peer, Drop.noKeypairSlot);
    return false;
  }
  ctx.deps.transport.installKeypair(slot, { sendKey: keys.send, receiveKey: keys.receive, localIndex, remoteIndex, peer: peer.number });
  keys.send.fill(0);
  keys.receive.fill(0);
  ctx.indices.set(localIndex, { peer, kind: "keypair" });
  const keypair: Keypair = { slot, localIndex, remoteIndex, createdAt: now, isInitiator };
  beginSession(peer, keypair, ctx.deps.transport, ctx.release);
  onSessionDerived(peer.timers, now);
  noteDeadline(ctx, now + REJECT_AFTER_TIME_MS); // when the new keypair expires
  peer.stats.handshakes++;
  return true;
}

function handleInitiation(ctx: DeviceContext, now: number, initiation: Initiation, bytes: Uint8Array, from: Endpoint): void {
  // The peer found by its decrypted static key, kept for after consumeInitiation (which
  // returns that key only if it accepted the initiation).
  let found: Peer | undefined;
  const consumed = consumeInitiation(ctx.noise, ctx.local!, initiation, (publicKey) => {
    found = ctx.peersById.get(encodeKey(publicKey));
    return found === undefined ? null : { remote: found.remote, lastTimestamp: found.lastTimestamp };
  });
  if (consumed === null || found === undefined) return drop(ctx, null, Drop.handshakeFailed);
  const peer = found;
  if (peer.lastInitiationConsumedAt !== null && now - peer.lastInitiationConsumedAt < HANDSHAKE_INITIATION_RATE_MS) {
    return drop(ctx, peer, Drop.initiationFlood);
  }
  peer.lastTimestamp = consumed.timestamp;
  peer.lastInitiationConsumedAt = now;
  authenticatedFrom(now, peer, bytes, from);

  const localIndex = allocateIndex(ctx, peer, "keypair");
  const response = createResponse(ctx.noise, peer.remote, consumed, localIndex);
  if (response === null) {
    ctx.indices.delete(localIndex);
    return drop(ctx, peer, Drop.handshakeFailed);
  }
  if (!installKeypair(ctx, now, peer, response.keys, localIndex, consumed.remoteIndex, false)) return;
  addMacs(response.message, peer.mac1Key, peer.cookieJar, now);
  onAuthenticatedTraversal(peer.timers, now);
  onAuthenticatedPacketSent(peer.timers);
  send(ctx, peer, response.message);
}

function handleResponse(ctx: DeviceContext, now: number, response: Response, bytes: Uint8Array, from: Endpoint): void {
  const entry = ctx.indices.get(response.receiverIndex);
  const peer = entry?.kind === "handshake" ? entry.peer : null;
  const pending = peer?.pending ?? null;
  if (peer === null || pending === null || pending.localIndex !== response.receiverIndex) {
    return drop(ctx, peer, Drop.unexpectedResponse);
  }
  const keys = consumeResponse(ctx.noise, ctx.local!, peer.remote, pending, response);
  if (keys === null) return drop(ctx, peer, Drop.handshakeFailed);
  forgetEphemeral(ctx.noise, pending.ephemeralPrivate);
  peer.pending = null;
  authenticatedFrom(now, peer, bytes, from);
  if (!installKeypair(ctx, now, peer, keys, response.receiverIndex, response.senderIndex, true)) return;
  onHandshakeComplete(peer.timers);
  peer.stats.lastHandshakeWallMs = ctx.deps.wallClock();
  // The responder holds the keypair as `next` until data arrives with it: confirm now.
  sendKeepalive(ctx, now, peer);
}

function handleCookieReply(ctx: DeviceContext, now: number, bytes: Uint8Array): void {
  const reply = decodeCookieReply(bytes);
  if (reply === null) return drop(ctx, null, Drop.malformedHandshake);
  const peer = ctx.indices.get(reply.receiverIndex)?.peer ?? null;
  if (peer === null || !consumeCookieReply(ctx.deps.crypto, reply, peer.cookieKey, peer.cookieJar, now)) {
    drop(ctx, peer, Drop.badCookieReply);
    return;
  }
  ctx.cookieStats.repliesConsumed++;
}
