// The hot-path AEAD: many WireGuard transport messages sealed or opened in one call into the
// WASM core, in place in the packet arena. Nonce = 4 zero bytes ‖ 64-bit little-endian
// counter and no associated data, as WireGuard's transport messages use (whitepaper §5.4.6).
//
// Usage: write messages into `arena` (each at an offset of your choosing; a seal needs 16
// bytes of room after the plaintext for the tag), describe() each one, call seal(n) or
// open(n), then read status(i). Message bytes are replaced in place: seal appends the tag,
// open leaves the plaintext (length − 16 bytes) where the ciphertext was.

import {
  ARENA_SLOT_BYTES,
  BATCH_MAX_SLOTS,
  DESCRIPTOR_BYTES,
  DESCRIPTOR_COUNTER,
  DESCRIPTOR_KEY_SLOT,
  DESCRIPTOR_LENGTH,
  DESCRIPTOR_OFFSET,
  DESCRIPTOR_STATUS,
} from "../../assembly/abi.js";
import { requireIntegerIn, U32_MAX } from "./arguments.js";
import type { CoreInstance } from "./core-exports.js";
import type { CoreStatusCode } from "./core-status.js";

export interface AeadBatch {
  // Most messages one call takes.
  readonly capacity: number;
  // Packet memory inside the core; the view is valid for the life of the core.
  readonly arena: Uint8Array;
  // A stride that fits the largest message plus tag: message i at i * arenaSlotBytes.
  readonly arenaSlotBytes: number;
  // Describes message `index` of the next call. The core checks the values (slot in range and
  // holding a key, length, bounds) and reports problems through status(index).
  describe(index: number, keySlot: number, counter: number, offset: number, length: number): void;
  // Seal or open messages 0..count-1; returns how many succeeded.
  seal(count: number): number;
  open(count: number): number;
  status(index: number): CoreStatusCode;
}

const WORDS_PER_DESCRIPTOR = DESCRIPTOR_BYTES / 4;
const TWO_TO_32 = 2 ** 32;

export function createAeadBatch({ functions, views }: CoreInstance): AeadBatch {
  const { descriptors } = views;
  const words = new Uint32Array(descriptors.buffer, descriptors.byteOffset, descriptors.length / 4);
  const word = (index: number, field: number): number => index * WORDS_PER_DESCRIPTOR + field / 4;
  const requireCount = (count: number): void => requireIntegerIn("count", count, 0, BATCH_MAX_SLOTS);
  return {
    capacity: BATCH_MAX_SLOTS,
    arena: views.arena,
    arenaSlotBytes: ARENA_SLOT_BYTES,
    describe(index, keySlot, counter, offset, length) {
      requireIntegerIn("index", index, 0, BATCH_MAX_SLOTS - 1);
      requireIntegerIn("keySlot", keySlot, 0, U32_MAX);
      // Counters above 2^53 are not exact in a JS number; WireGuard rekeys long before
      // (REKEY_AFTER_MESSAGES = 2^60 is never reached at any real packet rate).
      requireIntegerIn("counter", counter, 0, Number.MAX_SAFE_INTEGER);
      requireIntegerIn("offset", offset, 0, U32_MAX);
      requireIntegerIn("length", length, 0, U32_MAX);
      words[word(index, DESCRIPTOR_COUNTER)] = counter % TWO_TO_32;
      words[word(index, DESCRIPTOR_COUNTER) + 1] = Math.floor(counter / TWO_TO_32);
      words[word(index, DESCRIPTOR_KEY_SLOT)] = keySlot;
      words[word(index, DESCRIPTOR_OFFSET)] = offset;
      words[word(index, DESCRIPTOR_LENGTH)] = length;
    },
    seal(count) {
      requireCount(count);
      return functions.sealBatch(count);
    },
    open(count) {
      requireCount(count);
      return functions.openBatch(count);
    },
    status(index) {
      requireIntegerIn("index", index, 0, BATCH_MAX_SLOTS - 1);
      return words[word(index, DESCRIPTOR_STATUS)] as CoreStatusCode;
    },
  };
}
