// WireGuard transport messages in batches (whitepaper §5.4.6): the data path of the device.
//
// Encrypt flow, per descriptor (a packet read from the TUN):
//   1. keepalive (length 0) goes to the peer named in the descriptor; otherwise parse the IP
//      version and destination and look the destination up in AllowedIPs → peer;
//   2. the peer's current keypair and its next counter (none usable → VERDICT_NO_SESSION, the
//      protocol core queues the packet and starts a handshake);
//   3. pad the packet with zeros to a multiple of 16 (never past the MTU), write the header
//      (type 4, the peer's receiver index, counter) in the 16 bytes before it, seal in place;
//   4. VERDICT_SEND with the datagram's place, FLAG_REKEY_DUE past REKEY_AFTER_MESSAGES.
// Decrypt flow, per descriptor (a datagram from the network):
//   1. types 1–3 are handshake messages → VERDICT_HANDSHAKE; anything else but 4 is dropped;
//   2. receiver index → keypair (unknown → drop), keypair must still receive;
//   3. replay check on the counter (before decrypting, so replays cost no AEAD), open in place,
//      then record the counter;
//   4. empty plaintext → VERDICT_KEEPALIVE; else the inner IPv4/IPv6 header must be whole, its
//      source must map to this keypair's peer in AllowedIPs (cryptokey routing, §2), and the
//      packet is trimmed to its IP length → VERDICT_TO_TUN.
// Every descriptor gets a verdict; a malformed one is a drop reason, never a trap.

import {
  ARENA_BYTES,
  BATCH_MAX_SLOTS,
  DROP_ALLOWED_IPS,
  DROP_AUTH,
  DROP_BAD_INNER,
  DROP_BAD_PACKET,
  DROP_BAD_PEER,
  DROP_BAD_TYPE,
  DROP_EXPIRED,
  DROP_NO_ROUTE,
  DROP_OUT_OF_BOUNDS,
  DROP_REPLAY,
  DROP_SHORT,
  DROP_UNKNOWN_INDEX,
  FLAG_REKEY_DUE,
  MAX_MESSAGE_BYTES,
  MAX_PEERS,
  PEER_NONE,
  STATUS_OK,
  TAG_BYTES,
  TRANSPORT_DESCRIPTOR_BYTES,
  TRANSPORT_FLAGS,
  TRANSPORT_HEADER_BYTES,
  TRANSPORT_KEYPAIR,
  TRANSPORT_LENGTH,
  TRANSPORT_OFFSET,
  TRANSPORT_OUT_LENGTH,
  TRANSPORT_OUT_OFFSET,
  TRANSPORT_PEER,
  TRANSPORT_VERDICT,
  VERDICT_HANDSHAKE,
  VERDICT_KEEPALIVE,
  VERDICT_NO_SESSION,
  VERDICT_SEND,
  VERDICT_TO_TUN,
} from "./abi";
import { aeadOpen, aeadSeal } from "./aead";
import { lookupV4, lookupV6 } from "./allowedips";
import {
  KEYPAIR_CAN_RECEIVE,
  keypairFlags,
  keypairGreatestReceived,
  keypairNextSendCounter,
  keypairPeer,
  keypairReceiveKey,
  keypairRemoteIndex,
  keypairSendKey,
  keypairSetGreatestReceived,
  keypairStopSending,
  peerKeypair,
} from "./keypairs";
import { arena, transportDescriptors, wipeScratch } from "./layout";
import { indexTableLookup } from "./receiver-index";
import { REJECT_AFTER_MESSAGES, replayAccept, replayCheck } from "./replay";

// whitepaper §6.1: REKEY_AFTER_MESSAGES = 2^60.
const REKEY_AFTER_MESSAGES: u64 = <u64>1 << 60;
const MESSAGE_TRANSPORT: u32 = 4;
const IPV4_HEADER_BYTES: u32 = 20;
const IPV6_HEADER_BYTES: u32 = 40;

// The TUN MTU: padding never makes a packet longer than this (0: pad to 16 unconditionally).
let mtu: u32 = 1420;

// Exported: sets the MTU used for padding (whitepaper §5.4.6: "padded to a multiple of 16").
export function transportSetMtu(value: i32): i32 {
  if (value < 0 || value > MAX_MESSAGE_BYTES) return -1;
  mtu = <u32>value;
  return STATUS_OK;
}

