// The transport data path inside the WASM core (assembly/transport.ts): keypairs installed by
// slot, each peer's current keypair, and batches of packets encrypted (TUN → network) or
// decrypted (network → TUN) in place in the arena, one call per batch, one verdict per packet.
//
// Buffer ownership: packets live in `arena` (shared with the AEAD batch API; use one at a
// time). An encrypt slot holds the IP packet at offset + TRANSPORT_HEADER_BYTES and needs
// room for the header before it and up to 15 bytes of padding plus the 16-byte tag after it;
// `slotBytes` is a stride that always fits. Outputs are read by outOffset/outLength and stay
// valid until the slot is reused.

import {
  ARENA_SLOT_BYTES,
  BATCH_MAX_SLOTS,
  KEY_BYTES,
  KEYPAIR_SLOT_COUNT,
  MAX_PEERS,
  PEER_NONE,
  STATUS_INDEX_IN_USE,
  STATUS_OK,
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
} from "../../assembly/abi.js";
import { requireByteLength, requireIntegerIn, U32_MAX } from "./arguments.js";
import type { CoreInstance } from "./core-exports.js";
import { coreStatusName } from "./core-status.js";
import { CryptoModuleError } from "./errors.js";

export interface TransportKeypair {
  readonly sendKey: Uint8Array;
  readonly receiveKey: Uint8Array;
  // Our receiver index for this keypair (the peer puts it in every message it sends us).
  readonly localIndex: number;
  // The peer's receiver index (we put it in every message we send).
  readonly remoteIndex: number;
  readonly peer: number;
}

export interface Transport {
  readonly capacity: number;
  readonly arena: Uint8Array;
  readonly slotBytes: number;
  readonly headerBytes: number;
  setMtu(mtu: number): void;
  // The key table, read-only (tests and diagnostics check that expired keys are zeroed).
  keyTable(): Uint8Array;
  // Installs (or replaces) keypair `slot`; false if localIndex is already in use.
  installKeypair(slot: number, keypair: TransportKeypair): boolean;
  // Zeroes keypair `slot`'s keys and stops every use of it.
  revokeKeypair(slot: number): void;
  // The keypair `peer` sends with from now on (null: none, packets get VERDICT_NO_SESSION).
  setPeerKeypair(peer: number, slot: number | null): void;
  reset(): void;
  // Batch: describe, run, read back.
  describe(index: number, offset: number, length: number, keepalivePeer?: number): void;
  encrypt(count: number): number;
  decrypt(count: number): number;
  verdict(index: number): number;
  peer(index: number): number;
  keypair(index: number): number;
  outOffset(index: number): number;
  outLength(index: number): number;
  flags(index: number): number;
}

const WORDS = TRANSPORT_DESCRIPTOR_BYTES / 4;

export function createTransport({ functions, views }: CoreInstance): Transport {
  const table = views.transportDescriptors;
  const words = new Int32Array(table.buffer, table.byteOffset, table.length / 4);
  const at = (index: number, field: number): number => index * WORDS + field / 4;
  const read = (index: number, field: number): number => {
    requireIntegerIn("index", index, 0, BATCH_MAX_SLOTS - 1);
    return words[at(index, field)]!;
  };
  const expectOk = (operation: string, status: number): void => {
    if (status !== STATUS_OK) throw new CryptoModuleError(`${operation} failed: ${coreStatusName(status)}`);
  };
  const requireSlot = (slot: number): void => requireIntegerIn("keypair slot", slot, 0, KEYPAIR_SLOT_COUNT - 1);
  const requirePeer = (peer: number): void => requireIntegerIn("peer", peer, 0, MAX_PEERS - 1);
  const requireCount = (count: number): void => requireIntegerIn("count", count, 0, BATCH_MAX_SLOTS);

  return {
    capacity: BATCH_MAX_SLOTS,
    arena: views.arena,
    slotBytes: ARENA_SLOT_BYTES,
    headerBytes: TRANSPORT_HEADER_BYTES,
    keyTable: () => views.keyTable,
    setMtu(mtu) {
      requireIntegerIn("mtu", mtu, 0, 65535);
      expectOk("transportSetMtu", functions.transportSetMtu(mtu));
    },
    installKeypair(slot, keypair) {
      requireSlot(slot);
      requirePeer(keypair.peer);
      requireByteLength("sendKey", keypair.sendKey, KEY_BYTES);
      requireByteLength("receiveKey", keypair.receiveKey, KEY_BYTES);
      requireIntegerIn("localIndex", keypair.localIndex, 0, U32_MAX);
      requireIntegerIn("remoteIndex", keypair.remoteIndex, 0, U32_MAX);
      views.keypairStaging.set(keypair.sendKey, 0);
      views.keypairStaging.set(keypair.receiveKey, KEY_BYTES);
      const status = functions.keypairInstall(slot, keypair.localIndex, keypair.remoteIndex, keypair.peer);
      if (status === STATUS_INDEX_IN_USE) return false;
      expectOk("keypairInstall", status);
      return true;
    },
    revokeKeypair(slot) {
      requireSlot(slot);
      expectOk("keypairRevoke", functions.keypairRevoke(slot));
    },
    setPeerKeypair(peer, slot) {
      requirePeer(peer);
      if (slot !== null) requireSlot(slot);
      expectOk("peerSetKeypair", functions.peerSetKeypair(peer, slot ?? PEER_NONE));
    },
    reset() {
      functions.keypairsReset();
    },
    describe(index, offset, length, keepalivePeer = PEER_NONE) {
      requireIntegerIn("index", index, 0, BATCH_MAX_SLOTS - 1);
      requireIntegerIn("offset", offset, 0, U32_MAX);
      requireIntegerIn("length", length, 0, U32_MAX);
      words[at(index, TRANSPORT_OFFSET)] = offset | 0;
      words[at(index, TRANSPORT_LENGTH)] = length | 0;
      words[at(index, TRANSPORT_PEER)] = keepalivePeer;
    },
    encrypt(count) {
      requireCount(count);
      return functions.transportEncrypt(count);
    },
    decrypt(count) {
      requireCount(count);
      return functions.transportDecrypt(count);
    },
    verdict: (index) => read(index, TRANSPORT_VERDICT),
    peer: (index) => read(index, TRANSPORT_PEER),
    keypair: (index) => read(index, TRANSPORT_KEYPAIR),
    outOffset: (index) => read(index, TRANSPORT_OUT_OFFSET) >>> 0,
    outLength: (index) => read(index, TRANSPORT_OUT_LENGTH) >>> 0,
    flags: (index) => read(index, TRANSPORT_FLAGS),
  };
}
