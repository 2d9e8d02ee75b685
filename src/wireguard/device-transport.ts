// The device's data path around the WASM transport: describe a batch, run it, turn every
// verdict into actions, timer events, staging and counters (whitepaper §5.4.6, §6).
//
// Arena use: the caller's batch occupies the lower half of the packet slots (INPUT_SLOTS);
// packets the device makes itself (keepalives, packets released after a handshake) go through
// the upper half in chunks and are copied out, so they never overwrite a caller's outputs.

import {
  DROP_ALLOWED_IPS,
  DROP_BAD_INNER,
  FLAG_REKEY_DUE,
  VERDICT_HANDSHAKE,
  VERDICT_KEEPALIVE,
  VERDICT_NO_SESSION,
  VERDICT_SEND,
  VERDICT_TO_TUN,
} from "../dataplane/core-constants.js";
import { REKEY_AFTER_TIME_MS, REKEY_ON_RECEIVE_AFTER_MS } from "./constants.js";
import { drop, jitter, releaseKeypair, send, type DeviceContext } from "./device-context.js";
import { sendInitiation } from "./device-initiation.js";
import { Drop, verdictDropReason } from "./drop-reasons.js";
import type { Endpoint } from "../net/endpoint.js";
import { receivedWithKeypair, stagePacket, type Peer } from "./peer.js";
import {
  onAuthenticatedPacketReceived,
  onAuthenticatedPacketSent,
  onAuthenticatedTraversal,
  onDataReceived,
  onDataSent,
  onHandshakeComplete,
} from "./timers.js";

export interface SlotInput {
  readonly offset: number; // slot start in the arena; an encrypt packet sits headerBytes later
  readonly length: number;
  readonly keepalivePeer?: number;
}

interface Row {
  readonly verdict: number;
  readonly peer: number;
  readonly keypair: number;
  readonly outOffset: number;
  readonly outLength: number;
  readonly flags: number;
}

export function inputSlots(ctx: DeviceContext): number {
  return ctx.deps.transport.capacity / 2;
}

function describeAll(ctx: DeviceContext, inputs: readonly SlotInput[]): void {
  inputs.forEach((input, index) => ctx.deps.transport.describe(index, input.offset, input.length, input.keepalivePeer));
}

// Verdicts are read out completely before any is acted on: acting may run another batch
// (a keepalive, staged packets), which reuses the descriptor table.
function readRows(ctx: DeviceContext, count: number): Row[] {
  const t = ctx.deps.transport;
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    rows.push({ verdict: t.verdict(i), peer: t.peer(i), keypair: t.keypair(i), outOffset: t.outOffset(i), outLength: t.outLength(i), flags: t.flags(i) });
  }
  return rows;
}

function output(ctx: DeviceContext, row: Row, copy: boolean): Uint8Array {
  const view = ctx.deps.transport.arena.subarray(row.outOffset, row.outOffset + row.outLength);
  return copy ? view.slice() : view;
}

function peerOf(ctx: DeviceContext, number: number): Peer | null {
  return number >= 0 ? (ctx.peersByNumber[number] ?? null) : null;
}

// whitepaper §6.2: the initiator re-keys after REKEY_AFTER_MESSAGES or REKEY_AFTER_TIME of
// sending on a keypair; the responder never does, so the two never race to re-key.
function keepKeyFreshSending(ctx: DeviceContext, now: number, peer: Peer, row: Row): void {
  const keypair = peer.current;
  if (keypair === null || keypair.slot !== row.keypair || !keypair.isInitiator) return;
  if ((row.flags & FLAG_REKEY_DUE) !== 0 || now - keypair.createdAt >= REKEY_AFTER_TIME_MS) sendInitiation(ctx, now, peer, false);
}

// §6.2: an initiator that only receives re-keys shortly before REJECT_AFTER_TIME, once.
function keepKeyFreshReceiving(ctx: DeviceContext, now: number, peer: Peer): void {
  const keypair = peer.current;
  if (peer.timers.sentLastMinuteHandshake || keypair === null || !keypair.isInitiator) return;
  if (now - keypair.createdAt >= REKEY_ON_RECEIVE_AFTER_MS) {
    peer.timers.sentLastMinuteHandshake = true;
    sendInitiation(ctx, now, peer, false);
  }
}