// Padded plaintext length for a packet of `len` bytes: the next multiple of 16, capped at the
// MTU (a packet already over the MTU is padded from its last MTU-sized unit, as other
// implementations do, so every implementation sends the same length).
function paddedLength(len: u32): u32 {
  if (mtu == 0) return (len + 15) & ~15;
  const lastUnit = len > mtu ? len % mtu : len;
  let padded = (lastUnit + 15) & ~15;
  if (padded > mtu) padded = mtu;
  return len + (padded - lastUnit);
}

// @ts-ignore: decorator
@inline function descriptor(index: i32): usize {
  return transportDescriptors + <usize>index * TRANSPORT_DESCRIPTOR_BYTES;
}

function setVerdict(d: usize, verdict: u32, peer: i32, keypair: i32): void {
  store<u32>(d, verdict, TRANSPORT_VERDICT);
  store<i32>(d, peer, TRANSPORT_PEER);
  store<i32>(d, keypair, TRANSPORT_KEYPAIR);
}

function encryptOne(d: usize): void {
  store<u32>(d, 0, TRANSPORT_FLAGS);
  store<u32>(d, 0, TRANSPORT_OUT_LENGTH);
  const offset = load<u32>(d, TRANSPORT_OFFSET);
  const len = load<u32>(d, TRANSPORT_LENGTH);
  if (len > <u32>MAX_MESSAGE_BYTES) return setVerdict(d, DROP_OUT_OF_BOUNDS, PEER_NONE, -1);
  const padded = paddedLength(len);
  if (<u64>offset + TRANSPORT_HEADER_BYTES + padded + TAG_BYTES > <u64>ARENA_BYTES) {
    return setVerdict(d, DROP_OUT_OF_BOUNDS, PEER_NONE, -1);
  }
  const packet = arena + <usize>offset + TRANSPORT_HEADER_BYTES;

  // 1. Which peer.
  let peer: i32 = PEER_NONE;
  if (len == 0) {
    peer = load<i32>(d, TRANSPORT_PEER);
    if (<u32>peer >= <u32>MAX_PEERS) return setVerdict(d, DROP_BAD_PEER, PEER_NONE, -1);
  } else {
    const version = load<u8>(packet) >> 4;
    if (version == 4 && len >= IPV4_HEADER_BYTES) peer = lookupV4(packet + 16);
    else if (version == 6 && len >= IPV6_HEADER_BYTES) peer = lookupV6(packet + 24);
    else return setVerdict(d, DROP_BAD_PACKET, PEER_NONE, -1);
    if (peer == PEER_NONE) return setVerdict(d, DROP_NO_ROUTE, PEER_NONE, -1);
  }

  // 2. Which keypair and counter.
  const keypair = peerKeypair(<u32>peer);
  if (keypair < 0) return setVerdict(d, VERDICT_NO_SESSION, peer, -1);
  const counter = keypairNextSendCounter(<u32>keypair);
  if (counter >= REJECT_AFTER_MESSAGES) {
    keypairStopSending(<u32>keypair);
    return setVerdict(d, VERDICT_NO_SESSION, peer, keypair);
  }

  // 3. Pad, frame, seal.
  memory.fill(packet + len, 0, padded - len);
  const header = packet - TRANSPORT_HEADER_BYTES;
  store<u32>(header, MESSAGE_TRANSPORT, 0);
  store<u32>(header, keypairRemoteIndex(<u32>keypair), 4);
  store<u64>(header, counter, 8);
  aeadSeal(keypairSendKey(<u32>keypair), 0, <u32>counter, <u32>(counter >> 32), 0, 0, packet, padded, packet + padded);

  // 4. Out.
  setVerdict(d, VERDICT_SEND, peer, keypair);
  store<u32>(d, offset, TRANSPORT_OUT_OFFSET);
  store<u32>(d, TRANSPORT_HEADER_BYTES + padded + TAG_BYTES, TRANSPORT_OUT_LENGTH);
  if (counter >= REKEY_AFTER_MESSAGES) store<u32>(d, FLAG_REKEY_DUE, TRANSPORT_FLAGS);
}

// The inner packet's length from its own IP header (padding excluded), or 0 when it is not a
// whole IPv4/IPv6 packet.
function innerLength(packet: usize, len: u32): u32 {
  const version = load<u8>(packet) >> 4;
  if (version == 4 && len >= IPV4_HEADER_BYTES) {
    const total = <u32>bswap<u16>(load<u16>(packet, 2));
    return total >= IPV4_HEADER_BYTES && total <= len ? total : 0;
  }
  if (version == 6 && len >= IPV6_HEADER_BYTES) {
    const total = IPV6_HEADER_BYTES + <u32>bswap<u16>(load<u16>(packet, 4));
    return total <= len ? total : 0;
  }
  return 0;
}

