// The device's data path around the WASM transport: describe a batch, run it, turn every
// verdict into output (packets listed where they lie, or copied out as actions), timer events,
// staging and counters (whitepaper §5.4.6, §6).
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
import { drop, send, sendInPlace, writeInPlace, type DeviceContext } from "./device-context.js";
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

// One batch as typed-array columns (row i of each is packet i), so nothing is allocated per
// packet: its inputs, written as the batch is described, and its verdicts, copied out of the
// descriptor table once it has run and before any is acted on. Acting may run another batch (a
// keepalive, staged packets), which reuses the descriptor table, so each nesting depth has its
// own set of columns. The sets are module-wide, not per device: calls never interleave on one
// thread, so nested batches form one stack even when they belong to different devices (tests
// wire devices to each other).
interface BatchColumns {
  readonly inOffset: Uint32Array; // slot start in the arena; an encrypt packet sits headerBytes later
  readonly inLength: Uint32Array;
  readonly source: Endpoint[]; // decrypt only: where the datagram came from
  readonly verdict: Int32Array;
  readonly peer: Int32Array;
  readonly keypair: Int32Array;
  readonly outOffset: Uint32Array;
  readonly outLength: Uint32Array;
  readonly flags: Int32Array;
}

const columnsByDepth: BatchColumns[] = [];
let batchDepth = 0;

function newColumns(capacity: number): BatchColumns {
  return {
    inOffset: new Uint32Array(capacity),
    inLength: new Uint32Array(capacity),
    source: new Array<Endpoint>(capacity),
    verdict: new Int32Array(capacity),
    peer: new Int32Array(capacity),
    keypair: new Int32Array(capacity),
    outOffset: new Uint32Array(capacity),
    outLength: new Uint32Array(capacity),
    flags: new Int32Array(capacity),
  };
}

// The columns the next batch (at the current depth) is described into.
function nextBatch(ctx: DeviceContext): BatchColumns {
  const capacity = ctx.deps.transport.capacity;
  let columns = columnsByDepth[batchDepth];
  if (columns === undefined || columns.verdict.length < capacity) columns = columnsByDepth[batchDepth] = newColumns(capacity);
  return columns;
}

// Describes packet `index` of the next batch: `length` bytes in the slot at `offset` of the arena.
export function describeInput(ctx: DeviceContext, index: number, offset: number, length: number, keepalivePeer?: number): void {
  const columns = nextBatch(ctx);
  columns.inOffset[index] = offset;
  columns.inLength[index] = length;
  ctx.deps.transport.describe(index, offset, length, keepalivePeer);
}

// Describes datagram `index` of the next batch, which came from `source`.
export function describeDatagram(ctx: DeviceContext, index: number, offset: number, length: number, source: Endpoint): void {
  nextBatch(ctx).source[index] = source;
  describeInput(ctx, index, offset, length);
}

// Copies out the `count` verdicts of the batch that just ran and enters its depth; the caller
// leaves it (batchDepth--) once it has acted on them.
function enterVerdicts(ctx: DeviceContext, count: number): BatchColumns {
  const t = ctx.deps.transport;
  const columns = nextBatch(ctx);
  for (let i = 0; i < count; i++) {
    columns.verdict[i] = t.verdict(i);
    columns.peer[i] = t.peer(i);
    columns.keypair[i] = t.keypair(i);
    columns.outOffset[i] = t.outOffset(i);
    columns.outLength[i] = t.outLength(i);
    columns.flags[i] = t.flags(i);
  }
  batchDepth++;
  return columns;
}

export function inputSlots(ctx: DeviceContext): number {
  return ctx.deps.transport.capacity / 2;
}

function copyOfOutput(ctx: DeviceContext, columns: BatchColumns, index: number): Uint8Array {
  const offset = columns.outOffset[index]!;
  return ctx.deps.transport.arena.slice(offset, offset + columns.outLength[index]!);
}

function peerOf(ctx: DeviceContext, number: number): Peer | null {
  return number >= 0 ? (ctx.peersByNumber[number] ?? null) : null;
}

