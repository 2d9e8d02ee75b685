// Every buffer the core uses, laid out once at compile time in linear memory.
//
// The module runs on the stub runtime and never allocates: memory is fixed at instantiation
// (asconfig.json sets initial = maximum), so views made once by src/dataplane stay valid and
// a native TUN/UDP addon can later read and write the arena by address.

import {
  ARENA_BYTES,
  BATCH_MAX_SLOTS,
  DESCRIPTOR_BYTES,
  KEY_BYTES,
  KEY_SLOT_COUNT,
  KEYPAIR_SLOT_COUNT,
  KEYPAIR_STAGING_BYTES,
  MAX_AAD_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_PEERS,
  TAG_BYTES,
  TRANSPORT_DESCRIPTOR_BYTES,
  XNONCE_BYTES,
} from "./abi";

// Transport keys, KEY_BYTES each, and one byte per slot saying whether it holds a key.
export const keyTable: usize = memory.data(KEY_SLOT_COUNT * KEY_BYTES, 64);
export const keyPresent: usize = memory.data(KEY_SLOT_COUNT, 16);
// Where the caller writes a key before keySlotSet() copies it into a slot (then zeroed).
export const keyStaging: usize = memory.data(KEY_BYTES, 16);

// The batch descriptor table and the packet arena it points into.
export const descriptors: usize = memory.data(BATCH_MAX_SLOTS * DESCRIPTOR_BYTES, 16);
export const arena: usize = memory.data(ARENA_BYTES, 64);

// Transport: descriptors, keypair records (keypairs.ts), replay rings (replay.ts), the
// receiver-index hash table and each peer's current keypair.
export const transportDescriptors: usize = memory.data(BATCH_MAX_SLOTS * TRANSPORT_DESCRIPTOR_BYTES, 16);
export const keypairStaging: usize = memory.data(KEYPAIR_STAGING_BYTES, 16);
export const KEYPAIR_RECORD_BYTES: usize = 32;
export const keypairRecords: usize = memory.data(KEYPAIR_SLOT_COUNT * <i32>KEYPAIR_RECORD_BYTES, 16);
export const REPLAY_RING_BLOCKS: usize = 128;
export const replayRings: usize = memory.data(KEYPAIR_SLOT_COUNT * <i32>REPLAY_RING_BLOCKS * 8, 16);
// Open addressing, power of two, at most 3/8 full (KEYPAIR_SLOT_COUNT / INDEX_TABLE_ENTRIES).
export const INDEX_TABLE_ENTRIES: usize = 8192;
export const indexTable: usize = memory.data(<i32>INDEX_TABLE_ENTRIES * 8, 16);
export const peerCurrentKeypair: usize = memory.data(MAX_PEERS * 4, 16);

// One-shot calls (handshake path, test vectors): inputs and outputs at fixed places.
export const oneShotKey: usize = memory.data(KEY_BYTES, 16);
export const oneShotNonce: usize = memory.data(XNONCE_BYTES, 16);
export const oneShotAad: usize = memory.data(MAX_AAD_BYTES, 16);
// Message in place; seal appends the tag, so it has room for MAX_MESSAGE_BYTES + TAG_BYTES.
export const oneShotData: usize = memory.data(MAX_MESSAGE_BYTES + TAG_BYTES, 64);
// Small outputs: a Poly1305 tag or an HChaCha20 subkey.
export const oneShotOut: usize = memory.data(64, 16);

// Internal scratch, never visible to the caller.
// Four ChaCha20 blocks of keystream: block 0 is the Poly1305 one-time key.
export const keystreamScratch: usize = memory.data(256, 64);
// 256 zero bytes: XORing them with keystream yields the keystream itself.
export const zeroes: usize = memory.data(256, 64);
// A zero-padded last Poly1305 block, the length block, and a computed tag.
export const polyBlockScratch: usize = memory.data(16, 16);
export const tagScratch: usize = memory.data(TAG_BYTES, 16);
// The HChaCha20 subkey of an XChaCha20-Poly1305 call, wiped after use.
export const subkeyScratch: usize = memory.data(KEY_BYTES, 16);
// ChaCha20 input and permuted state for the scalar block function (16 words each).
export const chachaState: usize = memory.data(64, 16);
export const chachaWork: usize = memory.data(64, 16);

// Zeroes all internal scratch. Every entry point that used scratch calls this before it
// returns, so no keystream, one-time key or subkey outlives the call, and memory outside the
// arena and the descriptor table is the same before and after any batch.
export function wipeScratch(): void {
  memory.fill(keystreamScratch, 0, 256);
  memory.fill(polyBlockScratch, 0, 16);
  memory.fill(tagScratch, 0, TAG_BYTES);
  memory.fill(subkeyScratch, 0, KEY_BYTES);
  memory.fill(chachaState, 0, 64);
  memory.fill(chachaWork, 0, 64);
}