function decryptOne(d: usize): void {
  store<u32>(d, 0, TRANSPORT_FLAGS);
  store<u32>(d, 0, TRANSPORT_OUT_LENGTH);
  const offset = load<u32>(d, TRANSPORT_OFFSET);
  const len = load<u32>(d, TRANSPORT_LENGTH);
  if (<u64>offset + len > <u64>ARENA_BYTES || len > <u32>(MAX_MESSAGE_BYTES + TRANSPORT_HEADER_BYTES + TAG_BYTES)) {
    return setVerdict(d, DROP_OUT_OF_BOUNDS, PEER_NONE, -1);
  }
  const message = arena + <usize>offset;

  // 1. Message type: the first four bytes are the type and three zero bytes.
  if (len < 4) return setVerdict(d, DROP_SHORT, PEER_NONE, -1);
  const type = load<u32>(message);
  if (type >= 1 && type <= 3) return setVerdict(d, VERDICT_HANDSHAKE, PEER_NONE, -1);
  if (type != MESSAGE_TRANSPORT) return setVerdict(d, DROP_BAD_TYPE, PEER_NONE, -1);
  if (len < <u32>(TRANSPORT_HEADER_BYTES + TAG_BYTES)) return setVerdict(d, DROP_SHORT, PEER_NONE, -1);

  // 2. Keypair.
  const keypair = indexTableLookup(load<u32>(message, 4));
  if (keypair < 0) return setVerdict(d, DROP_UNKNOWN_INDEX, PEER_NONE, -1);
  const peer = keypairPeer(<u32>keypair);
  if ((keypairFlags(<u32>keypair) & KEYPAIR_CAN_RECEIVE) == 0) return setVerdict(d, DROP_EXPIRED, peer, keypair);

  // 3. Replay check, open, record.
  const counter = load<u64>(message, 8);
  const greatest = keypairGreatestReceived(<u32>keypair);
  if (!replayCheck(<u32>keypair, greatest, counter)) return setVerdict(d, DROP_REPLAY, peer, keypair);
  const plaintext = message + TRANSPORT_HEADER_BYTES;
  const plaintextLen = len - TRANSPORT_HEADER_BYTES - TAG_BYTES;
  const key = keypairReceiveKey(<u32>keypair);
  if (aeadOpen(key, 0, <u32>counter, <u32>(counter >> 32), 0, 0, plaintext, plaintextLen, plaintext + plaintextLen) != STATUS_OK) {
    return setVerdict(d, DROP_AUTH, peer, keypair);
  }
  keypairSetGreatestReceived(<u32>keypair, replayAccept(<u32>keypair, greatest, counter));

  // 4. Keepalive, or cryptokey routing on the inner source.
  store<u32>(d, offset + TRANSPORT_HEADER_BYTES, TRANSPORT_OUT_OFFSET);
  if (plaintextLen == 0) return setVerdict(d, VERDICT_KEEPALIVE, peer, keypair);
  const total = innerLength(plaintext, plaintextLen);
  if (total == 0) return setVerdict(d, DROP_BAD_INNER, peer, keypair);
  const version = load<u8>(plaintext) >> 4;
  const owner = version == 4 ? lookupV4(plaintext + 12) : lookupV6(plaintext + 8);
  if (owner != peer) return setVerdict(d, DROP_ALLOWED_IPS, peer, keypair);
  setVerdict(d, VERDICT_TO_TUN, peer, keypair);
  store<u32>(d, total, TRANSPORT_OUT_LENGTH);
}

// Runs `one` over descriptors 0..count-1 and returns how many got `wanted`, or −1 for a count
// outside 0..BATCH_MAX_SLOTS (nothing touched).
// @ts-ignore: decorator
@inline function runBatch(count: i32, one: (d: usize) => void, wanted: u32): i32 {
  if (count < 0 || count > BATCH_MAX_SLOTS) return -1;
  let matching = 0;
  for (let i = 0; i < count; i++) {
    const d = descriptor(i);
    one(d);
    if (load<u32>(d, TRANSPORT_VERDICT) == wanted) matching++;
  }
  wipeScratch();
  return matching;
}

// Exported: encrypts descriptors 0..count-1; returns how many got VERDICT_SEND.
export function transportEncrypt(count: i32): i32 {
  return runBatch(count, encryptOne, VERDICT_SEND);
}

// Exported: decrypts descriptors 0..count-1; returns how many got VERDICT_TO_TUN.
export function transportDecrypt(count: i32): i32 {
  return runBatch(count, decryptOne, VERDICT_TO_TUN);
}