// whitepaper §6.2: the initiator re-keys after REKEY_AFTER_MESSAGES or REKEY_AFTER_TIME of
// sending on a keypair; the responder never does, so the two never race to re-key.
function keepKeyFreshSending(ctx: DeviceContext, now: number, peer: Peer, keypairSlot: number, flags: number): void {
  const keypair = peer.current;
  if (keypair === null || keypair.slot !== keypairSlot || !keypair.isInitiator) return;
  if ((flags & FLAG_REKEY_DUE) !== 0 || now - keypair.createdAt >= REKEY_AFTER_TIME_MS) sendInitiation(ctx, now, peer, false);
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

// Encrypts the `count` described packets (TUN → network) and acts on the verdicts. In place:
// the datagrams are sent from the arena; otherwise copied out (a batch the device runs itself,
// inside another whose outputs still sit in the arena).
export function encryptSlots(ctx: DeviceContext, now: number, count: number, inPlace: boolean): void {
  const t = ctx.deps.transport;
  t.encrypt(count);
  const columns = enterVerdicts(ctx, count);
  try {
    for (let index = 0; index < count; index++) {
      const verdict = columns.verdict[index]!;
      const peer = peerOf(ctx, columns.peer[index]!);
      if (verdict === VERDICT_SEND && peer !== null) {
        if (inPlace) sendInPlace(ctx, peer, columns.outOffset[index]!, columns.outLength[index]!);
        else send(ctx, peer, copyOfOutput(ctx, columns, index));
        onAuthenticatedTraversal(peer.timers, now);
        onAuthenticatedPacketSent(peer.timers);
        if (columns.inLength[index]! > 0) onDataSent(peer.timers, now, ctx.drawJitter);
        keepKeyFreshSending(ctx, now, peer, columns.keypair[index]!, columns.flags[index]!);
      } else if (verdict === VERDICT_NO_SESSION && peer !== null) {
        const start = columns.inOffset[index]! + t.headerBytes;
        if (stagePacket(peer, t.arena.slice(start, start + columns.inLength[index]!))) drop(ctx, peer, Drop.stagedOverflow);
        sendInitiation(ctx, now, peer, false);
      } else {
        drop(ctx, peer, verdictDropReason(verdict));
      }
    }
  } finally {
    batchDepth--;
  }
}

// Packets the device itself sends (keepalives are empty packets), through the upper half of
// the arena, copied out.
export function sendGenerated(ctx: DeviceContext, now: number, peer: Peer, packets: readonly Uint8Array[]): void {
  const t = ctx.deps.transport;
  const first = inputSlots(ctx);
  const chunkSize = t.capacity - first;
  for (let start = 0; start < packets.length; start += chunkSize) {
    const count = Math.min(chunkSize, packets.length - start);
    for (let i = 0; i < count; i++) {
      const packet = packets[start + i]!;
      const offset = (first + i) * t.slotBytes;
      t.arena.set(packet, offset + t.headerBytes);
      describeInput(ctx, i, offset, packet.length, peer.number);
    }
    encryptSlots(ctx, now, count, false);
  }
}

// Sends what is staged for the peer, or starts a handshake when there is no session yet.
export function flushStaged(ctx: DeviceContext, now: number, peer: Peer): void {
  if (peer.current === null) {
    sendInitiation(ctx, now, peer, false);
    return;
  }
  sendGenerated(ctx, now, peer, peer.staged.splice(0));
}

// A keepalive is an empty transport message (whitepaper §6.5); staged data does the same job.
export function sendKeepalive(ctx: DeviceContext, now: number, peer: Peer): void {
  if (peer.staged.length === 0) stagePacket(peer, new Uint8Array(0));
  flushStaged(ctx, now, peer);
}

// A handshake message met in a batch of datagrams: a view of its slot, and its source.
interface HandshakeInBatch {
  readonly datagram: Uint8Array;
  readonly from: Endpoint;
}
const NO_HANDSHAKES: readonly HandshakeInBatch[] = Object.freeze([]);

// Decrypts the `count` described datagrams (network → TUN) and acts on the verdicts; the
// packets for the TUN stay in the arena. Returns the handshake messages (views of their slots),
// which the caller hands to the handshake path.
export function decryptSlots(ctx: DeviceContext, now: number, count: number): readonly HandshakeInBatch[] {
  ctx.deps.transport.decrypt(count);
  const columns = enterVerdicts(ctx, count);
  let handshakes: HandshakeInBatch[] | null = null; // made only for a batch that has one
  try {
    for (let index = 0; index < count; index++) {
      const verdict = columns.verdict[index]!;
      const peer = peerOf(ctx, columns.peer[index]!);
      const authentic = verdict === VERDICT_TO_TUN || verdict === VERDICT_KEEPALIVE || verdict === DROP_ALLOWED_IPS || verdict === DROP_BAD_INNER;
      if (verdict === VERDICT_HANDSHAKE) {
        const offset = columns.inOffset[index]!;
        (handshakes ??= []).push({ datagram: ctx.deps.transport.arena.subarray(offset, offset + columns.inLength[index]!), from: columns.source[index]! });
        continue;
      }
      if (!authentic || peer === null) {
        drop(ctx, peer, verdictDropReason(verdict));
        continue;
      }
      peer.stats.rxBytes += columns.inLength[index]!;
      if (peer.roaming) peer.endpoint = columns.source[index]!; // follow the latest authentic packet (§2.1)
      if (receivedWithKeypair(peer, columns.keypair[index]!, ctx.deps.transport, ctx.release)) {
        onHandshakeComplete(peer.timers);
        peer.stats.lastHandshakeWallMs = ctx.deps.wallClock();
        flushStaged(ctx, now, peer);
      }
      keepKeyFreshReceiving(ctx, now, peer);
      onAuthenticatedTraversal(peer.timers, now);
      onAuthenticatedPacketReceived(peer.timers);
      if (verdict === VERDICT_TO_TUN) {
        onDataReceived(peer.timers, now);
        writeInPlace(ctx, columns.outOffset[index]!, columns.outLength[index]!);
      } else if (verdict !== VERDICT_KEEPALIVE) {
        drop(ctx, peer, verdictDropReason(verdict));
      }
    }
  } finally {
    batchDepth--;
  }
  return handshakes ?? NO_HANDSHAKES;
}
