// Numbers 0..size-1 handed out lowest-first and given back: peer numbers and WASM keypair
// slots. Lowest-first keeps the WASM tables that are scanned (keypairsReset) dense.

export interface SlotPool {
  take(): number | null;
  give(slot: number): void;
  readonly inUse: number;
}

export function createSlotPool(size: number): SlotPool {
  const used = new Uint8Array(size);
  let inUse = 0;
  let searchFrom = 0;
  return {
    take() {
      for (let slot = searchFrom; slot < size; slot++) {
        if (used[slot] === 0) {
          used[slot] = 1;
          inUse++;
          searchFrom = slot + 1;
          return slot;
        }
      }
      return null;
    },
    give(slot) {
      if (used[slot] !== 1) throw new RangeError(`slot ${slot} is not in use`);
      used[slot] = 0;
      inUse--;
      if (slot < searchFrom) searchFrom = slot;
    },
    get inUse() {
      return inUse;
    },
  };
}
