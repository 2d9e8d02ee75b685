// Transport keys by index. A key enters through keyStaging (the only place the caller writes
// key bytes), is copied into its slot and the staging area is wiped; clearing a slot zeroes
// the key, so an expired session's key does not linger in memory.

import { KEY_BYTES, KEY_SLOT_COUNT, STATUS_BAD_KEY_SLOT, STATUS_OK } from "./abi";
import { keyPresent, keyStaging, keyTable } from "./layout";

// Address of a slot's key; the caller has checked `slot` with keySlotUsable.
// @ts-ignore: decorator
@inline export function keySlotAddress(slot: u32): usize {
  return keyTable + <usize>slot * KEY_BYTES;
}

export function keySlotInRange(slot: u32): bool {
  return slot < <u32>KEY_SLOT_COUNT;
}

export function keySlotHoldsKey(slot: u32): bool {
  return load<u8>(keyPresent + <usize>slot) != 0;
}

// Moves the 32 bytes at keyStaging into `slot`. Returns STATUS_OK or STATUS_BAD_KEY_SLOT;
// staging is wiped either way.
export function keySlotSet(slot: i32): i32 {
  let status = STATUS_BAD_KEY_SLOT;
  if (keySlotInRange(<u32>slot)) {
    memory.copy(keySlotAddress(<u32>slot), keyStaging, KEY_BYTES);
    store<u8>(keyPresent + <usize>slot, 1);
    status = STATUS_OK;
  }
  memory.fill(keyStaging, 0, KEY_BYTES);
  return status;
}

// Zeroes the key in `slot` and marks it empty. Returns STATUS_OK or STATUS_BAD_KEY_SLOT.
export function keySlotClear(slot: i32): i32 {
  if (!keySlotInRange(<u32>slot)) return STATUS_BAD_KEY_SLOT;
  memory.fill(keySlotAddress(<u32>slot), 0, KEY_BYTES);
  store<u8>(keyPresent + <usize>slot, 0);
  return STATUS_OK;
}
