// Batch seal/open: the hot-path entry points. One call processes `count` messages described by
// the descriptor table (layout in abi.ts) over the packet arena, and writes a status into
// every descriptor. Bad descriptors get an error status; nothing a caller or the network puts
// in memory can make this trap or touch memory outside the arena.
//
// Flow per descriptor: 1. read key slot, offset, length, counter; 2. check slot, key, length
// and bounds; 3. seal (tag appended after the plaintext) or open (tag is the last 16 bytes,
// plaintext replaces the ciphertext in place); 4. store the status.

import {
  ARENA_BYTES,
  BATCH_MAX_SLOTS,
  DESCRIPTOR_BYTES,
  DESCRIPTOR_COUNTER,
  DESCRIPTOR_KEY_SLOT,
  DESCRIPTOR_LENGTH,
  DESCRIPTOR_OFFSET,
  DESCRIPTOR_STATUS,
  MAX_MESSAGE_BYTES,
  STATUS_BAD_KEY_SLOT,
  STATUS_BAD_LENGTH,
  STATUS_NO_KEY,
  STATUS_OK,
  STATUS_OUT_OF_BOUNDS,
  TAG_BYTES,
} from "./abi";
import { aeadOpen, aeadSeal } from "./aead";
import { keySlotAddress, keySlotHoldsKey, keySlotInRange } from "./keyslots";
import { arena, descriptors, wipeScratch } from "./layout";

// WireGuard transport has no associated data (whitepaper §5.4.6).
const NO_AAD: usize = 0;

function keyStatus(slot: u32): i32 {
  if (!keySlotInRange(slot)) return STATUS_BAD_KEY_SLOT;
  if (!keySlotHoldsKey(slot)) return STATUS_NO_KEY;
  return STATUS_OK;
}

function sealDescriptor(d: usize): i32 {
  const slot = load<u32>(d, DESCRIPTOR_KEY_SLOT);
  const keyCheck = keyStatus(slot);
  if (keyCheck != STATUS_OK) return keyCheck;
  const offset = load<u32>(d, DESCRIPTOR_OFFSET);
  const len = load<u32>(d, DESCRIPTOR_LENGTH);
  if (len > <u32>MAX_MESSAGE_BYTES) return STATUS_BAD_LENGTH;
  if (<u64>offset + len + TAG_BYTES > <u64>ARENA_BYTES) return STATUS_OUT_OF_BOUNDS;
  const counter = load<u64>(d, DESCRIPTOR_COUNTER);
  const data = arena + <usize>offset;
  // WireGuard nonce: 32 zero bits, then the 64-bit little-endian counter (whitepaper §5.4.6).
  aeadSeal(keySlotAddress(slot), 0, <u32>counter, <u32>(counter >> 32), NO_AAD, 0, data, len, data + len);
  return STATUS_OK;
}

function openDescriptor(d: usize): i32 {
  const slot = load<u32>(d, DESCRIPTOR_KEY_SLOT);
  const keyCheck = keyStatus(slot);
  if (keyCheck != STATUS_OK) return keyCheck;
  const offset = load<u32>(d, DESCRIPTOR_OFFSET);
  const sealedLen = load<u32>(d, DESCRIPTOR_LENGTH);
  if (sealedLen < <u32>TAG_BYTES || sealedLen - TAG_BYTES > <u32>MAX_MESSAGE_BYTES) return STATUS_BAD_LENGTH;
  if (<u64>offset + sealedLen > <u64>ARENA_BYTES) return STATUS_OUT_OF_BOUNDS;
  const counter = load<u64>(d, DESCRIPTOR_COUNTER);
  const data = arena + <usize>offset;
  const len = sealedLen - TAG_BYTES;
  return aeadOpen(keySlotAddress(slot), 0, <u32>counter, <u32>(counter >> 32), NO_AAD, 0, data, len, data + len);
}

// Returns how many descriptors succeeded, or −STATUS_BAD_LENGTH when count is not in
// 0..BATCH_MAX_SLOTS (then no descriptor is read or written).
function runBatch(count: i32, seal: bool): i32 {
  if (count < 0 || count > BATCH_MAX_SLOTS) return -STATUS_BAD_LENGTH;
  let succeeded = 0;
  for (let i = 0; i < count; i++) {
    const d = descriptors + <usize>i * DESCRIPTOR_BYTES;
    const status = seal ? sealDescriptor(d) : openDescriptor(d);
    store<u32>(d, status, DESCRIPTOR_STATUS);
    if (status == STATUS_OK) succeeded++;
  }
  wipeScratch();
  return succeeded;
}

export function sealBatch(count: i32): i32 {
  return runBatch(count, true);
}

export function openBatch(count: i32): i32 {
  return runBatch(count, false);
}
