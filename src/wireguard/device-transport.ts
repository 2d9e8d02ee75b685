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
import { receivedWithKeypair, stagePacket, type Keypair, type Peer } from "./peer.js";
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

// A batch's verdicts, copied out of the descriptor table into typed-array columns (row i of
// each is packet i), so nothing is allocated per packet. They are copied out completely before
// any is acted on: acting may run another batch (a keepalive, staged packets), which reuses the
// table, so each nesting depth has its own set of columns. The sets are module-wide, not per
// device: calls never interleave on one thread, so nested batches form one stack even when
// they belong to different devices (tests wire devices to each other).
interface Verdicts {
  readonly verdict: Int32Array;
  readonly peer: Int32Array;
  readonly keypair: Int32Array;
  readonly outOffset: Uint32Array;
  readonly outLength: Uint32Array;
  readonly flags: Int32Array;
}

const verdictsByDepth: Verdicts[] = [];
let batchDepth = 0;

function newVerdicts(capacity: number): Verdicts {
  return {
    verdict: new Int32Array(capacity),
    peer: new Int32Array(capacity),
    keypair: new Int32Array(capacity),
    outOffset: new Uint32Array(capacity),
    outLength: new Uint32Array(capacity),
    flags: new Int32Array(capacity),
  };
}

// Copies out `count` verdicts into this depth's columns and enters the depth; the caller leaves
// it (batchDepth--) once it has acted on them.
function enterVerdicts(ctx: DeviceContext, count: number): Verdicts {
  const t = ctx.deps.transport;
  let verdicts = verdictsByDepth[batchDepth];
  if (verdicts === undefined || verdicts.verdict.length < t.capacity) verdicts = verdictsByDepth[batchDepth] = newVerdicts(t.capacity);
  for (let i = 0; i < count; i++) {
    verdicts.verdict[i] = t.verdict(i);
    verdicts.peer[i] = t.peer(i);
    verdicts.keypair[i] = t.keypair(i);
    verdicts.outOffset[i] = t.outOffset(i);
    verdicts.outLength[i] = t.outLength(i);
    verdicts.flags[i] = t.flags(i);
  }
  batchDepth++;
  return verdicts;
}

export function inputSlots(ctx: DeviceContext): number {
  return ctx.deps.transport.capacity / 2;
}

function describeAll(ctx: DeviceContext, inputs: readonly SlotInput[]): void {
  inputs.forEach((input, index) => ctx.deps.transport.describe(index, input.offset, input.length, input.keepalivePeer));
}

function output(ctx: DeviceContext, verdicts: Verdicts, index: number, copy: boolean): Uint8Array {
  const offset = verdicts.outOffset[index]!;
  const view = ctx.deps.transport.arena.subarray(offset, offset + verdicts.outLength[index]!);
  return copy ? view.slice() : view;
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

// Encrypts described packets (TUN → network) and acts on the verdicts.
export function encryptSlots(ctx: DeviceContext, now: number, inputs: readonly SlotInput[], copyOut: boolean): void {
  const t = ctx.deps.transport;
  describeAll(ctx, inputs);
  t.encrypt(inputs.length);
  const verdicts = enterVerdicts(ctx, inputs.length);
  const jitterNow = (): number => jitter(ctx);
  try {
    for (let index = 0; index < inputs.length; index++) {
      const input = inputs[index]!;
      const verdict = verdicts.verdict[index]!;
      const peer = peerOf(ctx, verdicts.peer[index]!);
      if (verdict === VERDICT_SEND && peer !== null) {
        send(ctx, peer, output(ctx, verdicts, index, copyOut));
        onAuthenticatedTraversal(peer.timers, now);
        onAuthenticatedPacketSent(peer.timers);
        if (input.length > 0) onDataSent(peer.timers, now, jitterNow);
        keepKeyFreshSending(ctx, now, peer, verdicts.keypair[index]!, verdicts.flags[index]!);
      } else if (verdict === VERDICT_NO_SESSION && peer !== null) {
        const start = input.offset + t.headerBytes;
        if (stagePacket(peer, t.arena.slice(start, start + input.length))) drop(ctx, peer, Drop.stagedOverflow);
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
  const verdicts = enterVerdicts(ctx, inputs.length);
  const release = (keypair: Keypair): void => releaseKeypair(ctx, keypair);
  const handshakes: number[] = [];
  try {
    for (let index = 0; index < inputs.length; index++) {
      const verdict = verdicts.verdict[index]!;
      const peer = peerOf(ctx, verdicts.peer[index]!);
      const authentic = verdict === VERDICT_TO_TUN || verdict === VERDICT_KEEPALIVE || verdict === DROP_ALLOWED_IPS || verdict === DROP_BAD_INNER;
      if (verdict === VERDICT_HANDSHAKE) {
        handshakes.push(index);
        continue;
      }
      if (!authentic || peer === null) {
        drop(ctx, peer, verdictDropReason(verdict));
        continue;
      }
      peer.stats.rxBytes += inputs[index]!.length;
      if (peer.roaming) peer.endpoint = sources[index]!; // follow the latest authentic packet (§2.1)
      if (receivedWithKeypair(peer, verdicts.keypair[index]!, ctx.deps.transport, release)) {
        onHandshakeComplete(peer.timers);
        peer.stats.lastHandshakeWallMs = ctx.deps.wallClock();
        flushStaged(ctx, now, peer);
      }
      keepKeyFreshReceiving(ctx, now, peer);
      onAuthenticatedTraversal(peer.timers, now);
      onAuthenticatedPacketReceived(peer.timers);
      if (verdict === VERDICT_TO_TUN) {
        onDataReceived(peer.timers, now);
        ctx.actions.push({ type: "tun", packet: output(ctx, verdicts, index, copyOut) });
      } else if (verdict !== VERDICT_KEEPALIVE) {
        drop(ctx, peer, verdictDropReason(verdict));
      }
    }
  } finally {
    batchDepth--;
  }
  return handshakes;
}
