// The transport's keypairs (whitepaper §5.4.5): per keypair, a send counter, the replay
// window's greatest counter, the receiver indices of both sides, the owning peer and what the
// keypair may still be used for. Keys live in key slots 2k (send) and 2k+1 (receive).
//
// Keypair record, KEYPAIR_RECORD_BYTES:
//   0            8             16           20          24      28
//   +------------+-------------+------------+-----------+-------+-------+
//   |sendCounter |greatestRecv |remoteIndex |localIndex |peer   |flags  |
//   |u64         |u64          |u32         |u32        |i32    |u32    |
//   +------------+-------------+------------+-----------+-------+-------+
//
// The protocol core (TypeScript) decides the lifecycle: install after a handshake, make it a
// peer's current keypair, revoke it on expiry. The hot path only reads what is installed here.

import {
  KEY_BYTES,
  KEYPAIR_SLOT_COUNT,
  MAX_PEERS,
  PEER_NONE,
  STATUS_BAD_KEY_SLOT,
  STATUS_BAD_LENGTH,
  STATUS_INDEX_IN_USE,
  STATUS_OK,
} from "./abi";
import { keySlotAddress } from "./keyslots";
import { indexTableInsert, indexTableRemove } from "./receiver-index";
import { KEYPAIR_RECORD_BYTES, keypairRecords, keypairStaging, peerCurrentKeypair } from "./layout";
import { replayReset } from "./replay";

export const KEYPAIR_CAN_SEND: u32 = 1;
export const KEYPAIR_CAN_RECEIVE: u32 = 2;
const KEYPAIR_INSTALLED: u32 = 4;

const SEND_COUNTER = 0;
const GREATEST_RECEIVED = 8;
const REMOTE_INDEX = 16;
const LOCAL_INDEX = 20;
const PEER = 24;
const FLAGS = 28;

// @ts-ignore: decorator
@inline export function keypairRecord(keypair: u32): usize {
  return keypairRecords + <usize>keypair * KEYPAIR_RECORD_BYTES;
}
// @ts-ignore: decorator
@inline export function keypairSendKey(keypair: u32): usize {
  return keySlotAddress(keypair * 2);
}
// @ts-ignore: decorator
@inline export function keypairReceiveKey(keypair: u32): usize {
  return keySlotAddress(keypair * 2 + 1);
}
// @ts-ignore: decorator
@inline export function keypairFlags(keypair: u32): u32 {
  return load<u32>(keypairRecord(keypair), FLAGS);
}
// @ts-ignore: decorator
@inline export function keypairPeer(keypair: u32): i32 {
  return load<i32>(keypairRecord(keypair), PEER);
}
// @ts-ignore: decorator
@inline export function keypairRemoteIndex(keypair: u32): u32 {
  return load<u32>(keypairRecord(keypair), REMOTE_INDEX);
}
// @ts-ignore: decorator
@inline export function keypairGreatestReceived(keypair: u32): u64 {
  return load<u64>(keypairRecord(keypair), GREATEST_RECEIVED);
}
// @ts-ignore: decorator
@inline export function keypairSetGreatestReceived(keypair: u32, counter: u64): void {
  store<u64>(keypairRecord(keypair), counter, GREATEST_RECEIVED);
}

// Takes the next send counter, or returns u64.MAX_VALUE when the keypair may not send.
// (Stopping at REJECT_AFTER_MESSAGES is the caller's check: it knows the limit's meaning.)
export function keypairNextSendCounter(keypair: u32): u64 {
  const record = keypairRecord(keypair);
  if ((load<u32>(record, FLAGS) & KEYPAIR_CAN_SEND) == 0) return u64.MAX_VALUE;
  const counter = load<u64>(record, SEND_COUNTER);
  store<u64>(record, counter + 1, SEND_COUNTER);
  return counter;
}

export function keypairStopSending(keypair: u32): void {
  const record = keypairRecord(keypair);
  store<u32>(record, load<u32>(record, FLAGS) & ~KEYPAIR_CAN_SEND, FLAGS);
}

