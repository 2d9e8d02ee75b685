// Sending a handshake initiation (whitepaper §5.4.2, §6.4): at most one per REKEY_TIMEOUT per
// peer, a fresh random index each time, MACs added, retransmission timer armed.

import { REKEY_TIMEOUT_MS } from "./constants.js";
import { addMacs } from "./cookie.js";
import { allocateIndex, discardPending, drop, send, type DeviceContext } from "./device-context.js";
import { Drop } from "./drop-reasons.js";
import { createInitiation } from "./noise.js";
import type { Peer } from "./peer.js";
import { onAuthenticatedPacketSent, onAuthenticatedTraversal, onHandshakeInitiated } from "./timers.js";

export function sendInitiation(ctx: DeviceContext, now: number, peer: Peer, isRetry: boolean): void {
  if (!isRetry) peer.timers.handshakeAttempts = 0;
  if (peer.lastInitiationSentAt !== null && now - peer.lastInitiationSentAt < REKEY_TIMEOUT_MS) return;
  if (ctx.local === null) return;
  peer.lastInitiationSentAt = now;
  discardPending(ctx, peer);
  // Without an endpoint there is nowhere to send, but the retransmission timer still runs,
  // so the handshake goes out as soon as an endpoint is set (wireguard-go behaves the same).
  if (peer.endpoint === null) {
    drop(ctx, peer, Drop.noEndpoint);
    onHandshakeInitiated(peer.timers, now, ctx.drawJitter());
    return;
  }
  const localIndex = allocateIndex(ctx, peer, "handshake");
  const initiation = createInitiation(ctx.noise, ctx.local, peer.remote, localIndex, ctx.deps.wallClock());
  if (initiation === null) {
    ctx.indices.delete(localIndex);
    drop(ctx, peer, Drop.handshakeFailed);
    return;
  }
  peer.pending = initiation.state;
  addMacs(initiation.message, peer.mac1Key, peer.cookieJar, now);
  onAuthenticatedTraversal(peer.timers, now);
  onAuthenticatedPacketSent(peer.timers);
  send(ctx, peer, initiation.message);
  onHandshakeInitiated(peer.timers, now, ctx.drawJitter());
}
