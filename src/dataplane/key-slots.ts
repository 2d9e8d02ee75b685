// Transport keys live inside the WASM core, addressed by slot index; JavaScript hands a key in
// once and afterwards names it only by number. Clearing a slot zeroes the key in place.

import { KEY_BYTES, KEY_SLOT_COUNT, STATUS_OK } from "../../assembly/abi.js";
import { requireByteLength, requireIntegerIn } from "./arguments.js";
import type { CoreInstance } from "./core-exports.js";
import { coreStatusName } from "./core-status.js";
import { CryptoModuleError } from "./errors.js";

export interface KeySlots {
  readonly count: number;
  // Copies a 32-byte key into `slot` (replacing what was there). The staging copy is wiped.
  set(slot: number, key: Uint8Array): void;
  // Zeroes the key in `slot`; sealing or opening with it then fails with status noKey.
  clear(slot: number): void;
}

export function createKeySlots({ functions, views }: CoreInstance): KeySlots {
  const expectOk = (operation: string, status: number): void => {
    if (status !== STATUS_OK) throw new CryptoModuleError(`${operation} failed: ${coreStatusName(status)}`);
  };
  return {
    count: KEY_SLOT_COUNT,
    set(slot, key) {
      requireIntegerIn("slot", slot, 0, KEY_SLOT_COUNT - 1);
      requireByteLength("key", key, KEY_BYTES);
      views.keyStaging.set(key);
      expectOk("keySlotSet", functions.keySlotSet(slot));
    },
    clear(slot) {
      requireIntegerIn("slot", slot, 0, KEY_SLOT_COUNT - 1);
      expectOk("keySlotClear", functions.keySlotClear(slot));
    },
  };
}
