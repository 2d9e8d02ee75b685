// Handshake messages arriving at the device (whitepaper §5.4.2–§5.4.7).
//
// Flow:
//   1. decode (exact length and type) and check mac1 — before any Curve25519 work;
//   2. under load: no valid mac2 → answer with a cookie reply instead; then rate-limit the
//      source (§5.3);
//   3. initiation → identify the peer, refuse replays and floods, answer with a response and
//      keep the new keypair as `next`; response → finish our pending handshake, make the
//      keypair `current`, confirm with data or a keepalive; cookie reply → keep the cookie;
//   4. the peer's endpoint follows the source of every authentic handshake message (roaming).

import { HANDSHAKE_INITIATION_RATE_MS } from "./constants.js";
import {
  addMacs,
  consumeCookieReply,
  createCookieReply,
  hasValidMac1,
  hasValidMac2,
} from "./cookie.js";
import { allocateIndex, drop, releaseKeypair, send, type DeviceContext } from "./device-context.js";
import { sendKeepalive } from "./device-transport.js";
import { Drop } from "./drop-reasons.js";
import type { Endpoint } from "../net/endpoint.js";
import { parseIpAddress } from "../net/ip-prefix.js";
import { encodeKey } from "./key-base64.js";
import {
  decodeCookieReply,
  decodeInitiation,
  decodeResponse,
  MESSAGE_COOKIE_REPLY,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  messageType,
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

// The bytes a cookie is bound to: the source IP address and port (big-endian).
function sourceBytes(from: Endpoint): Uint8Array {
  const address = parseIpAddress(from.host)?.bytes ?? new TextEncoder().encode(from.host);
  const bytes = new Uint8Array(address.length + 2);
  bytes.set(address);
  new DataView(bytes.buffer).setUint16(address.length, from.port);
  return bytes;
}

export function handleHandshakeMessage(ctx: DeviceContext, now: number, bytes: Uint8Array, from: Endpoint): void {
  const type = messageType(bytes);
  if (type === MESSAGE_COOKIE_REPLY) return handleCookieReply(ctx, now, bytes);
  const message = type === MESSAGE_INITIATION ? decodeInitiation(bytes) : type === MESSAGE_RESPONSE ? decodeResponse(bytes) : null;
  if (message === null) return drop(ctx, null, Drop.malformedHandshake);
  if (ctx.cookieChecker === null || ctx.local === null) return drop(ctx, null, Drop.noPrivateKey);
  if (!hasValidMac1(ctx.cookieChecker, bytes)) return drop(ctx, null, Drop.badMac1);

  ctx.load.record(now);
  if (ctx.load.underLoad(now)) {
    const source = sourceBytes(from);
    if (!hasValidMac2(ctx.cookieChecker, bytes, source, now)) {
      const reply = createCookieReply(ctx.deps.crypto, ctx.deps.random, ctx.cookieChecker, bytes, message.senderIndex, source, now);
      ctx.actions.push({ type: "send", to: from, datagram: reply });
      return;
    }
    if (!ctx.rateLimiter.allow(now, from.host)) return drop(ctx, null, Drop.rateLimited);
  }
  if (type === MESSAGE_INITIATION) handleInitiation(ctx, now, message as Initiation, bytes, from);
  else handleResponse(ctx, now, message as Response, bytes, from);
}

function authenticatedFrom(now: number, peer: Peer, bytes: Uint8Array, from: Endpoint): void {
  peer.endpoint = from;
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
  beginSession(peer, keypair, ctx.deps.transport, (k) => releaseKeypair(ctx, k));
  onSessionDerived(peer.timers, now);
  return true;
}

function handleInitiation(ctx: DeviceContext, now: number, initiation: Initiation, bytes: Uint8Array, from: Endpoint): void {
  const consumed = consumeInitiation(ctx.noise, ctx.local!, initiation, (publicKey) => {
    const peer = ctx.peersById.get(encodeKey(publicKey));
    return peer === undefined ? null : { remote: peer.remote, lastTimestamp: peer.lastTimestamp };
  });
  if (consumed === null) return drop(ctx, null, Drop.handshakeFailed);
  const peer = ctx.peersById.get(encodeKey(consumed.remoteStatic))!;
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
  }
}