// Encrypts described packets (TUN → network) and acts on the verdicts.
export function encryptSlots(ctx: DeviceContext, now: number, inputs: readonly SlotInput[], copyOut: boolean): void {
  const t = ctx.deps.transport;
  describeAll(ctx, inputs);
  t.encrypt(inputs.length);
  const rows = readRows(ctx, inputs.length);
  rows.forEach((row, index) => {
    const input = inputs[index]!;
    const peer = peerOf(ctx, row.peer);
    if (row.verdict === VERDICT_SEND && peer !== null) {
      send(ctx, peer, output(ctx, row, copyOut));
      onAuthenticatedTraversal(peer.timers, now);
      onAuthenticatedPacketSent(peer.timers);
      if (input.length > 0) onDataSent(peer.timers, now, () => jitter(ctx));
      keepKeyFreshSending(ctx, now, peer, row);
    } else if (row.verdict === VERDICT_NO_SESSION && peer !== null) {
      const start = input.offset + t.headerBytes;
      if (stagePacket(peer, t.arena.slice(start, start + input.length))) drop(ctx, peer, Drop.stagedOverflow);
      sendInitiation(ctx, now, peer, false);
    } else {
      drop(ctx, peer, verdictDropReason(row.verdict));
    }
  });
}

// Packets the device itself sends (keepalives are empty packets), through the upper half of
// the arena, copied out.
export function sendGenerated(ctx: DeviceContext, now: number, items: readonly { peer: Peer; packet: Uint8Array }[]): void {
  const t = ctx.deps.transport;
  const first = inputSlots(ctx);
  const chunkSize = t.capacity - first;
  for (let start = 0; start < items.length; start += chunkSize) {
    const chunk = items.slice(start, start + chunkSize);
    const inputs = chunk.map(({ peer, packet }, i): SlotInput => {
      const offset = (first + i) * t.slotBytes;
      t.arena.set(packet, offset + t.headerBytes);
      return { offset, length: packet.length, keepalivePeer: peer.number };
    });
    encryptSlots(ctx, now, inputs, true);
  }
}

// Sends what is staged for the peer, or starts a handshake when there is no session yet.
export function flushStaged(ctx: DeviceContext, now: number, peer: Peer): void {
  if (peer.current === null) {
    sendInitiation(ctx, now, peer, false);
    return;
  }
  const staged = peer.staged.splice(0);
  sendGenerated(ctx, now, staged.map((packet) => ({ peer, packet })));
}

// A keepalive is an empty transport message (whitepaper §6.5); staged data does the same job.
export function sendKeepalive(ctx: DeviceContext, now: number, peer: Peer): void {
  if (peer.staged.length === 0) stagePacket(peer, new Uint8Array(0));
  flushStaged(ctx, now, peer);
}

// Decrypts described datagrams (network → TUN) and acts on the verdicts. Returns the indices
// of handshake messages, which the caller hands to the handshake path.
export function decryptSlots(
  ctx: DeviceContext,
  now: number,
  inputs: readonly SlotInput[],
  sources: readonly Endpoint[],
  copyOut: boolean,
): number[] {
  describeAll(ctx, inputs);
  ctx.deps.transport.decrypt(inputs.length);
  const rows = readRows(ctx, inputs.length);
  const handshakes: number[] = [];
  rows.forEach((row, index) => {
    const peer = peerOf(ctx, row.peer);
    const authentic =
      row.verdict === VERDICT_TO_TUN || row.verdict === VERDICT_KEEPALIVE || row.verdict === DROP_ALLOWED_IPS || row.verdict === DROP_BAD_INNER;
    if (row.verdict === VERDICT_HANDSHAKE) {
      handshakes.push(index);
      return;
    }
    if (!authentic || peer === null) {
      drop(ctx, peer, verdictDropReason(row.verdict));
      return;
    }
    peer.stats.rxBytes += inputs[index]!.length;
    if (peer.roaming) peer.endpoint = sources[index]!; // follow the latest authentic packet (§2.1)
    if (receivedWithKeypair(peer, row.keypair, ctx.deps.transport, (k) => releaseKeypair(ctx, k))) {
      onHandshakeComplete(peer.timers);
      peer.stats.lastHandshakeWallMs = ctx.deps.wallClock();
      flushStaged(ctx, now, peer);
    }
    keepKeyFreshReceiving(ctx, now, peer);
    onAuthenticatedTraversal(peer.timers, now);
    onAuthenticatedPacketReceived(peer.timers);
    if (row.verdict === VERDICT_TO_TUN) {
      onDataReceived(peer.timers, now);
      ctx.actions.push({ type: "tun", packet: output(ctx, row, copyOut) });
    } else if (row.verdict !== VERDICT_KEEPALIVE) {
      drop(ctx, peer, verdictDropReason(row.verdict));
    }
  });
  return handshakes;
}