// The keypair a peer sends with, or -1 when it has none. Stored as keypair + 1 so that
// zeroed memory means "none".
// @ts-ignore: decorator
@inline export function peerKeypair(peer: u32): i32 {
  return load<i32>(peerCurrentKeypair + <usize>peer * 4) - 1;
}
// @ts-ignore: decorator
@inline function storePeerKeypair(peer: u32, keypair: i32): void {
  store<i32>(peerCurrentKeypair + <usize>peer * 4, keypair + 1);
}

function keypairInRange(keypair: i32): bool {
  return <u32>keypair < <u32>KEYPAIR_SLOT_COUNT;
}

// Exported: installs keypair `keypair` for `peer` with the send and receive keys in
// keypairStaging (wiped afterwards), counters at zero, an empty replay window, and
// `localIndex` mapped to it. Replaces whatever the slot held. Does not make it the peer's
// current keypair (peerSetKeypair does: a responder waits for the first packet).
export function keypairInstall(keypair: i32, localIndex: u32, remoteIndex: u32, peer: i32): i32 {
  let status = STATUS_OK;
  if (!keypairInRange(keypair)) status = STATUS_BAD_KEY_SLOT;
  else if (<u32>peer >= <u32>MAX_PEERS) status = STATUS_BAD_LENGTH;
  if (status == STATUS_OK) {
    keypairRevoke(keypair);
    if (!indexTableInsert(localIndex, <u32>keypair)) status = STATUS_INDEX_IN_USE;
  }
  if (status == STATUS_OK) {
    memory.copy(keypairSendKey(keypair), keypairStaging, KEY_BYTES);
    memory.copy(keypairReceiveKey(keypair), keypairStaging + KEY_BYTES, KEY_BYTES);
    const record = keypairRecord(keypair);
    store<u64>(record, 0, SEND_COUNTER);
    store<u64>(record, 0, GREATEST_RECEIVED);
    store<u32>(record, remoteIndex, REMOTE_INDEX);
    store<u32>(record, localIndex, LOCAL_INDEX);
    store<i32>(record, peer, PEER);
    store<u32>(record, KEYPAIR_INSTALLED | KEYPAIR_CAN_SEND | KEYPAIR_CAN_RECEIVE, FLAGS);
    replayReset(keypair);
  }
  memory.fill(keypairStaging, 0, 2 * KEY_BYTES);
  return status;
}

// Exported: zeroes the keys, unmaps the receiver index and stops every use of the keypair.
// If it was some peer's current keypair, that peer has none afterwards.
export function keypairRevoke(keypair: i32): i32 {
  if (!keypairInRange(keypair)) return STATUS_BAD_KEY_SLOT;
  const record = keypairRecord(keypair);
  if ((load<u32>(record, FLAGS) & KEYPAIR_INSTALLED) != 0) {
    indexTableRemove(load<u32>(record, LOCAL_INDEX), <u32>keypair);
    const peer = <u32>load<i32>(record, PEER);
    if (peerKeypair(peer) == keypair) storePeerKeypair(peer, PEER_NONE);
  }
  memory.fill(keypairSendKey(keypair), 0, KEY_BYTES * 2);
  memory.fill(record, 0, KEYPAIR_RECORD_BYTES);
  return STATUS_OK;
}

// Exported: makes `keypair` the one `peer` sends with (PEER_NONE: none). The keypair must be
// installed for that peer. Returns STATUS_OK, STATUS_BAD_LENGTH (peer) or STATUS_BAD_KEY_SLOT.
export function peerSetKeypair(peer: i32, keypair: i32): i32 {
  if (<u32>peer >= <u32>MAX_PEERS) return STATUS_BAD_LENGTH;
  if (keypair != PEER_NONE) {
    if (!keypairInRange(keypair)) return STATUS_BAD_KEY_SLOT;
    const installed = (keypairFlags(<u32>keypair) & KEYPAIR_INSTALLED) != 0;
    if (!installed || keypairPeer(<u32>keypair) != peer) return STATUS_BAD_KEY_SLOT;
  }
  storePeerKeypair(<u32>peer, keypair);
  return STATUS_OK;
}

// Exported: clears every keypair and every peer's current keypair (device reset).
export function keypairsReset(): void {
  for (let keypair = 0; keypair < KEYPAIR_SLOT_COUNT; keypair++) keypairRevoke(keypair);
  memory.fill(peerCurrentKeypair, 0, MAX_PEERS * 4);
}
