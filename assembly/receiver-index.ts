// Receiver index → keypair (whitepaper §5.4.6: a transport message names its keypair by the
// receiver's index, a random 32-bit value chosen by the receiver at handshake time).
//
// Open addressing with linear probing over INDEX_TABLE_ENTRIES slots of (index, keypair + 1);
// keypair + 1 == 0 marks an empty slot. The table is at most 3/8 full, and indices are random,
// so probes are short; deletion shifts later entries back (no tombstones), so a table that
// churns forever never degrades.

import { INDEX_TABLE_ENTRIES, indexTable } from "./layout";

const MASK: u32 = <u32>INDEX_TABLE_ENTRIES - 1;

// @ts-ignore: decorator
@inline function entry(position: u32): usize {
  return indexTable + <usize>(position & MASK) * 8;
}
// @ts-ignore: decorator
@inline function home(index: u32): u32 {
  // Fibonacci hashing: indices are random, but a weak random source in tests should not make
  // them collide.
  return (index * 0x9e3779b1) >> 19;
}

// The keypair mapped to `index`, or -1.
export function indexTableLookup(index: u32): i32 {
  for (let position = home(index); ; position++) {
    const at = entry(position);
    const keypairPlusOne = load<u32>(at, 4);
    if (keypairPlusOne == 0) return -1;
    if (load<u32>(at, 0) == index) return <i32>keypairPlusOne - 1;
  }
  return -1;
}

// Maps `index` to `keypair`; false if the index is already mapped.
export function indexTableInsert(index: u32, keypair: u32): bool {
  for (let position = home(index); ; position++) {
    const at = entry(position);
    const keypairPlusOne = load<u32>(at, 4);
    if (keypairPlusOne == 0) {
      store<u32>(at, index, 0);
      store<u32>(at, keypair + 1, 4);
      return true;
    }
    if (load<u32>(at, 0) == index) return false;
  }
  return false;
}

// Unmaps `index` if it maps to `keypair`.
export function indexTableRemove(index: u32, keypair: u32): void {
  let hole = home(index);
  for (; ; hole++) {
    const at = entry(hole);
    const keypairPlusOne = load<u32>(at, 4);
    if (keypairPlusOne == 0) return;
    if (load<u32>(at, 0) == index) {
      if (keypairPlusOne != keypair + 1) return;
      break;
    }
  }
  // Backward-shift deletion: move each later entry of the run into the hole if the hole lies
  // between that entry's home and its current position (cyclically).
  for (let next = hole + 1; ; next++) {
    const at = entry(next);
    const keypairPlusOne = load<u32>(at, 4);
    if (keypairPlusOne == 0) break;
    const wanted = home(load<u32>(at, 0));
    if (((next - wanted) & MASK) >= ((next - hole) & MASK)) {
      store<u64>(entry(hole), load<u64>(at));
      hole = next;
    }
  }
  store<u64>(entry(hole), 0);
}
